package main

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

func TestEvalGuessLayout(t *testing.T) {
	dims := func(ds ...any) tensors.Type {
		ty := tensors.Type{DType: tensors.Float32, RankKnown: true}
		for _, d := range ds {
			switch v := d.(type) {
			case int:
				ty.Dims = append(ty.Dims, tensors.Dim{Size: v})
			case string:
				ty.Dims = append(ty.Dims, tensors.Dim{Size: -1, Param: v})
			}
		}
		return ty
	}
	for _, tc := range []struct {
		ty   tensors.Type
		want string // layout, or "error: ..." text
	}{
		{dims("N", 1, 28, 28), "nchw"},
		{dims(1, 1, 28, 28), "nchw"},
		{dims("unk__51", 28, 28, 1), "nhwc"},
		{dims("N", 784), "flat"},
		{dims("batch", 28, 28), "nhw"},
		{dims("N", "C", 28, 28), "nchw"},
		{dims("N", "H", "W", "C"), "error: nchw or nhwc?"},
		{dims("N", 3, 32, 32), "error: not a batch of 28x28"},
		{dims("N", 10), "error: not a batch of 28x28"},
		{dims("N", 1, 28, 28, 1), "error: not a batch of 28x28"},
		{tensors.Type{DType: tensors.Float32}, "error: no declared shape"},
	} {
		got, err := guessLayout("x", tc.ty)
		if strings.HasPrefix(tc.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.want, "error: ")) || !strings.Contains(err.Error(), `"x"`) {
				t.Errorf("%v: got %q, %v; want an error saying %q", tc.ty, got, err, tc.want)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q, %v; want %s", tc.ty, got, err, tc.want)
		}
	}
}

