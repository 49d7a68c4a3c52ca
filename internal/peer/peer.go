package peer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ModulePath is the module path whose go.mod marks the repository root.
const ModulePath = "github.com/onnxkit/onnxkit"

// installHint is appended to errors about missing peers.
const installHint = "run scripts/install-peers.sh (as root) from the repository root"

// ErrUnavailable is wrapped by every error that reports a reference peer
// (library, interpreter, package or fixture folder) as not installed.
var ErrUnavailable = errors.New("reference peer unavailable")

// RepoRoot returns the absolute path of the onnxkit repository root: the
// nearest directory, walking up from the working directory, whose go.mod
// declares module github.com/onnxkit/onnxkit.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("peer: finding repository root: %w", err)
	}
	return repoRootFrom(wd)
}

// repoRootFrom walks up from dir looking for onnxkit's go.mod.
func repoRootFrom(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("peer: finding repository root: %w", err)
	}
	for d := dir; ; {
		mod := filepath.Join(d, "go.mod")
		if path, err := moduleOf(mod); err == nil && path == ModulePath {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("peer: no go.mod for module %s in %s or any parent directory", ModulePath, dir)
		}
		d = parent
	}
}

// moduleOf returns the module path declared in the go.mod file at path.
func moduleOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return "", fmt.Errorf("%s declares no module", path)
}

// FixturesDir returns the absolute path of the shared fixture folder,
// <repo root>/../shared/fixtures. The error wraps ErrUnavailable when the
// folder is missing.
func FixturesDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", fmt.Errorf("peer: locating shared fixtures: %w: %w", ErrUnavailable, err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "fixtures")
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("peer: shared fixtures: %w: %w (expected beside the checkout)", ErrUnavailable, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("peer: shared fixtures: %w: %s is not a directory", ErrUnavailable, dir)
	}
	return dir, nil
}

// Fixtures returns the absolute path of <repo root>/../shared/fixtures.
// When the folder is missing it skips the test, or fails it under CI (see
// Require).
func Fixtures(t testing.TB) string {
	t.Helper()
	dir, err := FixturesDir()
	Require(t, err)
	return dir
}

// InCI reports whether the process runs under CI, that is whether the
// environment variable CI is "true".
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// Require stops the test when err, typically from asking for a peer, is
// not nil: under CI (CI=true) it fails the test with t.Fatalf, elsewhere it
// skips it with t.Skipf. Either way the message is err's text.
func Require(t testing.TB, err error) {
	if err == nil {
		return
	}
	t.Helper()
	if InCI() {
		t.Fatalf("required reference peer missing under CI: %v", err)
		return
	}
	t.Skipf("skipping, reference peer missing: %v", err)
}

// onnxTestDataDir is where Debian's libonnx-testdata puts the ONNX backend
// node tests (one folder per test with model.onnx and test_data_set_*).
const onnxTestDataDir = "/usr/share/libonnx-testdata/data/node"

// ONNXTestData returns the folder of the ONNX backend node tests installed
// by Debian's libonnx-testdata (onnx 1.12). The error wraps ErrUnavailable
// when the package is missing.
func ONNXTestData() (string, error) {
	fi, err := os.Stat(onnxTestDataDir)
	if err != nil {
		return "", fmt.Errorf("peer: ONNX backend test data: %w: %w; %s", ErrUnavailable, err, installHint)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("peer: ONNX backend test data: %w: %s is not a directory", ErrUnavailable, onnxTestDataDir)
	}
	return onnxTestDataDir, nil
}
