package onnxgo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gonnx "github.com/owulveryck/onnx-go"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxgo"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// lenetFile is a LeNet exported by package layers, with random weights
// and random (non-zero) biases, as bytes and as a file for onnxruntime.
type lenetFile struct {
	b    []byte
	path string
}

var (
	lenetMu    sync.Mutex
	lenetCache = map[int]*lenetFile{}
	lenetDir   string // holds the files for onnxruntime; removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if lenetDir != "" {
		os.RemoveAll(lenetDir)
	}
	os.Exit(code)
}

// lenet exports LeNet at opset (11 to 18) once per test binary.
func lenet(tb testing.TB, opset int) *lenetFile {
	tb.Helper()
	lenetMu.Lock()
	defer lenetMu.Unlock()
	if f := lenetCache[opset]; f != nil {
		return f
	}
	m, err := layers.LeNet(tensor.Float32)
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(17, uint64(opset)))
	m.Init(r)
	for _, p := range m.Params() {
		if strings.HasSuffix(p.Name, "/bias") {
			for i := range p.Value.Data().([]float32) {
				p.Value.Data().([]float32)[i] = float32(r.NormFloat64() * 0.1)
			}
		}
	}
	mp, err := layers.ToONNX(m, layers.ExportOptions{Opset: opset})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		tb.Fatal(err)
	}
	if lenetDir == "" {
		dir, err := os.MkdirTemp("", "onnxgo-lenet")
		if err != nil {
			tb.Fatal(err)
		}
		lenetDir = dir
	}
	path := filepath.Join(lenetDir, fmt.Sprintf("lenet-op%d.onnx", opset))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	f := &lenetFile{b: b, path: path}
	lenetCache[opset] = f
	return f
}

// randomImages returns n random 1×28×28 images.
func randomImages(n int, seed uint64) *tensor.Dense {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, n*784)
	for i := range data {
		data[i] = r.Float32()
	}
	return tensor.New(tensor.WithShape(n, 1, 28, 28), tensor.WithBacking(data))
}

// decodeWith decodes b with onnx-go into backend.
func decodeWith(tb testing.TB, backend gonnx.Backend, b []byte) *gonnx.Model {
	tb.Helper()
	m := gonnx.NewModel(backend)
	if err := m.UnmarshalBinary(b); err != nil {
		tb.Fatalf("onnx-go UnmarshalBinary: %v", err)
	}
	return m
}

// runOnnxGo runs the README flow of onnx-go with this package's backend:
// decode, set input 0, Run, read the outputs.
func runOnnxGo(tb testing.TB, b []byte, in *tensor.Dense) []tensor.Tensor {
	tb.Helper()
	backend := onnxgo.NewGraph()
	m := decodeWith(tb, backend, b)
	if err := m.SetInput(0, in); err != nil {
		tb.Fatal(err)
	}
	if err := backend.Run(); err != nil {
		tb.Fatalf("Run: %v", err)
	}
	out, err := m.GetOutputTensors()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// kitRun runs the model file with onnxkit's own loader.
func kitRun(tb testing.TB, b []byte, in map[string]*tensor.Dense) (*onnx.Model, map[string]*tensor.Dense) {
	tb.Helper()
	m, err := onnx.LoadBytes("model", b)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := m.Run(in)
	if err != nil {
		tb.Fatal(err)
	}
	return m, out
}

// float32s returns a tensor's elements.
func float32s(tb testing.TB, t tensor.Tensor) []float32 {
	tb.Helper()
	d, ok := t.(*tensor.Dense)
	if !ok {
		tb.Fatalf("output is %T, want *tensor.Dense", t)
	}
	v, ok := d.Data().([]float32)
	if !ok {
		tb.Fatalf("output holds %T, want []float32", d.Data())
	}
	return v
}

// sameTensor fails unless got and want have equal shapes and elements.
func sameTensor(tb testing.TB, what string, got tensor.Tensor, want *tensor.Dense) {
	tb.Helper()
	if !got.Shape().Eq(want.Shape()) {
		tb.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	g, w := float32s(tb, got), float32s(tb, want)
	for i := range w {
		if g[i] != w[i] && !(math.IsNaN(float64(g[i])) && math.IsNaN(float64(w[i]))) {
			tb.Fatalf("%s: element %d is %v, onnxkit's own Run gives %v", what, i, g[i], w[i])
		}
	}
}

// maxDiff returns the largest |a-b| / max(1, |b|), the fixtures'
// tolerance measure, and where.
func maxDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range b {
		d := math.Abs(float64(a[i])-float64(b[i])) / math.Max(1, math.Abs(float64(b[i])))
		if math.IsNaN(d) {
			return math.Inf(1), i
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

// writeModel writes a hand-built model to a temporary file and returns
// its bytes and path.
func writeModel(tb testing.TB, mp *onnxpb.ModelProto) ([]byte, string) {
	tb.Helper()
	b, err := proto.Marshal(mp)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return b, path
}

// Builders of small hand-written models.

func tensorType(elem onnxpb.TensorProto_DataType, dims ...any) *onnxpb.TypeProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		sh.Dim = append(sh.Dim, dim)
	}
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(elem), Shape: sh}}}
}

func vi(name string, tp *onnxpb.TypeProto) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: name, Type: tp}
}

func nd(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Input: in, Output: out, Attribute: attrs, Name: out[0] + "_node"}
}

func intsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: &v}
}

func int64Init(name string, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, DataType: int32(onnxpb.TensorProto_INT64), Dims: []int64{int64(len(v))}, Int64Data: v}
}

func floatInit(name string, dims []int64, v []float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, DataType: int32(onnxpb.TensorProto_FLOAT), Dims: dims, FloatData: v}
}

func model(opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{IrVersion: 8, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: opset}}, Graph: g}
}

// ramp returns a float32 tensor of the shape holding 0.5, 1.5, 2.5, ...
// scaled by s.
func ramp(s float32, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = (float32(i) + 0.5) * s
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}
