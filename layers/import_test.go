package layers_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbinet/npyio"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/trainer"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

func readNpy(t *testing.T, path string) ([]float32, []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var data []float32
	if err := r.Read(&data); err != nil {
		t.Fatal(err)
	}
	return data, r.Header.Descr.Shape
}

// TestFromONNXKerasFixtures imports real Keras exports into trainable
// layers and checks that their forward pass equals onnxruntime's outputs
// (the fixture's derived_ort_output.npy, and a live onnxruntime run on MNIST
// test images) within 1e-5.
func TestFromONNXKerasFixtures(t *testing.T) {
	dir := peer.Fixtures(t)
	_, test := shortTrainedTestSet(t)
	for _, fx := range []struct{ name, file string }{
		{"keras-tf2onnx-lenet-k3-op15", "model.onnx"},
		{"keras2onnx-cnn-nhwc-op11", "keras_mnist.onnx"},
		{"keras-tf2onnx-mlp-op13-go", "mnist.onnx"},
	} {
		t.Run(fx.name, func(t *testing.T) {
			path := filepath.Join(dir, fx.name, fx.file)
			m, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			seq, opt, err := layers.FromONNX(m)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("imported %d layers, %d parameters, input %q layout %s", len(seq.Layers), seq.NumParams(), opt.InputName, opt.Layout)
			tr, err := trainer.New(seq)
			if err != nil {
				t.Fatal(err)
			}
			x, shape := readNpy(t, filepath.Join(dir, fx.name, "derived_ort_input.npy"))
			want, _ := readNpy(t, filepath.Join(dir, fx.name, "derived_ort_output.npy"))
			got, err := tr.Predict(x, shape[0], 16)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(got, want); d > 1e-5 {
				t.Errorf("imported layers vs derived_ort_output.npy: max difference %.3g", d)
			}
			// Live onnxruntime on 256 MNIST test images.
			_, ortErr := ort.Version()
			peer.Require(t, ortErr)
			sess, err := ort.Open(path, []string{opt.OutputName})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			const n = 256
			ins := sess.Inputs()
			ortShape := []int{n}
			for _, d := range ins[0].Dims[1:] {
				ortShape = append(ortShape, int(d))
			}
			xs := append([]float32(nil), test.Images[:n*784]...)
			res, err := sess.Run(map[string]*tensor.Dense{ins[0].Name: tensor.New(tensor.WithShape(ortShape...), tensor.WithBacking(xs))})
			if err != nil {
				t.Fatal(err)
			}
			got, err = tr.Predict(test.Images[:n*784], n, 64)
			if err != nil {
				t.Fatal(err)
			}
			d := maxAbsDiff(got, res[opt.OutputName].Data().([]float32))
			// And onnxkit's own ONNX runtime path on the same file.
			rt, err := m.Run(map[string]*tensor.Dense{ins[0].Name: tensor.New(tensor.WithShape(ortShape...), tensor.WithBacking(xs))}, opt.OutputName)
			if err != nil {
				t.Fatal(err)
			}
			dr := maxAbsDiff(got, rt[opt.OutputName].Data().([]float32))
			t.Logf("imported layers on %d MNIST images: max difference %.3g vs onnxruntime, %.3g vs onnxkit's ONNX runtime", n, d, dr)
			if d > 1e-5 || dr > 1e-5 {
				t.Errorf("max difference %.3g (onnxruntime), %.3g (onnx runtime) > 1e-5", d, dr)
			}
		})
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func shortTrainedTestSet(t *testing.T) (*trainer.Trainer, *mnist.Set) {
	tr, test := shortTrained(t)
	return tr, test
}

// TestFromONNXRoundTrip exports an onnxkit model in each layout and imports
// it back: same layers, same weights, same signature.
func TestFromONNXRoundTrip(t *testing.T) {
	m, err := layers.LeNet(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(9, 0)))
	for _, layout := range []layers.Layout{layers.NCHW, layers.NHWC, layers.NHW} {
		t.Run(string(layout), func(t *testing.T) {
			path := writeModel(t, m, layers.ExportOptions{Opset: 13, Layout: layout, InputName: "pixels", OutputName: "probs"})
			om, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			back, opt, err := layers.FromONNX(om)
			if err != nil {
				t.Fatal(err)
			}
			if opt.Layout != layout || opt.InputName != "pixels" || opt.OutputName != "probs" {
				t.Errorf("signature %+v", opt)
			}
			if back.Summary() != m.Summary() {
				t.Errorf("summary differs:\n%s\n%s", back.Summary(), m.Summary())
			}
			for i, p := range m.Params() {
				a, b := p.Value.Data().([]float32), back.Params()[i].Value.Data().([]float32)
				if maxAbsDiff(a, b) != 0 {
					t.Fatalf("%s differs after the round trip", p.Name)
				}
			}
		})
	}
}

func TestFromONNXRefusesNonSequential(t *testing.T) {
	dir := peer.Fixtures(t)
	m, err := onnx.Load(filepath.Join(dir, "keras-tf2onnx-inception-op13-refio", "mnist_cnn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = layers.FromONNX(m)
	if err == nil || !strings.Contains(err.Error(), "feeds 2 nodes") {
		t.Fatalf("err = %v, want a branch error", err)
	}
}
