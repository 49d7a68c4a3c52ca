package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMemoryLimitAndTimeoutFlags checks the global --memory-limit and
// --timeout flags: a limit too small for a model's run or its file fails
// cleanly (exit 1, one line naming what is at fault), a never-ending
// device is cut off at the limit, a run past its deadline stops with an
// error naming a node, and bad values are usage errors (exit 2).
func TestMemoryLimitAndTimeoutFlags(t *testing.T) {
	dir := t.TempDir()
	model := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	ones := make([]float32, 80)
	for i := range ones {
		ones[i] = 1
	}
	writeTensor(t, a, "", f32(t, []int{20, 4}, ones...))
	writeTensor(t, b, "", f32(t, []int{20, 4}, ones...))
	run := []string{"run", model, "--input", "a=" + a, "--input", "b=" + b, "--output", "y=" + filepath.Join(dir, "y.npy")}

	if _, stderr, code := onnxkit(t, dir, run...); code != 0 {
		t.Fatalf("run without limits: exit %d: %s", code, stderr)
	}
	// The 359-byte file fits in 400 bytes, but the run holds two 320-byte
	// tensors at once from node add_b on.
	wantCleanFailure(t, dir, append([]string{"--memory-limit", "400B"}, run...), `node "add_b" (Add)`, "memory limit of 400 bytes")
	wantCleanFailure(t, dir, append([]string{"--memory-limit", "100B"}, run...), "small.onnx", "more than the memory limit of 100 bytes")

	start := time.Now()
	wantCleanFailure(t, dir, []string{"inspect", "/dev/zero", "--memory-limit", "1MiB"}, "/dev/zero", "memory limit of 1048576 bytes")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("inspect /dev/zero with a 1 MiB limit took %v", d)
	}

	wantCleanFailure(t, dir, append([]string{"--timeout", "1ns"}, run...), "stopped before node", "deadline exceeded")

	for _, bad := range [][]string{{"--memory-limit", "lots"}, {"--memory-limit", "0"}, {"--timeout", "-1s"}} {
		_, stderr, code := onnxkit(t, dir, append(bad, run...)...)
		if code != 2 || !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the flag", bad, code, stderr)
		}
	}
}
