package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
)

// TestVerifyFindsOnnxruntime runs the installed binary (built outside the
// checkout) from an empty folder: it finds onnxruntime through --ort-lib
// or $ONNXRUNTIME_LIB, and without either fails with exit 1 and one error
// naming the places tried and the install command.
func TestVerifyFindsOnnxruntime(t *testing.T) {
	lib, err := ort.Library()
	peer.Require(t, err)
	fixture := filepath.Join(peer.Fixtures(t), "pytorch-cnn-op11")
	dir := t.TempDir()
	for _, f := range [][2]string{{"mnist_cnn.onnx", "model.onnx"}, {"derived_ort_input.npy", "x.npy"}} {
		b, err := os.ReadFile(filepath.Join(fixture, f[0]))
		peer.Require(t, err)
		if err := os.WriteFile(filepath.Join(dir, f[1]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The environment without the library variable and without npm on PATH.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, ort.LibraryEnv+"=") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "NPM_CONFIG_PREFIX=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH=/nonexistent")
	for _, sys := range []string{"/usr/local/lib/node_modules/onnxruntime-node", "/usr/lib/node_modules/onnxruntime-node",
		"/usr/local/lib/libonnxruntime.so.1", "/usr/lib/x86_64-linux-gnu/libonnxruntime.so.1", "/usr/lib64/libonnxruntime.so.1", "/usr/lib/libonnxruntime.so.1"} {
		if _, err := os.Stat(sys); err == nil {
			t.Skipf("onnxruntime is installed system-wide (%s): the not-found case cannot be shown", sys)
		}
	}
	run := func(extraEnv []string, args ...string) (string, string, int) {
		cmd := exec.Command(binary, append([]string{"verify", "model.onnx", "--against", "onnxruntime", "--input", "x.npy"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	if out, errs, code := run(nil, "--ort-lib", lib); code != 0 || !strings.Contains(out, "Against onnxruntime") {
		t.Errorf("--ort-lib %s: exit %d\n%s%s", lib, code, out, errs)
	}
	if out, errs, code := run([]string{ort.LibraryEnv + "=" + lib}); code != 0 || !strings.Contains(out, "Against onnxruntime") {
		t.Errorf("$%s=%s: exit %d\n%s%s", ort.LibraryEnv, lib, code, out, errs)
	}
	_, errs, code := run(nil)
	first, _, _ := strings.Cut(errs, "\n")
	if code != 1 {
		t.Errorf("no library: exit %d, want 1; stderr %q", code, errs)
	}
	for _, want := range []string{"libonnxruntime.so.1 not found", "--ort-lib", ort.LibraryEnv, "/usr/lib/x86_64-linux-gnu", "npm install -g --ignore-scripts onnxruntime-node@1.30.0"} {
		if !strings.Contains(first, want) {
			t.Errorf("no library: first error line %q does not mention %q", first, want)
		}
	}
	missing := filepath.Join(dir, "nope.so")
	if _, errs, code := run(nil, "--ort-lib", missing); code != 1 || !strings.Contains(errs, missing) {
		t.Errorf("--ort-lib %s (missing): exit %d, stderr %q; want 1 naming it", missing, code, errs)
	}
}
