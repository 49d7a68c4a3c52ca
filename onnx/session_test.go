package onnx_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// lenetInput returns n random images as the LeNet export's input.
func lenetInput(t testing.TB, n int, seed uint64) map[string]*tensors.Tensor {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, n*784)
	for i := range data {
		data[i] = r.Float32()
	}
	x, err := tensors.New([]int{n, 1, 28, 28}, data)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*tensors.Tensor{"input": x}
}

// TestSessionMatchesRun runs the LeNet export in one session with changing
// batch sizes and inputs (so that some runs recycle the tensors of the run
// before and some cannot) and checks every output bit for bit against a
// plain run, which allocates everything afresh.
func TestSessionMatchesRun(t *testing.T) {
	m := lenetExport(t)
	s := m.NewSession()
	for i, n := range []int{1, 1, 3, 3, 1, 128, 128, 3} {
		in := lenetInput(t, n, uint64(i))
		want, err := m.RunTensors(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Run(in)
		if err != nil {
			t.Fatalf("run %d (batch %d): %v", i, n, err)
		}
		for name, w := range want {
			if !sameData(got[name], w) {
				t.Fatalf("run %d (batch %d): output %q differs from a plain run", i, n, name)
			}
		}
	}
}

// TestSessionOutputsValidUntilNextRun checks the ownership contract:
// outputs are overwritten by the next run of the same session, so callers
// that keep them must clone them, and a clone stays intact.
func TestSessionOutputsValidUntilNextRun(t *testing.T) {
	m := lenetExport(t)
	s := m.NewSession()
	out, err := s.Run(lenetInput(t, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	first := out["output"]
	kept := first.Clone()
	if _, err := s.Run(lenetInput(t, 2, 2)); err != nil {
		t.Fatal(err)
	}
	if sameData(first, kept) {
		t.Fatal("the second run did not reuse the first run's output tensor; the session recycles nothing")
	}
	want, err := m.RunTensors(lenetInput(t, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !sameData(kept, want["output"]) {
		t.Fatal("a clone of a session output changed")
	}
}

// TestSessionBadInputs checks that a session rejects bad inputs like Run,
// and still works afterwards.
func TestSessionBadInputs(t *testing.T) {
	m := lenetExport(t)
	s := m.NewSession()
	wrong, _ := tensors.New([]int{1, 3, 28, 28}, make([]float32, 3*784))
	cases := map[string]map[string]*tensors.Tensor{
		"not a graph input": {"pixels": wrong},
		"dimension 1 is 3":  {"input": wrong},
		"missing input":     {},
	}
	for want, in := range cases {
		_, err := s.Run(in)
		if !errors.Is(err, onnx.ErrBadInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("inputs %v: error %v, want ErrBadInput mentioning %q", in, err, want)
		}
	}
	if _, err := s.Run(lenetInput(t, 1, 1)); err != nil {
		t.Fatalf("good run after bad ones: %v", err)
	}
}

// TestRunContextCancelled checks that a cancelled or expired context stops
// a run with an error that wraps the context's and names a node.
func TestRunContextCancelled(t *testing.T) {
	m := lenetExport(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.RunTensorsContext(ctx, lenetInput(t, 1, 1))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped before node") {
		t.Fatalf("RunTensorsContext: %v, want context.Canceled naming a node", err)
	}
	_, err = m.NewSession().RunContext(ctx, lenetInput(t, 1, 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Session.RunContext: %v, want context.Canceled", err)
	}
}

// sameData compares type, shape and element bits.
func sameData(a, b *tensors.Tensor) bool {
	if a == nil || b == nil || a.DType() != b.DType() || !tensors.SameShape(a.Shape(), b.Shape()) {
		return false
	}
	x, y := tensors.Data[float32](a), tensors.Data[float32](b)
	for i := range x {
		if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
			return false
		}
	}
	return true
}
