package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// importFixture is one of the real exports in ../shared/fixtures, with
// facts from its PROVENANCE.txt and from the architecture of the model
// it was exported from.
type importFixture struct {
	dir, model string
	producer   string
	inputLine  string // as inspect prints it
	params     string // Keras-style total: weights and biases
	layout     string // what eval --layout auto must pick
	scale      string // eval --scale
	accuracy   string // eval on t10k[0:1000], as printed
}

var importFixtures = []importFixture{
	{"cntk-mnist8-zoo", "model.onnx", "CNTK 2.5.1", "Input3: float32 (1, 1, 28, 28)", "5,994", "nchw", "255", "0.9870 (987/1000 correct)"},
	{"keras-tf2onnx-inception-op13-refio", "mnist_cnn.onnx", "tf2onnx 1.11.1 1915fb", "input_1: float32 (unk__51, 28, 28, 1)", "155,834", "nhwc", "1", "0.9850 (985/1000 correct)"},
	{"keras-tf2onnx-lenet-k3-op15", "model.onnx", "tf2onnx 1.16.1 15c810", "input: float32 (unk__34, 28, 28)", "61,706", "nhw", "1", "0.9910 (991/1000 correct)"},
	{"keras-tf2onnx-mlp-op13-go", "mnist.onnx", "tf2onnx 1.17.0 None", "input_layer: float32 (unk__6, 784)", "109,386", "flat", "1", "0.9740 (974/1000 correct)"},
	{"keras2onnx-cnn-nhwc-op11", "keras_mnist.onnx", "keras2onnx 1.6.0", "conv2d_5_input: float32 (N, 28, 28, 1)", "921,034", "nhwc", "1", "0.9910 (991/1000 correct)"},
	{"pytorch-cnn-op11", "mnist_cnn.onnx", "pytorch 2.6.0", "input: float32 (batch_size, 1, 28, 28)", "421,642", "nchw", "1", "0.9860 (986/1000 correct)"},
}

func (f importFixture) path(t *testing.T) string {
	t.Helper()
	return filepath.Join(peer.Fixtures(t), f.dir, f.model)
}

func findImportFixture(t *testing.T, dir string) importFixture {
	t.Helper()
	for _, f := range importFixtures {
		if f.dir == dir {
			return f
		}
	}
	t.Fatalf("no fixture %s", dir)
	return importFixture{}
}

// Builders for small models written with onnxpb.

func tensorVI(name string, dt tensors.DType, dims ...any) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt), Shape: shape}}}}
}

func node(op, name string, in, out []string) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Name: name, Input: in, Output: out}
}

func graphModel(opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:    8,
		ProducerName: "onnxkit-cli-test",
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Version: opset}},
		Graph:        g,
	}
}

func saveModelProto(t *testing.T, dir, name string, mp *onnxpb.ModelProto) string {
	t.Helper()
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustProto[T tensors.Elem](t *testing.T, name string, shape []int, data []T) *onnxpb.TensorProto {
	t.Helper()
	x, err := tensors.New(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.ToProto(name, x)
}

// smallAddModel is a[N,4], b[N,4] -> s = Add(a, w) -> y = Relu(s + b), with
// a float64 initializer w[4] (4 params) used twice and an int64 one.
func smallAddModel(t *testing.T) *onnxpb.ModelProto {
	mp := graphModel(14, &onnxpb.GraphProto{
		Name: "small",
		Node: []*onnxpb.NodeProto{
			node("Add", "add_w", []string{"a", "w"}, []string{"s"}),
			node("Add", "add_b", []string{"s", "b"}, []string{"t"}),
			node("Add", "add_w2", []string{"t", "w"}, []string{"u"}),
			node("Relu", "relu", []string{"u"}, []string{"y"}),
			node("Reshape", "flat", []string{"y", "shape"}, []string{"z"}),
		},
		Initializer: []*onnxpb.TensorProto{
			mustProto(t, "w", []int{4}, []float32{1, -2, 3, -4}),
			mustProto(t, "shape", []int{2}, []int64{-1, 2}),
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("a", tensors.Float32, "N", 4), tensorVI("b", tensors.Float32, "N", 4)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("y", tensors.Float32, "N", 4), tensorVI("z", tensors.Float32, "M", 2)},
	})
	mp.DocString = "A small test model.\nSecond line."
	mp.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: "k1", Value: "v1"}, {Key: "k2", Value: "v2"}}
	mp.ProducerVersion = "0.1"
	return mp
}

func TestInspectSmallModel(t *testing.T) {
	dir := t.TempDir()
	path := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	out, stderr, code := onnxkit(t, dir, "inspect", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{
		"Producer: onnxkit-cli-test 0.1\n",
		"IR version: 8\n",
		"Opsets: ai.onnx 14\n",
		"Doc: A small test model. ...\n",
		"Metadata: 2 properties\n",
		"  a: float32 (N, 4)\n",
		"  b: float32 (N, 4)\n",
		"Total params: 4\n",
		"Nodes: 5\n",
		"Operators: Add x3, Relu x1, Reshape x1\n",
		"Unsupported operators: none\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The shared initializer counts once, at its first reader; shapes come
	// from static inference (the Relu output is never declared).
	rows := map[string]*regexp.Regexp{
		"add_w":  regexp.MustCompile(`(?m)^ add_w \(Add\) +\(N, 4\) +4$`),
		"add_w2": regexp.MustCompile(`(?m)^ add_w2 \(Add\) +\(N, 4\) +0$`),
		"relu":   regexp.MustCompile(`(?m)^ relu \(Relu\) +\(N, 4\) +0$`),
		"flat":   regexp.MustCompile(`(?m)^ flat \(Reshape\) +\(\S+, 2\) +0$`),
	}
	for name, re := range rows {
		if !re.MatchString(out) {
			t.Errorf("no row for %s matching %s:\n%s", name, re, out)
		}
	}
}

func TestInspectThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 61706: "61,706", 1256080: "1,256,080", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestInspectFixtures(t *testing.T) {
	for _, f := range importFixtures {
		t.Run(f.dir, func(t *testing.T) {
			path := f.path(t)
			out, stderr, code := onnxkit(t, t.TempDir(), "inspect", path)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, stderr)
			}
			for _, want := range []string{
				"Model: " + path + "\n",
				"Producer: " + f.producer + "\n",
				"  " + f.inputLine + "\n",
				"Total params: " + f.params + "\n",
				"Unsupported operators: none\n",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if f.dir == "pytorch-cnn-op11" {
				// Declared symbolic dimensions survive inference.
				for _, re := range []*regexp.Regexp{
					regexp.MustCompile(`(?m)^  output: float32 \(batch_size, 10\)$`),
					regexp.MustCompile(`(?m)^ /fc1/Gemm \(Gemm\) +\(\S+, 128\) +401,536$`),
					regexp.MustCompile(`(?m)^ /pool_1/MaxPool \(MaxPool\) +\(batch_size, 64, 7, 7\) +0$`),
				} {
					if !re.MatchString(out) {
						t.Errorf("output does not match %s:\n%s", re, out)
					}
				}
			}
			// Every node row has a shape: fixed ones are all inferred.
			if f.dir == "cntk-mnist8-zoo" {
				for _, want := range []string{"(8 more inputs backed by initializers, not shown)", "Pooling160 (MaxPool)  ", "(1, 16, 4, 4)", "Times212 (MatMul)"} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
				if strings.Contains(out, " ? ") || strings.Contains(out, "?\n") {
					t.Errorf("a node of this fully static model has an unknown shape:\n%s", out)
				}
			}
		})
	}
}
