package main

import (
	"errors"
	"fmt"
	"io"
	"math"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/trainer"
)

// exportCheckTolerance is the largest difference between onnxruntime's and
// onnxkit's probabilities that a verified export may show.
const exportCheckTolerance = 1e-5

// verifyExport runs the exported file in onnxruntime on the test set and
// compares it with onnxkit's own forward pass: every output within
// exportCheckTolerance and the same accuracy. Without onnxruntime it says
// so and returns nil, unless required.
func verifyExport(out io.Writer, path string, tr *trainer.Trainer, test trainer.Dataset, layout layers.Layout, required bool) error {
	ver, err := ort.Version()
	if err != nil {
		if required || !errors.Is(err, ort.ErrUnavailable) {
			return fmt.Errorf("verify %s: %w", path, err)
		}
		fmt.Fprintf(out, "Not verified with onnxruntime: %v\n", err)
		return nil
	}
	sess, err := ort.Open(path, nil)
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	defer sess.Close()
	ins, outs := sess.Inputs(), sess.Outputs()
	if len(ins) != 1 || len(outs) != 1 {
		return fmt.Errorf("verify %s: onnxruntime sees %d inputs and %d outputs, want 1 and 1", path, len(ins), len(outs))
	}
	const batch = 128
	images, labels := trainer.Flatten(test)
	nTest := test.Len()
	want, err := tr.Predict(images, nTest, batch)
	if err != nil {
		return err
	}
	classes := tr.Classes
	var maxDiff float64
	agreeORT, correctORT, correctGo := 0, 0, 0
	for from := 0; from < nTest; from += batch {
		n := min(batch, nTest-from)
		shape := append([]int{n}, tr.Model.Input...) // one channel: NCHW, NHWC and NHW share the bytes
		switch in := tr.Model.Input; {
		case len(in) != 3:
		case layout == layers.NHWC:
			shape = []int{n, in[1], in[2], in[0]}
		case layout == layers.NHW:
			shape = []int{n, in[1], in[2]}
		}
		size := len(images) / max(nTest, 1)
		x := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(toLayout(images[from*size:(from+n)*size], n, tr.Model.Input, layout)))
		res, err := sess.Run(map[string]*tensor.Dense{ins[0].Name: x})
		if err != nil {
			return fmt.Errorf("verify %s: %w", path, err)
		}
		got, ok := res[outs[0].Name].Data().([]float32)
		if !ok || len(got) != n*classes {
			return fmt.Errorf("verify %s: onnxruntime output %q has %v values, want %d float32", path, outs[0].Name, res[outs[0].Name].Shape(), n*classes)
		}
		for i := 0; i < n; i++ {
			g, w := got[i*classes:(i+1)*classes], want[(from+i)*classes:(from+i+1)*classes]
			for j := range g {
				maxDiff = max(maxDiff, math.Abs(float64(g[j]-w[j])))
			}
			a, b := argmax(g), argmax(w)
			if a == b {
				agreeORT++
			}
			label := labels[from+i]
			if a == label {
				correctORT++
			}
			if b == label {
				correctGo++
			}
		}
	}
	n := float64(nTest)
	fmt.Fprintf(out, "Verified %s with onnxruntime %s on %d test images: max |difference| %.3g, argmax agreement %d/%d, test accuracy onnxruntime %.4f, onnxkit %.4f\n",
		path, ver, nTest, maxDiff, agreeORT, nTest, float64(correctORT)/n, float64(correctGo)/n)
	if maxDiff > exportCheckTolerance || correctORT != correctGo {
		return fmt.Errorf("verify %s: onnxruntime disagrees with onnxkit (max difference %.3g, tolerance %g; accuracy %.4f vs %.4f)",
			path, maxDiff, exportCheckTolerance, float64(correctORT)/n, float64(correctGo)/n)
	}
	return nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
