package main

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func writeTensor(t *testing.T, path, name string, x *tensors.Tensor) {
	t.Helper()
	if err := onnx.WriteTensorFile(path, name, x); err != nil {
		t.Fatal(err)
	}
}

func readTensor(t *testing.T, path string) *tensors.Tensor {
	t.Helper()
	x, err := onnx.ReadTensorFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func f32(t *testing.T, shape []int, v ...float32) *tensors.Tensor {
	t.Helper()
	x, err := tensors.New(shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestRunSmallModel(t *testing.T) {
	dir := t.TempDir()
	model := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	writeTensor(t, filepath.Join(dir, "a.npy"), "", f32(t, []int{2, 4}, 1, 2, 3, 4, 5, 6, 7, 8))
	writeTensor(t, filepath.Join(dir, "b.pb"), "b", f32(t, []int{2, 4}, 0, 0, 0, 0, -100, 0, 0, 100))

	// y = relu(a + 2w + b), w = [1 -2 3 -4].
	wantY := []float32{3, 0, 9, 0, 0, 2, 13, 100}
	out, stderr, code := onnxkit(t, dir, "run", model, "--input", "a=a.npy", "--input", "b=b.pb",
		"--output", "y=y.npy", "--output", "y=y.pb", "--output", "z=z.npy", "--output", "s")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, p := range []string{"y.npy", "y.pb"} {
		y := readTensor(t, filepath.Join(dir, p))
		if !reflect.DeepEqual(y.Shape(), []int{2, 4}) || !reflect.DeepEqual(y.Data(), wantY) {
			t.Errorf("%s holds %v %v, want [2 4] %v", p, y, y.Data(), wantY)
		}
	}
	z := readTensor(t, filepath.Join(dir, "z.npy"))
	if !reflect.DeepEqual(z.Shape(), []int{4, 2}) || !reflect.DeepEqual(z.Data(), wantY) {
		t.Errorf("z.npy holds %v %v", z, z.Data())
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^y: shape \(2, 4\) float32 min 0 max 100 mean 15.875 argmax \[2 3\]$`),
		regexp.MustCompile(`(?m)^  saved to y\.npy$`),
		regexp.MustCompile(`(?m)^  saved to y\.pb$`),
		regexp.MustCompile(`(?m)^z: shape \(4, 2\) float32 .* argmax \[0 0 1 1\]$`),
		// The intermediate s = a + w, printed only.
		regexp.MustCompile(`(?m)^s: shape \(2, 4\) float32 min 0 max 10 mean 4 argmax \[2 2\]$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}

	// Without --output every graph output is printed; a .pb input keeps
	// working without NAME= when the model has one input to feed.
	out, stderr, code = onnxkit(t, dir, "run", model, "-i", "a=a.npy", "-i", "b=b.pb")
	if code != 0 || !strings.Contains(out, "y: shape (2, 4)") || !strings.Contains(out, "z: shape (4, 2)") {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
}

// singleIO is x[N,3] -> Relu -> y.
func singleIO(t *testing.T, dir string) string {
	return saveModelProto(t, dir, "relu.onnx", graphModel(14, &onnxpb.GraphProto{
		Name:   "relu",
		Node:   []*onnxpb.NodeProto{node("Relu", "relu", []string{"x"}, []string{"y"})},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", tensors.Float32, "N", 3)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("y", tensors.Float32, "N", 3)},
	}))
}

func TestRunDefaultNames(t *testing.T) {
	dir := t.TempDir()
	model := singleIO(t, dir)
	writeTensor(t, filepath.Join(dir, "x.npy"), "", f32(t, []int{1, 3}, -1, 0.5, float32(math.Inf(1))))
	out, stderr, code := onnxkit(t, dir, "run", model, "--input", "x.npy", "--output", "out.pb")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	y := readTensor(t, filepath.Join(dir, "out.pb"))
	if !reflect.DeepEqual(y.Data(), []float32{0, 0.5, float32(math.Inf(1))}) {
		t.Fatalf("out.pb holds %v", y.Data())
	}
	if !strings.HasPrefix(out, "y: shape (1, 3) float32 min 0 max +Inf") {
		t.Errorf("output:\n%s", out)
	}
}

func TestRunFixture(t *testing.T) {
	f := findImportFixture(t, "keras-tf2onnx-lenet-k3-op15")
	model := f.path(t)
	fdir := filepath.Dir(model)
	dir := t.TempDir()
	// The first Relu's output: an intermediate value.
	out, stderr, code := onnxkit(t, dir, "run", model,
		"--input", filepath.Join(fdir, "derived_ort_input.npy"),
		"--output", "got.npy", "--output", "got.pb")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	// The argmax of each row is onnxruntime's: MNIST t10k[0:16] is labelled
	// 7 2 1 0 4 1 4 9 5 9 0 6 9 0 1 5, and this model takes the 5 at index
	// 8 for a 6.
	want := readTensor(t, filepath.Join(fdir, "derived_ort_output.npy"))
	var classes []string
	for r := 0; r < 16; r++ {
		row := tensors.Data[float32](want)[r*10 : (r+1)*10]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		classes = append(classes, fmt.Sprint(best))
	}
	line := "output: shape (16, 10) float32 min "
	if !strings.Contains(out, line) || !strings.Contains(out, "argmax ["+strings.Join(classes, " ")+"]\n") {
		t.Errorf("output lacks %q and argmax [%s]:\n%s", line, strings.Join(classes, " "), out)
	}
	for _, p := range []string{"got.npy", "got.pb"} {
		got := readTensor(t, filepath.Join(dir, p))
		if !reflect.DeepEqual(got.Shape(), want.Shape()) {
			t.Fatalf("%s: %v, want %v", p, got, want)
		}
		for i, v := range tensors.Data[float32](got) {
			if d := math.Abs(float64(v - tensors.Data[float32](want)[i])); d > 1e-5 {
				t.Fatalf("%s element %d: %v, onnxruntime recorded %v", p, i, v, tensors.Data[float32](want)[i])
			}
		}
	}
}

func TestRunFixtureIntermediate(t *testing.T) {
	f := findImportFixture(t, "pytorch-cnn-op11")
	model := f.path(t)
	fdir := filepath.Dir(model)
	dir := t.TempDir()
	// Find the first Relu's output name in the model.
	out, stderr, code := onnxkit(t, dir, "inspect", model)
	if code != 0 {
		t.Fatalf("inspect: exit %d\n%s", code, stderr)
	}
	first := regexp.MustCompile(`(?m)^ (\S+) \(Relu\) +\(batch_size, 32, 28, 28\) `).FindStringSubmatch(out)
	if first == nil {
		t.Fatalf("inspect shows no Relu with output (batch_size, 32, 28, 28):\n%s", out)
	}
	relu := onnxNodeOutput(t, model, first[1])
	out, stderr, code = onnxkit(t, dir, "run", model, "--input", "input="+filepath.Join(fdir, "derived_ort_input.npy"), "--output", relu+"=relu.npy")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	x := readTensor(t, filepath.Join(dir, "relu.npy"))
	if !reflect.DeepEqual(x.Shape(), []int{16, 32, 28, 28}) {
		t.Fatalf("relu.npy is %v", x)
	}
	neg := 0
	for _, v := range tensors.Data[float32](x) {
		if v < 0 {
			neg++
		}
	}
	if neg > 0 {
		t.Errorf("%d negative values after a Relu", neg)
	}
	if !strings.HasPrefix(out, relu+": shape (16, 32, 28, 28) float32 min 0 max ") {
		t.Errorf("output:\n%s", out)
	}
}

// onnxNodeOutput returns the first output of the node named name.
func onnxNodeOutput(t *testing.T, model, name string) string {
	t.Helper()
	mp, err := readModelProto(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.GetGraph().GetNode() {
		if n.GetName() == name && len(n.GetOutput()) > 0 {
			return n.GetOutput()[0]
		}
	}
	t.Fatalf("%s has no node %q", model, name)
	return ""
}

// TestRunSequences runs backend-suite models whose inputs and outputs are
// sequences and optional values: the .pb files are read and written as
// SequenceProto / OptionalProto, chosen by the declared types, and the
// saved output equals the suite's reference.
func TestRunSequences(t *testing.T) {
	data, err := peer.ONNXTestData()
	peer.Require(t, err)
	for _, c := range []struct{ test, in, out string }{
		{"test_sequence_insert_at_back", "--input=sequence=%s/input_0.pb --input=tensor=%s/input_1.pb", "output_sequence"},
		{"test_optional_get_element_sequence", "--input=optional_input=%s/input_0.pb", "output"},
		{"test_optional_has_element_empty", "--input=optional_input=%s/input_0.pb", "output"},
		{"test_identity_opt", "--input=opt_in=%s/input_0.pb", "opt_out"},
	} {
		t.Run(c.test, func(t *testing.T) {
			dir := t.TempDir()
			set := filepath.Join(data, c.test, "test_data_set_0")
			args := []string{"run", filepath.Join(data, c.test, "model.onnx")}
			for _, a := range strings.Fields(c.in) {
				args = append(args, strings.ReplaceAll(a, "%s", set))
			}
			args = append(args, "--output", c.out+"=out.pb")
			out, stderr, code := onnxkit(t, dir, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, stderr)
			}
			m, err := onnx.Load(filepath.Join(data, c.test, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			typ := m.Outputs()[0].Type
			got, err := onnx.ReadValueFile(filepath.Join(dir, "out.pb"), typ)
			if err != nil {
				t.Fatal(err)
			}
			want, err := onnx.ReadValueFile(filepath.Join(set, "output_0.pb"), typ)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() || fmt.Sprint(flatten(got)) != fmt.Sprint(flatten(want)) {
				t.Errorf("saved %v %v, want %v %v", got, flatten(got), want, flatten(want))
			}
			t.Logf("%s", out)
		})
	}
	// A sequence input given as .npy is refused, naming the input and file.
	dir := t.TempDir()
	writeTensor(t, filepath.Join(dir, "s.npy"), "", f32(t, []int{2}, 1, 2))
	test := filepath.Join(data, "test_sequence_insert_at_back")
	out, stderr, code := onnxkit(t, dir, "run", filepath.Join(test, "model.onnx"), "--input", "sequence=s.npy",
		"--input", "tensor="+filepath.Join(test, "test_data_set_0", "input_1.pb"))
	if code != 1 || !strings.Contains(stderr, `input "sequence"`) || !strings.Contains(stderr, "sequence values are read from .pb files") {
		t.Errorf("sequence from .npy: exit %d\n%s%s", code, out, stderr)
	}
}

// flatten lists a value's tensors: itself, or a sequence's or optional's
// items, each as shape and elements.
func flatten(v *tensors.Tensor) []string {
	if v.Kind() == tensors.TensorKind {
		return []string{fmt.Sprint(v, v.Data())}
	}
	var out []string
	for _, e := range v.Items() {
		out = append(out, flatten(e)...)
	}
	return out
}
