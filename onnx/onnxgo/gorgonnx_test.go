package onnxgo_test

import (
	"testing"

	gonnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx/onnxgo"
)

// computation is what onnx-go's Backend plus Run gives: gorgonnx's Graph
// and this package's both are.
type computation interface {
	gonnx.Backend
	Run() error
}

// runs decodes b into backend and runs it on the same input runs times,
// returning each run's first output or error.
func runs(t *testing.T, backend computation, b []byte, in *tensor.Dense, n int) ([][]float32, error) {
	t.Helper()
	m := decodeWith(t, backend, b)
	var outs [][]float32
	for range n {
		if err := m.SetInput(0, in.Clone().(*tensor.Dense)); err != nil {
			return outs, err
		}
		if err := backend.Run(); err != nil {
			return outs, err
		}
		o, err := m.GetOutputTensors()
		if err != nil {
			return outs, err
		}
		outs = append(outs, append([]float32(nil), float32s(t, o[0])...))
	}
	return outs, nil
}

// TestGorgonnxSideBySide runs two cases gorgonnx gets wrong through
// onnx-go with gorgonnx and with this backend. onnxkit's answers must match
// onnxruntime's on every run; gorgonnx's are logged (with -v) for the
// record.
//
//   - LeNet (Gemm with a bias) at batch 1, run three times: gorgonnx adds
//     the bias into the bias at every run, so its second and later answers
//     drift away.
//   - The Keras inception fixture (Reshape of its input and a flattening
//     Reshape to [-1, 4704]) at batch 4: gorgonnx's Reshape expects the
//     size of one sample and fails.
func TestGorgonnxSideBySide(t *testing.T) {
	f := lenet(t, 13)
	in := randomImages(1, 99)
	want, err := ort.Run(f.path, map[string]*tensor.Dense{"input": in}, nil)
	peer.Require(t, err)

	kit, err := runs(t, onnxgo.NewGraph(), f.b, in, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range kit {
		if d, at := maxDiff(o, float32s(t, want["output"])); d > 1e-5 {
			t.Fatalf("LeNet run %d: onnxkit's element %d differs from onnxruntime by %g", i+1, at, d)
		}
	}
	gg, err := runs(t, gorgonnx.NewGraph(), f.b, in, 3)
	for i, o := range gg {
		d, at := maxDiff(o, float32s(t, want["output"]))
		t.Logf("LeNet batch 1, run %d: gorgonnx differs from onnxruntime by %.3g (element %d: %v, want %v); onnxkit by at most 1e-5",
			i+1, d, at, o[at], float32s(t, want["output"])[at])
	}
	if err != nil {
		t.Logf("LeNet: gorgonnx failed: %v", err)
	}

	// The Keras inception fixture at batch 4: it reshapes its NHWC input
	// to NCHW and flattens with Reshape to [-1, 4704].
	var fx *fixture
	for _, f := range fixtures(t) {
		if f.name == "keras-tf2onnx-inception-op13-refio" {
			fx = f
		}
	}
	if fx == nil {
		if peer.InCI() {
			t.Fatal("fixture keras-tf2onnx-inception-op13-refio is missing")
		}
		t.Skip("fixture keras-tf2onnx-inception-op13-refio is missing")
	}
	x := fx.batch(t, 0, 4)
	ref, err := ort.Run(fx.path, map[string]*tensor.Dense{fx.input: x}, nil)
	peer.Require(t, err)
	out := fx.kit.Outputs()[0].Name
	kit, err = runs(t, onnxgo.NewGraph(), fx.b, x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range kit {
		if d, at := rowExcess(o, float32s(t, ref[out]), 10); d > fixtureTolerance || len(o) != 40 {
			t.Fatalf("inception run %d: onnxkit's element %d differs from onnxruntime by %g (%d elements)", i+1, at, d, len(o))
		}
	}
	gg, err = runs(t, gorgonnx.NewGraph(), fx.b, x, 1)
	switch {
	case err != nil:
		t.Logf("inception at batch 4: gorgonnx fails: %v; onnxkit matches onnxruntime", err)
	default:
		d, _ := maxDiff(gg[0], float32s(t, ref[out]))
		t.Logf("inception at batch 4: gorgonnx returns %d elements, differing from onnxruntime by %g", len(gg[0]), d)
	}
}
