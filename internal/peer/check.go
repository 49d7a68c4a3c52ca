package peer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Python is the interpreter that has Debian's python3-onnx installed.
const Python = "/usr/bin/python3"

// checkTimeout bounds one run of the ONNX checker.
const checkTimeout = 5 * time.Minute

// checkScript loads argv[1] with onnx and runs the checker, full_check when
// argv[2] is "1". It exits 3 when onnx cannot be imported and 1, with
// "ExceptionType: message" on stderr, when loading or checking fails.
const checkScript = `import sys
try:
    import onnx
    import onnx.checker
except Exception as e:
    sys.stderr.write("cannot import onnx: %s: %s\n" % (type(e).__name__, e))
    sys.exit(3)
try:
    m = onnx.load(sys.argv[1])
    onnx.checker.check_model(m, full_check=(sys.argv[2] == "1"))
except Exception as e:
    sys.stderr.write("%s: %s\n" % (type(e).__name__, str(e).strip()))
    sys.exit(1)
`

// versionScript prints the installed onnx version.
const versionScript = `import onnx; print(onnx.__version__)`

// PythonONNXVersion returns the version of the onnx package that
// /usr/bin/python3 imports. The error wraps ErrUnavailable when the
// interpreter or the package is missing.
func PythonONNXVersion() (string, error) {
	if _, err := os.Stat(Python); err != nil {
		return "", fmt.Errorf("peer: %w: %w; %s", ErrUnavailable, err, installHint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, Python, "-I", "-c", versionScript)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("peer: %s cannot import onnx: %w: %w: %s; %s", Python, ErrUnavailable, err, strings.TrimSpace(stderr.String()), installHint)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// CheckModel runs onnx.checker.check_model (with full_check, i.e. strict
// shape inference, when fullCheck is set) of Debian's python3-onnx on the
// model file at path. A model the checker rejects gives an error carrying
// the checker's message. When the interpreter or onnx is missing the error
// wraps ErrUnavailable.
func CheckModel(path string, fullCheck bool) error {
	if _, err := os.Stat(Python); err != nil {
		return fmt.Errorf("peer: onnx checker: %w: %w; %s", ErrUnavailable, err, installHint)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("peer: onnx checker: %w", err)
	}
	full := "0"
	if fullCheck {
		full = "1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, Python, "-I", "-c", checkScript, path, full)
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(stderr.String())
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		switch exitErr.ExitCode() {
		case 1:
			return fmt.Errorf("peer: onnx checker (full_check=%v) rejected %s: %s", fullCheck, path, msg)
		case 3:
			return fmt.Errorf("peer: onnx checker: %w: %s; %s", ErrUnavailable, msg, installHint)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("peer: onnx checker on %s: timed out after %v", path, checkTimeout)
	}
	return fmt.Errorf("peer: onnx checker on %s: %w: %s", path, err, msg)
}
