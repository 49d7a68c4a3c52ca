package ops_test

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/onnx"
)

// runWithORT runs the model file at path on feeds in onnxruntime and in
// onnxkit and returns both outputs, onnxkit's first. A failure on either
// side is reported as a test error naming the case, and ok is false: the
// caller goes on to its next case.
func runWithORT(t *testing.T, name, path string, feeds map[string]*tensor.Dense) (got, want map[string]*tensor.Dense, ok bool) {
	t.Helper()
	want, err := ort.Run(path, feeds, nil)
	if err != nil {
		t.Errorf("%s: onnxruntime: %v", name, err)
		return nil, nil, false
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Errorf("%s: load: %v", name, err)
		return nil, nil, false
	}
	got, err = m.Run(feeds)
	if err != nil {
		t.Errorf("%s: run: %v", name, err)
		return nil, nil, false
	}
	return got, want, true
}
