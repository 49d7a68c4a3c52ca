package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
)

var binary string

// TestMain builds the onnxkit binary once; the tests run it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onnxkit-cli-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "onnxkit")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// command prepares the binary to run in dir, with the onnxruntime library
// the tests use (the binary looks for it from its working directory).
func command(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	if lib, err := ort.Library(); err == nil {
		cmd.Env = append(os.Environ(), ort.LibraryEnv+"="+lib)
	}
	return cmd
}

// onnxkit runs the binary in dir and returns stdout, stderr and the exit code.
func onnxkit(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := command(dir, args...)
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

func TestTrainUsageAndInputErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"zero-epochs", []string{"train", "--epochs", "0"}, 2, "--epochs 0"},
		{"bad-split", []string{"train", "--val-split", "1"}, 2, "--val-split"},
		{"unknown-flag", []string{"train", "--bogus"}, 2, "unknown flag: --bogus"},
		{"bad-opset", []string{"train", "--opset", "9"}, 2, "--opset 9"},
		{"bad-layout", []string{"train", "--layout", "hwcn"}, 2, "--layout"},
		{"unknown-command", []string{"trian"}, 2, "unknown command"},
		{"missing-data", []string{"train", "--data", dir, "--out", ""}, 1, dir},
		{"unwritable-out", []string{"train", "--out", filepath.Join(dir, "no", "such", "m.onnx")}, 1, "cannot write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, stderr, code := onnxkit(t, dir, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			first := strings.SplitN(stderr, "\n", 2)[0]
			if !strings.HasPrefix(first, "onnxkit: ") || !strings.Contains(first, tc.want) {
				t.Fatalf("first stderr line %q, want it to mention %q", first, tc.want)
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %v: errors must come before training", time.Since(start))
			}
		})
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	out, _, code := onnxkit(t, t.TempDir(), "train", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range []string{"--epochs", "--batch", "--val-split", "--seed", "--limit", "--data", "--logdir", "--out", "--opset", "--layout", "--verify"} {
		if !strings.Contains(out, f) {
			t.Errorf("train --help does not mention %s", f)
		}
	}
}

// TestTrainSmokeExportsVerifiedModel is a tiny end-to-end run: train, test
// metrics, TensorBoard logs, export, and (when onnxruntime is installed)
// verification of the export.
func TestTrainSmokeExportsVerifiedModel(t *testing.T) {
	dir := t.TempDir()
	_, ortErr := ort.Version()
	peer.Require(t, ortErr)
	out, stderr, code := onnxkit(t, dir, "train", "--epochs", "1", "--limit", "640", "--seed", "3", "--layout", "nhwc", "--opset", "11", "--verify", "onnxruntime")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"Total params: 1,256,080", "Epoch 1/1", "4/4 - ", "val_accuracy: ", "Test loss: ", "Test accuracy: ", "Exported lenet.onnx (opset 11, layout nhwc)", "argmax agreement 10000/10000"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, run := range []string{"train", "validation"} {
		files, _ := filepath.Glob(filepath.Join(dir, "logdir_lenet", run, "events.out.tfevents.*"))
		if len(files) != 1 {
			t.Errorf("logdir_lenet/%s holds %d event files", run, len(files))
		}
	}
}

// TestTrainInterruptExportsUsableModel sends SIGINT during training: the
// run stops after the current step, exports, and the file is a model.
func TestTrainInterruptExportsUsableModel(t *testing.T) {
	dir := t.TempDir()
	cmd := command(dir, "train", "--epochs", "50", "--limit", "2000", "--logdir", "", "--verify", "off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "Epoch 2/50") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("interrupted run failed: %v\n%s", err, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "Interrupted") || !strings.Contains(s, "Exported lenet.onnx") {
		t.Fatalf("output:\n%s", s)
	}
	if err := peer.CheckModel(filepath.Join(dir, "lenet.onnx"), true); err != nil {
		_, perr := peer.PythonONNXVersion()
		if perr == nil {
			t.Fatal(err)
		}
	}
}
