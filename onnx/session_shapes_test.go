package onnx_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestRealModelSessionsAcrossShapes runs each real model in one session on
// its test_data_set_0 inputs (A) and on other inputs (B: the first batch
// entry where the batch is over 1, other values otherwise; silero_vad
// also switches its If to the other sampling rate and a shorter chunk), in
// the order A, B, A, B, and checks every output bit for bit against a
// plain run: recycled buffers, remembered plans (Resize, Pad, reductions,
// ConvTranspose, Reshape), views (Slice) and the sessions of If branches
// must follow the inputs when their shapes or values change.
func TestRealModelSessionsAcrossShapes(t *testing.T) {
	for _, dir := range realModelFolders(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name != "silero_vad" && name != "keras_lstm_squats" {
				t.Skip("short: two models only")
			}
			m, rm := loadRealModel(t, dir)
			b := otherInputs(t, name, rm.inputs)
			s := m.NewSession()
			for k, in := range []map[string]*tensors.Tensor{rm.inputs, b, rm.inputs, b} {
				want, err := m.RunTensors(in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Run(in)
				if err != nil {
					t.Fatalf("run %d: %v", k, err)
				}
				for o, w := range want {
					if err := sameValues(got[o], w); err != nil {
						t.Fatalf("run %d: output %q: %v", k, o, err)
					}
				}
			}
		})
	}
}

// otherInputs returns the B inputs of TestRealModelSessionsAcrossShapes.
func otherInputs(t *testing.T, model string, a map[string]*tensors.Tensor) map[string]*tensors.Tensor {
	t.Helper()
	b := map[string]*tensors.Tensor{}
	for name, x := range a {
		y := x.Clone()
		if f, ok := y.Data().([]float32); ok {
			for i := range f {
				f[i] = f[i]*0.75 + 0.01
			}
			if s := y.Shape(); len(s) >= 2 && s[0] > 1 && model != "silero_vad" {
				n := len(f) / s[0]
				var err error
				if y, err = tensors.New(append([]int{1}, s[1:]...), f[:n]); err != nil {
					t.Fatal(err)
				}
			}
		}
		b[name] = y
	}
	if model == "silero_vad" {
		x, ok := b["input"]
		if !ok {
			t.Fatalf("silero_vad inputs: %v", a)
		}
		short, err := tensors.New([]int{1, 256}, tensors.Data[float32](x)[:256])
		if err != nil {
			t.Fatal(err)
		}
		b["input"] = short
		b["sr"] = tensors.Scalar(int64(8000))
	}
	return b
}

// sameValues compares two tensors of any element type bit for bit (NaNs
// equal).
func sameValues(got, want *tensors.Tensor) error {
	if got == nil || got.DType() != want.DType() || !tensors.SameShape(got.Shape(), want.Shape()) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	if want.DType() == tensors.Float32 {
		if !sameData(got, want) {
			return fmt.Errorf("values differ from a plain run")
		}
		return nil
	}
	g, err1 := onnx.ToDense(got)
	w, err2 := onnx.ToDense(want)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%v %v", err1, err2)
	}
	if fmt.Sprint(g.Data()) != fmt.Sprint(w.Data()) {
		return fmt.Errorf("values differ from a plain run")
	}
	return nil
}
