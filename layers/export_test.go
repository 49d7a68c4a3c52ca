package layers_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/trainer"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

var (
	trainedOnce sync.Once
	trained     *trainer.Trainer
	testSet     *mnist.Set
	trainedErr  error
)

// shortTrained is a LeNet after a short training run (1 epoch on 1,000
// images), so that its weights are no longer the initial ones.
func shortTrained(t *testing.T) (*trainer.Trainer, *mnist.Set) {
	trainedOnce.Do(func() {
		var train *mnist.Set
		train, testSet, trainedErr = mnist.Load("")
		if trainedErr != nil {
			return
		}
		m, err := layers.LeNet(tensor.Float32)
		if err != nil {
			trainedErr = err
			return
		}
		m.Init(rand.New(rand.NewPCG(5, 0)))
		if trained, trainedErr = trainer.New(m); trainedErr != nil {
			return
		}
		_, trainedErr = trained.Fit(context.Background(), train.Slice(0, 1000), trainer.Config{Epochs: 1, Batch: 64, ValSplit: -1, Seed: 5})
	})
	if trainedErr != nil {
		t.Fatal(trainedErr)
	}
	return trained, testSet
}

func writeModel(t *testing.T, m *layers.Sequential, opt layers.ExportOptions) string {
	t.Helper()
	mp, err := layers.ToONNX(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("lenet-op%d-%s.onnx", opt.Opset, opt.Layout))
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExportPassesONNXChecker runs ONNX's own checker with full_check on
// the exported LeNet in both layouts at opsets 11, 13 and 18.
func TestExportPassesONNXChecker(t *testing.T) {
	tr, _ := shortTrained(t)
	_, err := peer.PythonONNXVersion()
	peer.Require(t, err)
	for _, opset := range []int{11, 13, 18} {
		for _, nhwc := range []bool{false, true} {
			t.Run(fmt.Sprintf("opset%d-nhwc=%v", opset, nhwc), func(t *testing.T) {
				path := writeModel(t, tr.Model, layers.ExportOptions{Opset: opset, Layout: layoutOf(nhwc)})
				if err := peer.CheckModel(path, true); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestExportMatchesOnnxruntime runs the exported LeNet in onnxruntime on
// 1,000 MNIST test images at batch sizes 1, 7 and 128, in both layouts:
// every output within 1e-5 of onnxkit's own forward pass, and the same
// accuracy.
func TestExportMatchesOnnxruntime(t *testing.T) {
	tr, test := shortTrained(t)
	_, err := ort.Version()
	peer.Require(t, err)
	const n = 1000
	set := test.Slice(0, n)
	want, err := tr.Predict(set.Images, n, 128)
	if err != nil {
		t.Fatal(err)
	}
	goAcc := accuracy(want, set.Labels)
	for _, nhwc := range []bool{false, true} {
		path := writeModel(t, tr.Model, layers.ExportOptions{Opset: 13, Layout: layoutOf(nhwc)})
		sess, err := ort.Open(path, []string{"output"})
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 7, 128} {
			// Compare onnxkit at this batch size too: results must not
			// depend on how the images are batched.
			goOut, err := tr.Predict(set.Images, n, batch)
			if err != nil {
				t.Fatal(err)
			}
			var got []float32
			for from := 0; from < n; from += batch {
				m := min(batch, n-from)
				shape := []int{m, 1, 28, 28}
				if nhwc {
					shape = []int{m, 28, 28, 1} // one channel: the same bytes
				}
				x := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), set.Images[from*784:(from+m)*784]...)))
				out, err := sess.Run(map[string]*tensor.Dense{"input": x})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, out["output"].Data().([]float32)...)
			}
			var maxDiff, maxSelf float64
			for i := range want {
				maxDiff = max(maxDiff, math.Abs(float64(got[i]-want[i])))
				maxSelf = max(maxSelf, math.Abs(float64(goOut[i]-want[i])))
			}
			ortAcc := accuracy(got, set.Labels)
			t.Logf("nhwc=%v batch %d: max |ORT − onnxkit| = %.3g, onnxkit batch drift %.3g, accuracy ORT %.4f onnxkit %.4f", nhwc, batch, maxDiff, maxSelf, ortAcc, goAcc)
			if maxDiff > 1e-5 || maxSelf > 1e-5 {
				t.Errorf("nhwc=%v batch %d: max difference %.3g (ORT) %.3g (onnxkit batches), want ≤ 1e-5", nhwc, batch, maxDiff, maxSelf)
			}
			if ortAcc != goAcc {
				t.Errorf("nhwc=%v batch %d: accuracy ORT %.4f, onnxkit %.4f", nhwc, batch, ortAcc, goAcc)
			}
		}
		sess.Close()
	}
}

func accuracy(probs []float32, labels []uint8) float64 {
	correct := 0
	for i, l := range labels {
		row := probs[i*10 : (i+1)*10]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		if best == int(l) {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

func TestExportErrors(t *testing.T) {
	m, err := layers.LeNet(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for _, opset := range []int{10, 19, -1} {
		if _, err := layers.ToONNX(m, layers.ExportOptions{Opset: opset}); err == nil {
			t.Errorf("opset %d accepted", opset)
		}
	}
	flat, _ := layers.NewSequential(tensor.Float32, []int{4}, &layers.Dense{Units: 2})
	if _, err := layers.ToONNX(flat, layers.ExportOptions{Layout: layers.NHWC}); err == nil {
		t.Error("NHWC export of a flat-input model accepted")
	}
}

func layoutOf(nhwc bool) layers.Layout {
	if nhwc {
		return layers.NHWC
	}
	return layers.NCHW
}