// pixelModel scores each image by its pixels minus shift, through Relu:
// x (in the given input shape) -> Sub(shift) -> Relu -> Reshape [-1, 784].
func pixelModel(t *testing.T, dir, name string, shift float32, inDims ...any) string {
	return saveModelProto(t, dir, name, graphModel(14, &onnxpb.GraphProto{
		Name: "pixels",
		Node: []*onnxpb.NodeProto{
			node("Sub", "shift", []string{"x", "c"}, []string{"d"}),
			node("Relu", "relu", []string{"d"}, []string{"r"}),
			node("Reshape", "flatten", []string{"r", "shape"}, []string{"scores"}),
		},
		Initializer: []*onnxpb.TensorProto{
			mustProto(t, "c", []int{}, []float32{shift}),
			mustProto(t, "shape", []int{2}, []int64{-1, 784}),
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", tensors.Float32, inDims...)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("scores", tensors.Float32, "N", 784)},
	}))
}

var (
	evalTestOnce sync.Once
	evalTestSet  *mnist.Set
	evalTestErr  error
)

// pixelAccuracy is what eval must report for pixelModel: the share of the
// first n test images whose label is the index of their largest score.
func pixelAccuracy(t *testing.T, n int, shift float64, scale float64) string {
	evalTestOnce.Do(func() { _, evalTestSet, evalTestErr = mnist.Load("") })
	if evalTestErr != nil {
		t.Fatal(evalTestErr)
	}
	test := evalTestSet
	correct := 0
	for i := 0; i < n; i++ {
		best, bestV := 0, -1.0
		for j, p := range test.Image(i) {
			x := float64(p)
			if scale == 255 {
				x = math.Round(x * 255)
			}
			v := math.Max(x-shift, 0)
			if v > bestV {
				best, bestV = j, v
			}
		}
		if best == int(test.Labels[i]) {
			correct++
		}
	}
	return fmt.Sprintf("Test accuracy: %.4f (%d/%d correct)", float64(correct)/float64(n), correct, n)
}

func TestEvalLayoutsAndScale(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	want := pixelAccuracy(t, n, 0, 1)
	for _, tc := range []struct {
		layout string
		dims   []any
		batch  int
	}{
		{"nchw", []any{"N", 1, 28, 28}, 64},
		{"nhwc", []any{"N", 28, 28, 1}, 64},
		{"flat", []any{"N", 784}, 64},
		{"nhw", []any{"N", 28, 28}, 64},
		{"nchw", []any{7, 1, 28, 28}, 7}, // fixed batch: 300 = 42*7 + 6, the last batch padded
	} {
		t.Run(fmt.Sprint(tc.layout, tc.dims[0]), func(t *testing.T) {
			model := pixelModel(t, dir, fmt.Sprintf("%s_%v.onnx", tc.layout, tc.dims[0]), 0, tc.dims...)
			out, stderr, code := onnxkit(t, dir, "eval", model, "--limit", fmt.Sprint(n), "--batch", "64")
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, stderr)
			}
			for _, w := range []string{want, "layout " + tc.layout + ",", fmt.Sprintf("batch %d\n", tc.batch), "Output: scores (784 classes)", fmt.Sprintf("Evaluated %d MNIST test images", n)} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// Scores Relu(x - 100) tell digits apart only from raw pixels; from
	// [0,1] pixels every score is 0 and the argmax is always 0.
	model := pixelModel(t, dir, "shift.onnx", 100, "N", 784)
	for _, scale := range []float64{1, 255} {
		want := pixelAccuracy(t, n, 100, scale)
		out, stderr, code := onnxkit(t, dir, "eval", model, "--limit", fmt.Sprint(n), "--scale", fmt.Sprint(scale))
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--scale %v: exit %d, want %q\n%s%s", scale, code, want, out, stderr)
		}
	}
	if pixelAccuracy(t, n, 100, 1) == pixelAccuracy(t, n, 100, 255) {
		t.Fatal("the scale test model does not depend on the scale")
	}
}

func TestEvalOutputChoice(t *testing.T) {
	dir := t.TempDir()
	// Two outputs: eval must be told which holds the scores.
	model := saveModelProto(t, dir, "two.onnx", graphModel(14, &onnxpb.GraphProto{
		Name: "two",
		Node: []*onnxpb.NodeProto{
			node("Relu", "relu", []string{"x"}, []string{"a"}),
			node("Identity", "id", []string{"x"}, []string{"b"}),
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", tensors.Float32, "N", 784)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("a", tensors.Float32, "N", 784), tensorVI("b", tensors.Float32, "N", 784)},
	}))
	_, stderr, code := onnxkit(t, dir, "eval", model, "--limit", "10")
	if code != 2 || !strings.Contains(stderr, "--output") || !strings.Contains(stderr, "a float32 (N, 784); b float32 (N, 784)") {
		t.Errorf("exit %d, stderr %q: want 2 and the outputs listed", code, stderr)
	}
	out, stderr, code := onnxkit(t, dir, "eval", model, "--limit", "10", "--output", "b")
	if code != 0 || !strings.Contains(out, "Output: b (784 classes)") {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
	_, stderr, code = onnxkit(t, dir, "eval", model, "--output", "nope")
	if code != 1 || !strings.Contains(stderr, `"nope"`) {
		t.Errorf("unknown --output: exit %d, stderr %q", code, stderr)
	}
}

func TestEvalUsageErrors(t *testing.T) {
	dir := t.TempDir()
	model := pixelModel(t, dir, "m.onnx", 0, "N", 784)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--scale", "3"}, "--scale 3"},
		{[]string{"--layout", "hwcn"}, "--layout"},
		{[]string{"--batch", "0"}, "--batch 0"},
		{[]string{"--limit", "-1"}, "--limit -1"},
	} {
		_, stderr, code := onnxkit(t, dir, append([]string{"eval", model}, tc.args...)...)
		if code != 2 || !strings.HasPrefix(stderr, "onnxkit: ") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// A layout the model does not take is a bad input, named.
	_, stderr, code := onnxkit(t, dir, "eval", model, "--layout", "nchw", "--limit", "5")
	if code != 1 || !strings.Contains(stderr, `input "x"`) {
		t.Errorf("--layout nchw on a flat model: exit %d, stderr %q", code, stderr)
	}
}

// TestEvalFixtures measures the accuracy of the real exports on
// t10k[0:1000] with the layout guessed from their input and the scale
// their PROVENANCE.txt gives; it must be what onnxruntime measured.
func TestEvalFixtures(t *testing.T) {
	for _, f := range importFixtures {
		if f.dir == "keras2onnx-cnn-nhwc-op11" {
			continue // the slowest; onnx's TestFixtures covers its accuracy
		}
		t.Run(f.dir, func(t *testing.T) {
			out, stderr, code := onnxkit(t, t.TempDir(), "eval", f.path(t), "--limit", "1000", "--scale", f.scale)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, stderr)
			}
			for _, w := range []string{"Test accuracy: " + f.accuracy, "layout " + f.layout + ","} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("cntk-scale-1", func(t *testing.T) {
		// mnist-8 was trained on raw pixels: [0,1] pixels must not score the same.
		f := findImportFixture(t, "cntk-mnist8-zoo")
		out, stderr, code := onnxkit(t, t.TempDir(), "eval", f.path(t), "--limit", "1000", "--scale", "1")
		if code != 0 || strings.Contains(out, f.accuracy) || !strings.Contains(out, "Test accuracy: ") {
			t.Errorf("exit %d\n%s%s", code, out, stderr)
		}
	})
	t.Run("logits", func(t *testing.T) {
		// The MLP ends in Softmax; its input, the logits, ranks the same.
		f := findImportFixture(t, "keras-tf2onnx-mlp-op13-go")
		mp, err := readModelProto(f.path(t))
		if err != nil {
			t.Fatal(err)
		}
		logits := ""
		for _, n := range mp.GetGraph().GetNode() {
			if n.GetOpType() == "Softmax" {
				logits = n.GetInput()[0]
			}
		}
		out, stderr, code := onnxkit(t, t.TempDir(), "eval", f.path(t), "--limit", "1000", "--output", logits)
		if code != 0 || !strings.Contains(out, "Test accuracy: "+f.accuracy) || !strings.Contains(out, "Output: "+logits+" (10 classes)") {
			t.Errorf("--output %s: exit %d\n%s%s", logits, code, out, stderr)
		}
	})
}
