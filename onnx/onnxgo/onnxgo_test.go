package onnxgo_test

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
)

// TestLeNetReadmeFlow runs onnx-go's README flow on an exported LeNet at
// batch 1 and 128 and at each opset the exporter writes: the outputs equal
// onnxkit's own Run of the file and are within 1e-5 of onnxruntime's.
func TestLeNetReadmeFlow(t *testing.T) {
	for _, opset := range []int{11, 13, 18} {
		f := lenet(t, opset)
		for _, batch := range []int{1, 128} {
			in := randomImages(batch, uint64(batch))
			out := runOnnxGo(t, f.b, in)
			if len(out) != 1 {
				t.Fatalf("opset %d batch %d: %d outputs, want 1", opset, batch, len(out))
			}
			if want := []int{batch, 10}; !out[0].Shape().Eq(tensor.Shape(want)) {
				t.Fatalf("opset %d batch %d: output shape %v, want %v", opset, batch, out[0].Shape(), want)
			}
			_, kit := kitRun(t, f.b, map[string]*tensor.Dense{"input": in})
			sameTensor(t, "LeNet output", out[0], kit["output"])

			ortOut, err := ort.Run(f.path, map[string]*tensor.Dense{"input": in}, nil)
			peer.Require(t, err)
			if d, at := maxDiff(float32s(t, out[0]), float32s(t, ortOut["output"])); d > 1e-5 {
				t.Fatalf("opset %d batch %d: element %d differs from onnxruntime by %g", opset, batch, at, d)
			}
		}
	}
}
