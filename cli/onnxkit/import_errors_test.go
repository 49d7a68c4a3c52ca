package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// wantCleanFailure checks that a command failed with exit status 1 and a
// single-line message on stderr that mentions every one of want, and did
// not crash.
func wantCleanFailure(t *testing.T, dir string, args []string, want ...string) {
	t.Helper()
	out, stderr, code := onnxkit(t, dir, args...)
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("%v crashed:\n%s", args, stderr)
	}
	if code != 1 {
		t.Fatalf("%v: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", args, code, out, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "onnxkit: ") {
		t.Fatalf("%v: stderr is not one 'onnxkit: ' line:\n%s", args, stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("%v: error %q does not mention %q", args, lines[0], w)
		}
	}
}

func TestImportNotONNX(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	writeTensor(t, x, "", f32(t, []int{1, 784}, make([]float32, 784)...))
	files := map[string][]byte{
		"text.onnx":   []byte("this is a text file, not a model\n"),
		"json.onnx":   []byte(`{"graph": {"node": []}}`),
		"empty.onnx":  nil,
		"binary.onnx": {0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x80, 0x80},
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			wantCleanFailure(t, dir, []string{"inspect", path}, path, "not an ONNX model")
			wantCleanFailure(t, dir, []string{"run", path, "--input", x}, path, "not an ONNX model")
			wantCleanFailure(t, dir, []string{"eval", path, "--limit", "10"}, path, "not an ONNX model")
		})
	}
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "nope.onnx")
		wantCleanFailure(t, dir, []string{"inspect", path}, path, "no such file")
		wantCleanFailure(t, dir, []string{"run", path, "--input", x}, path, "no such file")
		wantCleanFailure(t, dir, []string{"eval", path}, path, "no such file")
	})
}

func TestImportTruncatedModel(t *testing.T) {
	f := findImportFixture(t, "pytorch-cnn-op11")
	b, err := os.ReadFile(f.path(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	writeTensor(t, x, "", f32(t, []int{1, 1, 28, 28}, make([]float32, 784)...))
	for _, cut := range []int{len(b) / 2, len(b) - 1, 100} {
		path := filepath.Join(dir, "half.onnx")
		if err := os.WriteFile(path, b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		wantCleanFailure(t, dir, []string{"inspect", path}, path)
		wantCleanFailure(t, dir, []string{"run", path, "--input", x}, path)
		wantCleanFailure(t, dir, []string{"eval", path, "--limit", "10"}, path)
	}
}

// unsupportedModel uses Gradient (a standard operator, of domain
// ai.onnx.preview.training, that onnxkit does not implement) and an
// operator of a private domain.
func unsupportedModel(t *testing.T, dir string) string {
	mp := graphModel(14, &onnxpb.GraphProto{
		Name: "unsupported",
		Node: []*onnxpb.NodeProto{
			node("Relu", "relu", []string{"x"}, []string{"r"}),
			{OpType: "Frobnicate", Domain: "org.example", Name: "frob", Input: []string{"r"}, Output: []string{"f"}},
			{OpType: "Gradient", Domain: "ai.onnx.preview.training", Name: "grad", Input: []string{"f"}, Output: []string{"y"}},
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", tensors.Float32, "N", 784)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("y", tensors.Float32, "N", 10)},
	})
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "org.example", Version: 1},
		&onnxpb.OperatorSetIdProto{Domain: "ai.onnx.preview.training", Version: 1})
	return saveModelProto(t, dir, "unsupported.onnx", mp)
}

func TestImportUnsupportedOperator(t *testing.T) {
	dir := t.TempDir()
	path := unsupportedModel(t, dir)
	x := filepath.Join(dir, "x.npy")
	writeTensor(t, x, "", f32(t, []int{1, 784}, make([]float32, 784)...))

	wantCleanFailure(t, dir, []string{"inspect", path}, path, "2 unsupported operators", "ai.onnx.preview.training.Gradient", "org.example.Frobnicate")
	out, _, _ := onnxkit(t, dir, "inspect", path)
	for _, w := range []string{
		"Operators: Relu x1, ai.onnx.preview.training.Gradient x1, org.example.Frobnicate x1\n",
		"Unsupported operators (2):\n",
		"  ai.onnx.preview.training.Gradient (1 node): ",
		"  org.example.Frobnicate (1 node): ",
		" relu (Relu)  ",
		"  x: float32 (N, 784)\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("inspect output lacks %q:\n%s", w, out)
		}
	}
	wantCleanFailure(t, dir, []string{"run", path, "--input", x}, path, "not")
	wantCleanFailure(t, dir, []string{"eval", path, "--limit", "10"}, path, "not")
}

func TestImportBadInputs(t *testing.T) {
	dir := t.TempDir()
	model := singleIO(t, dir) // x[N,3] -> Relu -> y
	files := map[string]*tensors.Tensor{
		"shape.npy": f32(t, []int{2, 5}, make([]float32, 10)...),
		"rank.npy":  f32(t, []int{3}, 1, 2, 3),
		"ok.npy":    f32(t, []int{2, 3}, 1, 2, 3, 4, 5, 6),
	}
	for name, x := range files {
		writeTensor(t, filepath.Join(dir, name), "", x)
	}
	f64, err := tensors.New([]int{1, 3}, []float64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	writeTensor(t, filepath.Join(dir, "f64.npy"), "", f64)
	os.WriteFile(filepath.Join(dir, "bad.npy"), []byte("\x93NUMPY\x01\x00garbage"), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"wrong-name", []string{"--input", "bogus=ok.npy"}, []string{`"bogus"`, "x float32 (N, 3)"}},
		{"wrong-shape", []string{"--input", "shape.npy"}, []string{`input "x"`, "[2 5]", "dimension 1 is 5, want 3"}},
		{"wrong-rank", []string{"--input", "x=rank.npy"}, []string{`input "x"`, "rank"}},
		{"wrong-dtype", []string{"--input", "f64.npy"}, []string{`input "x"`, "float64", "float32"}},
		{"missing-input", []string{"--output", "y.npy"}, []string{`missing input "x"`}},
		{"missing-file", []string{"--input", "none.npy"}, []string{`input "x"`, "none.npy"}},
		{"corrupt-file", []string{"--input", "bad.npy"}, []string{`input "x"`, "bad.npy"}},
		{"wrong-output", []string{"--input", "ok.npy", "--output", "nope=o.npy"}, []string{`"nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCleanFailure(t, dir, append([]string{"run", model}, tc.args...), tc.want...)
		})
	}

	// Usage mistakes exit 2.
	for _, args := range [][]string{
		{"--input", "=ok.npy"},
		{"--input", "x=ok.txt"},
		{"--input", "ok"},
		{"--input", "x=ok.npy", "--input", "x=ok.npy"},
	} {
		_, stderr, code := onnxkit(t, dir, append([]string{"run", model}, args...)...)
		if code != 2 || !strings.HasPrefix(stderr, "onnxkit: ") {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
	two := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	_, stderr, code := onnxkit(t, dir, "run", two, "--input", "ok.npy")
	if code != 2 || !strings.Contains(stderr, "name one as NAME=FILE") || !strings.Contains(stderr, "a float32 (N, 4); b float32 (N, 4)") {
		t.Errorf("ambiguous input: exit %d, stderr %q", code, stderr)
	}
}

// TestImportFixtureWrongShape feeds one fixture's recorded input to
// another model.
func TestImportFixtureWrongShape(t *testing.T) {
	lenet := findImportFixture(t, "keras-tf2onnx-lenet-k3-op15")
	pt := findImportFixture(t, "pytorch-cnn-op11")
	in := filepath.Join(filepath.Dir(lenet.path(t)), "derived_ort_input.npy") // [16,28,28]
	wantCleanFailure(t, t.TempDir(), []string{"run", pt.path(t), "--input", in}, `input "input"`, "rank 3, want rank 4")
}
