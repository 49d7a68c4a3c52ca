package onnx_test

// Fuzz targets for everything onnxkit reads from strangers: model files
// (FuzzLoad), models and the runs they ask for (FuzzRun), and tensor files
// (FuzzReadTensorFile). Plain `go test` runs their seeds; fuzz one with
//
//	go test ./onnx -run '^$' -fuzz '^FuzzLoad$' -fuzztime 30m -fuzzminimizetime 5s -timeout 0 -parallel 1
//
// (-timeout 0: go test's default 10-minute timeout also stops fuzzing;
// -fuzzminimizetime 5s: minimizing inputs derived from the megabyte-sized
// fixtures takes a minute each otherwise, during which nothing new runs).
//
// Seeds: the fixture models of ../shared/fixtures (read at run time, never
// copied: they carry no license), the ONNX backend test models and tensors
// of Debian's libonnx-testdata when installed, onnxkit's own LeNet export,
// small LeNet-shaped exports and hand-built models, and the committed
// corpus in testdata/fuzz (see testdata/fuzz/README.md).
//
// Every target checks more than "no panic": kernels and operator code that
// panic are recovered by the runtime and reported as ErrInternal, which the
// targets treat as a crash; errors must name the model or file and carry an
// error class; what loads must survive a save/load round trip.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Limits while fuzzing: small enough that two or three fuzzers at once
// stay far from the machine's memory, large enough for the fixtures.
const (
	fuzzTensorBytes = 16 << 20
	fuzzModelBytes  = 64 << 20
	fuzzMaxInput    = 1 << 16 // elements of a synthesized input
)

var fuzzOptions = onnx.LoadOptions{MemoryLimit: fuzzModelBytes}

// fuzzLimits bounds single allocations for the duration of a fuzz target.
func fuzzLimits(f *testing.F) {
	old := tensors.SetMaxTensorBytes(fuzzTensorBytes)
	f.Cleanup(func() { tensors.SetMaxTensorBytes(old) })
}

// seedFile is one seed read from disk or generated.
type seedFile struct {
	name string
	data []byte
}

var (
	modelSeedsOnce sync.Once
	modelSeedList  []seedFile
)

// modelSeeds returns every model seed: fixtures, libonnx-testdata models,
// LeNet exports and hand-built models.
func modelSeeds(f *testing.F) []seedFile {
	modelSeedsOnce.Do(func() {
		if dir, err := peer.FixturesDir(); err == nil {
			paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.onnx"))
			modelSeedList = append(modelSeedList, readSeeds(paths)...)
		}
		if dir, err := peer.ONNXTestData(); err == nil {
			paths, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "*", "*", "model.onnx"))
			modelSeedList = append(modelSeedList, readSeeds(paths)...)
		}
		modelSeedList = append(modelSeedList, generatedModelSeeds()...)
	})
	if len(modelSeedList) == 0 {
		f.Fatal("no model seeds")
	}
	return modelSeedList
}

func readSeeds(paths []string) []seedFile {
	sort.Strings(paths)
	var out []seedFile
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, seedFile{p, b})
		}
	}
	return out
}

// generatedModelSeeds builds onnxkit's LeNet export, small models with the
// same operators in every export layout and a few opsets, and small
// hand-built graphs that reach shape arithmetic, gathers, slices and pads.
func generatedModelSeeds() []seedFile {
	var out []seedFile
	add := func(name string, mp *onnxpb.ModelProto) {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
		if err != nil {
			panic(fmt.Sprintf("seed %s: %v", name, err))
		}
		out = append(out, seedFile{name, b})
	}
	lenet, err := layers.LeNet(tensor.Float32)
	if err != nil {
		panic(err)
	}
	lenet.Init(rand.New(rand.NewPCG(1, 2)))
	mp, err := layers.ToONNX(lenet, layers.ExportOptions{Opset: 13})
	if err != nil {
		panic(err)
	}
	add("lenet-export-op13", mp)

	tiny, err := layers.NewSequential(tensor.Float32, []int{1, 8, 8},
		&layers.Conv2D{Filters: 2, Kernel: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		&layers.MaxPool2D{Pool: [2]int{2, 2}},
		&layers.Flatten{},
		&layers.Dense{Units: 3},
		&layers.Softmax{},
	)
	if err != nil {
		panic(err)
	}
	tiny.Init(rand.New(rand.NewPCG(3, 4)))
	for _, layout := range []layers.Layout{layers.NCHW, layers.NHWC, layers.NHW} {
		for _, opset := range []int{11, 13, 18} {
			mp, err := layers.ToONNX(tiny, layers.ExportOptions{Opset: opset, Layout: layout})
			if err != nil {
				panic(err)
			}
			add(fmt.Sprintf("tiny-lenet-%s-op%d", layout, opset), mp)
		}
	}
	for name, mp := range handBuiltModels() {
		add(name, mp)
	}
	for name, mp := range sequenceSeedModels() {
		add(name, mp)
	}
	for name, mp := range visionSeedModels() {
		add(name, mp)
	}
	for name, mp := range loopSeedModels() {
		add(name, mp)
	}
	for name, mp := range textTrainingSeedModels() {
		add(name, mp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func tt(dt tensors.DType, dims ...any) *onnxpb.TypeProto {
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
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt), Shape: shape}}}
}

func vi(name string, t *onnxpb.TypeProto) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: name, Type: t}
}

func node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs}
}

func intsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: proto.Int64(v)}
}

func model(opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{IrVersion: 8, ProducerName: "onnxkit-fuzz",
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: opset}}, Graph: g}
}

// handBuiltModels are small graphs whose shapes come from their inputs'
// shapes and values, where hostile sizes are computed at run time.
func handBuiltModels() map[string]*onnxpb.ModelProto {
	i64 := func(name string, v ...int64) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Vector(v...)) }
	return map[string]*onnxpb.ModelProto{
		"shape-arith": model(13, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("Shape", "shape", []string{"x"}, []string{"xs"}),
				node("Mul", "scale", []string{"xs", "k"}, []string{"size"}),
				node("Expand", "expand", []string{"one", "size"}, []string{"e"}),
				node("ReduceSum", "sum", []string{"e"}, []string{"r"}, intAttr("keepdims", 0)),
				node("Reshape", "reshape", []string{"x", "flat"}, []string{"f"}),
				node("Concat", "concat", []string{"f", "f"}, []string{"c"}, intAttr("axis", 0)),
				node("Tile", "tile", []string{"c", "reps"}, []string{"t"}),
			},
			Initializer: []*onnxpb.TensorProto{i64("k", 2, 1), tensors.ToProto("one", tensors.Vector[float32](1)), i64("flat", -1), i64("reps", 2)},
			Input:       []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, "N", 3))},
			Output:      []*onnxpb.ValueInfoProto{vi("r", tt(tensors.Float32)), vi("t", tt(tensors.Float32, "M"))},
		}),
		"index-ops": model(13, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("Gather", "gather", []string{"x", "idx"}, []string{"g"}, intAttr("axis", 1)),
				node("Slice", "slice", []string{"x", "starts", "ends", "axes", "steps"}, []string{"s"}),
				node("Pad", "pad", []string{"s", "pads"}, []string{"p"}),
				node("Transpose", "transpose", []string{"p"}, []string{"tr"}, intsAttr("perm", 1, 0)),
				node("ArgMax", "argmax", []string{"tr"}, []string{"am"}, intAttr("axis", 0)),
				node("ConstantOfShape", "fill", []string{"dims"}, []string{"z"}),
				node("Unsqueeze", "unsqueeze", []string{"g", "uaxes"}, []string{"u"}),
				node("Squeeze", "squeeze", []string{"u", "uaxes"}, []string{"q"}),
			},
			Initializer: []*onnxpb.TensorProto{
				i64("starts", 0, 1), i64("ends", 3, 9), i64("axes", 0, 1), i64("steps", 1, 2),
				i64("pads", 0, 1, 2, 0), i64("uaxes", 0),
			},
			Input: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, "N", 4)), vi("idx", tt(tensors.Int64, 2)), vi("dims", tt(tensors.Int64, 2))},
			Output: []*onnxpb.ValueInfoProto{vi("g", tt(tensors.Float32)), vi("am", tt(tensors.Int64)), vi("z", tt(tensors.Float32)),
				vi("q", tt(tensors.Float32))},
		}),
		"conv-pool": model(13, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("Conv", "conv", []string{"x", "w", "b"}, []string{"c"}, intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 1, 2)),
				node("MaxPool", "pool", []string{"c"}, []string{"p"}, intsAttr("kernel_shape", 2, 2)),
				node("AveragePool", "avg", []string{"c"}, []string{"a"}, intsAttr("kernel_shape", 3, 1), intsAttr("pads", 1, 0, 1, 0)),
				node("GlobalAveragePool", "gap", []string{"p"}, []string{"g"}),
				node("Flatten", "flatten", []string{"g"}, []string{"f"}),
				node("Gemm", "gemm", []string{"f", "wd", "bd"}, []string{"y"}, &onnxpb.AttributeProto{Name: "transB", Type: onnxpb.AttributeProto_INT, I: proto.Int64(1)}),
				node("Softmax", "softmax", []string{"y"}, []string{"prob"}),
				node("MatMul", "matmul", []string{"prob", "wm"}, []string{"mm"}),
			},
			Initializer: []*onnxpb.TensorProto{
				tensors.ToProto("w", weights(3, 2, 3, 3)), tensors.ToProto("b", tensors.Vector[float32](0.1, 0, -0.1)),
				tensors.ToProto("wd", weights(4, 3)), tensors.ToProto("bd", tensors.Vector[float32](1, 2, 3, 4)),
				tensors.ToProto("wm", weights(4, 2)),
			},
			Input:  []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, "N", 2, 6, 6))},
			Output: []*onnxpb.ValueInfoProto{vi("a", tt(tensors.Float32)), vi("mm", tt(tensors.Float32))},
		}),
		// Float16 and bfloat16 held and computed through float32.
		"half": model(13, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("Conv", "conv", []string{"x", "wh", "bh"}, []string{"c"}, intsAttr("pads", 1, 1, 1, 1)),
				node("Relu", "relu", []string{"c"}, []string{"r"}),
				node("Add", "add", []string{"r", "c"}, []string{"a"}),
				node("GlobalAveragePool", "gap", []string{"a"}, []string{"g"}),
				node("Flatten", "flatten", []string{"g"}, []string{"f"}),
				node("Softmax", "softmax", []string{"f"}, []string{"y"}),
				node("Cast", "tobf16", []string{"y"}, []string{"yb"}, intAttr("to", int64(tensors.BFloat16))),
				node("Cast", "tof32", []string{"yb"}, []string{"y32"}, intAttr("to", int64(tensors.Float32))),
				node("Cast", "tostr", []string{"y32"}, []string{"ys"}, intAttr("to", int64(tensors.String))),
			},
			Initializer: []*onnxpb.TensorProto{halfProto("wh", weights(3, 2, 3, 3)), halfProto("bh", tensors.Vector[float32](0.1, 0, -0.1))},
			Input:       []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float16, "N", 2, 5, 5))},
			Output:      []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Float16)), vi("ys", tt(tensors.String))},
		}),
		// Quantized operators, and QDQ patterns fused into them at load.
		"quantized": model(13, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("QuantizeLinear", "qx", []string{"x", "xs", "xz"}, []string{"xq"}),
				node("DequantizeLinear", "dqx", []string{"xq", "xs", "xz"}, []string{"xd"}),
				node("DequantizeLinear", "dqw", []string{"wq", "ws", "wz"}, []string{"wd"}, intAttr("axis", 0)),
				node("DequantizeLinear", "dqb", []string{"bq", "bs", "bz"}, []string{"bd"}, intAttr("axis", 0)),
				node("Conv", "conv", []string{"xd", "wd", "bd"}, []string{"c"}, intsAttr("pads", 1, 1, 1, 1)),
				node("QuantizeLinear", "qc", []string{"c", "ys", "yz"}, []string{"cq"}),
				node("DequantizeLinear", "dqc", []string{"cq", "ys", "yz"}, []string{"cd"}),
				node("GlobalAveragePool", "gap", []string{"cd"}, []string{"g"}),
				node("QuantizeLinear", "qg", []string{"g", "ys", "yz"}, []string{"gq"}),
				node("DequantizeLinear", "dqg", []string{"gq", "ys", "yz"}, []string{"y"}),
				node("QLinearConv", "qlconv", []string{"xq", "xs", "xz", "wq8", "ws", "wz8", "ys", "yz", "bq"}, []string{"qc2"}),
				node("ConvInteger", "convint", []string{"xq", "wq8", "xz"}, []string{"ci"}),
				node("Flatten", "flat", []string{"xq"}, []string{"xf"}),
				node("MatMulInteger", "mmi", []string{"xf", "mq", "xz"}, []string{"mi"}),
				node("QLinearMatMul", "qlmm", []string{"xf", "xs", "xz", "mq", "xs", "xz", "ys", "yz"}, []string{"qm"}),
				node("DynamicQuantizeLinear", "dyn", []string{"x"}, []string{"dq", "dqs", "dqz"}),
			},
			Initializer: []*onnxpb.TensorProto{
				tensors.ToProto("xs", tensors.Scalar[float32](0.05)), tensors.ToProto("xz", tensors.Scalar[uint8](128)),
				tensors.ToProto("ys", tensors.Scalar[float32](0.1)), tensors.ToProto("yz", tensors.Scalar[uint8](10)),
				tensors.ToProto("wq", mustSeed(tensors.New([]int{3, 2, 1, 1}, []int8{1, -2, 3, -4, 5, -6}))), tensors.ToProto("ws", tensors.Vector[float32](0.01, 0.02, 0.03)),
				tensors.ToProto("wz", tensors.Vector[int8](0, 0, 0)), tensors.ToProto("bq", tensors.Vector[int32](5, -5, 100)),
				tensors.ToProto("bs", tensors.Vector[float32](0.0005, 0.001, 0.0015)), tensors.ToProto("bz", tensors.Vector[int32](0, 0, 0)),
				tensors.ToProto("wq8", mustSeed(tensors.New([]int{3, 2, 1, 1}, []uint8{1, 2, 3, 4, 5, 6}))), tensors.ToProto("wz8", tensors.Scalar[uint8](3)),
				tensors.ToProto("mq", mustSeed(tensors.New([]int{18, 1}, []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}))),
			},
			Input: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 1, 2, 3, 3))},
			Output: []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Float32)), vi("qc2", tt(tensors.Uint8)), vi("ci", tt(tensors.Int32)),
				vi("mi", tt(tensors.Int32)), vi("qm", tt(tensors.Uint8)), vi("dq", tt(tensors.Uint8))},
		}),
		"microsoft": microsoftModel(),
		"strings": model(13, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("StringNormalizer", "norm", []string{"s"}, []string{"n"},
					&onnxpb.AttributeProto{Name: "case_change_action", Type: onnxpb.AttributeProto_STRING, S: []byte("UPPER")},
					&onnxpb.AttributeProto{Name: "stopwords", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("a")}}),
				node("Concat", "cat", []string{"n", "s"}, []string{"c"}, intAttr("axis", 0)),
				node("Gather", "pick", []string{"c", "i"}, []string{"p"}),
				node("Cast", "num", []string{"h"}, []string{"f"}, intAttr("to", int64(tensors.String))),
				node("Cast", "back", []string{"f"}, []string{"b"}, intAttr("to", int64(tensors.BFloat16))),
			},
			Initializer: []*onnxpb.TensorProto{tensors.ToProto("i", tensors.Vector[int64](0))},
			Input:       []*onnxpb.ValueInfoProto{vi("s", tt(tensors.String, "N")), vi("h", tt(tensors.Float16, "N"))},
			Output:      []*onnxpb.ValueInfoProto{vi("p", tt(tensors.String)), vi("b", tt(tensors.BFloat16))},
		}),
	}
}

func mustSeed(t *tensors.Tensor, err error) *tensors.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

// halfProto encodes a float32 tensor as a float16 TensorProto.
func halfProto(name string, x *tensors.Tensor) *onnxpb.TensorProto {
	h, err := tensors.Float32ToHalf(x, tensors.Float16)
	if err != nil {
		panic(err)
	}
	return tensors.ToProto(name, h)
}

// microsoftModel uses the com.microsoft quantized operators.
func microsoftModel() *onnxpb.ModelProto {
	s := func(name string, v float32) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Scalar(v)) }
	z := func(name string, v uint8) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Scalar(v)) }
	ms := func(op, name string, in, out []string) *onnxpb.NodeProto {
		n := node(op, name, in, out)
		n.Domain = "com.microsoft"
		return n
	}
	mp := model(13, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			ms("QLinearAdd", "add", []string{"a", "as", "az", "b", "as", "az", "ys", "yz"}, []string{"s"}),
			ms("QLinearMul", "mul", []string{"s", "ys", "yz", "b", "as", "az", "ys", "yz"}, []string{"m"}),
			ms("QLinearSigmoid", "sig", []string{"m", "ys", "yz", "ys", "yz"}, []string{"g"}),
			ms("QLinearGlobalAveragePool", "gap", []string{"g", "ys", "yz", "ys", "yz"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{s("as", 0.05), z("az", 128), s("ys", 0.1), z("yz", 10),
			tensors.ToProto("b", tensors.Vector[uint8](3, 200, 7))},
		Input:  []*onnxpb.ValueInfoProto{vi("a", tt(tensors.Uint8, "N", 3, 2, 3))},
		Output: []*onnxpb.ValueInfoProto{vi("y", tt(tensors.Uint8))},
	})
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "com.microsoft", Version: 1})
	return mp
}

// weights returns a float32 tensor of this shape holding small values.
func weights(shape ...int) *tensors.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7)/7 - 0.4
	}
	w, err := tensors.New(shape, v)
	if err != nil {
		panic(err)
	}
	return w
}

// checkLoadError fails the fuzz run when a model that did not load got an
// error that is internal (a recovered panic), unclassified or not naming
// the model.
func checkLoadError(t *testing.T, name string, err error) {
	t.Helper()
	if errors.Is(err, onnx.ErrInternal) {
		t.Fatalf("internal error: %v", err)
	}
	if !errors.Is(err, onnx.ErrInvalidModel) && !errors.Is(err, onnx.ErrUnsupported) && !errors.Is(err, onnx.ErrMemoryLimit) {
		t.Fatalf("load error without a class: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "onnx: load "+name+": ") {
		t.Fatalf("load error does not name the model: %v", err)
	}
}

// FuzzLoad decodes and validates arbitrary bytes as a model. A model that
// loads must encode, and its encoding must load again with the same
// signature.
func FuzzLoad(f *testing.F) {
	fuzzLimits(f)
	for _, s := range modelSeeds(f) {
		f.Add(s.data)
	}
	f.Add([]byte{})
	f.Add([]byte("\x08\x08\x3a\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := fuzzOptions.LoadBytes("fuzz.onnx", b)
		if err != nil {
			checkLoadError(t, "fuzz.onnx", err)
			return
		}
		_ = onnx.OpsUsed(m.Proto())
		enc, err := m.Marshal()
		if err != nil {
			t.Fatalf("a loaded model does not encode: %v", err)
		}
		m2, err := fuzzOptions.LoadBytes("again.onnx", enc)
		if err != nil {
			t.Fatalf("a loaded model does not load again after encoding: %v", err)
		}
		if a, b := signature(m), signature(m2); a != b {
			t.Fatalf("signature changed by an encoding round trip:\n%s\n%s", a, b)
		}
	})
}

func signature(m *onnx.Model) string {
	var b strings.Builder
	for _, v := range m.Inputs() {
		fmt.Fprintf(&b, "in %s %v %v; ", v.Name, v.Type, v.HasDefault)
	}
	for _, v := range m.Outputs() {
		fmt.Fprintf(&b, "out %s %v; ", v.Name, v.Type)
	}
	return b.String()
}

// FuzzRun loads arbitrary bytes as a model and runs it on inputs made up
// from the declared input types (symbolic dimensions 1 to 3, small values),
// fetching every node output. The run may fail, but only with an error
// that names the model and is not internal; what it returns must be
// consistent tensors.
func FuzzRun(f *testing.F) {
	fuzzLimits(f)
	for i, s := range modelSeeds(f) {
		f.Add(s.data, uint8(i))
	}
	f.Fuzz(func(t *testing.T, b []byte, knob uint8) {
		m, err := fuzzOptions.LoadBytes("fuzz.onnx", b)
		if err != nil {
			checkLoadError(t, "fuzz.onnx", err)
			return
		}
		feeds, ok := synthesizeInputs(m, knob)
		if !ok {
			return
		}
		var fetch []string
		seen := map[string]bool{}
		for _, n := range m.Proto().GetGraph().GetNode() {
			for _, o := range n.GetOutput() {
				if o != "" && !seen[o] {
					seen[o] = true
					fetch = append(fetch, o)
				}
			}
		}
		for _, o := range m.Outputs() {
			if !seen[o.Name] {
				fetch = append(fetch, o.Name)
			}
		}
		// Loops may run without end: a deadline stops them.
		ctx, cancel := context.WithTimeout(context.Background(), fuzzRunTimeout)
		defer cancel()
		out, err := m.RunTensorsContext(ctx, feeds, fetch...)
		if err != nil {
			if errors.Is(err, onnx.ErrInternal) {
				t.Fatalf("internal error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "onnx: run fuzz.onnx: ") {
				t.Fatalf("run error does not name the model: %v", err)
			}
			return
		}
		for _, name := range fetch {
			v, ok := out[name]
			if !ok || v == nil {
				t.Fatalf("value %q was fetched but not returned", name)
			}
			if err := v.Check(); err != nil {
				t.Fatalf("value %q: %v", name, err)
			}
		}
		checkSessionMatches(t, m, feeds, out)
	})
}

// checkSessionMatches runs a model twice in one Session (the second run
// recycles the first one's tensors) and checks that both give the graph
// outputs a plain run gave: recycled memory must never leak stale values.
// Models with random operators are skipped.
func checkSessionMatches(t *testing.T, m *onnx.Model, feeds map[string]*tensors.Tensor, want map[string]*tensors.Tensor) {
	t.Helper()
	for _, n := range m.Proto().GetGraph().GetNode() {
		if op := n.GetOpType(); strings.HasPrefix(op, "Random") || op == "Bernoulli" || op == "Dropout" || op == "Multinomial" {
			return
		}
	}
	s := m.NewSession()
	for run := 1; run <= 2; run++ {
		got, err := s.Run(feeds)
		if err != nil {
			t.Fatalf("session run %d failed where a plain run succeeded: %v", run, err)
		}
		for _, o := range m.Outputs() {
			if w := want[o.Name]; w != nil && !sameTensor(got[o.Name], w) {
				t.Fatalf("session run %d: output %q is %v, a plain run gave %v", run, o.Name, got[o.Name], w)
			}
		}
	}
}

// synthesizeInputs makes a tensor for every graph input without a default:
// the declared element type (float32 when undeclared), fixed dimensions as
// declared, others 1 to 3 (from knob), values small enough to be valid
// indices and sizes. It gives up on inputs that would be large.
func synthesizeInputs(m *onnx.Model, knob uint8) (map[string]*tensors.Tensor, bool) {
	feeds := map[string]*tensors.Tensor{}
	free := 1 + int(knob%3)
	r := rand.New(rand.NewPCG(uint64(knob), 7))
	for _, in := range m.Inputs() {
		if in.HasDefault {
			continue
		}
		x, ok := synthesizeValue(in.Type, free, r)
		if !ok {
			return nil, false
		}
		feeds[in.Name] = x
	}
	return feeds, true
}

// synthesizeValue makes one input value of a declared type: a tensor, a
// sequence of 1 or 2 tensors, or an optional value, empty or not.
func synthesizeValue(t tensors.Type, free int, r *rand.Rand) (*tensors.Tensor, bool) {
	switch t.Kind {
	case tensors.SequenceKind, tensors.OptionalKind:
		var elem tensors.Type
		if t.Elem != nil {
			elem = *t.Elem
		}
		var items []*tensors.Tensor
		for range 1 + r.IntN(2) {
			x, ok := synthesizeValue(elem, free, r)
			if !ok {
				return nil, false
			}
			items = append(items, x)
		}
		if t.Kind == tensors.OptionalKind {
			var v *tensors.Tensor
			if r.IntN(4) > 0 {
				v = items[0]
			}
			o, err := tensors.NewOptional(elem, v)
			return o, err == nil
		}
		if elem.DType == tensors.Undefined {
			elem.DType = tensors.Float32
		}
		seq, err := tensors.NewSequence(elem, items)
		return seq, err == nil
	}
	dt := t.DType
	if dt == tensors.Undefined {
		dt = tensors.Float32
	}
	shape := []int{free}
	if t.RankKnown {
		shape = make([]int, len(t.Dims))
		for i, d := range t.Dims {
			shape[i] = free
			if d.Known() {
				shape[i] = d.Size
			}
		}
	}
	n, err := tensors.NumElements(shape)
	if err != nil || n > fuzzMaxInput || len(shape) > 8 {
		return nil, false
	}
	x, err := tensors.Alloc(dt, shape)
	if err != nil {
		return nil, false
	}
	fill(x, r)
	return x, true
}

// fill writes small values into a freshly allocated tensor (which nobody
// else has seen yet, so writing into it is allowed).
func fill(x *tensors.Tensor, r *rand.Rand) {
	switch d := x.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(r.IntN(9)-4) / 2
		}
	case []float64:
		for i := range d {
			d[i] = float64(r.IntN(9)-4) / 2
		}
	case []int64:
		for i := range d {
			d[i] = int64(r.IntN(4))
		}
	case []int32:
		for i := range d {
			d[i] = int32(r.IntN(4))
		}
	case []int8:
		for i := range d {
			d[i] = int8(r.IntN(4))
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(r.IntN(4))
		}
	case []bool:
		for i := range d {
			d[i] = r.IntN(2) == 1
		}
	case []string:
		for i := range d {
			d[i] = string(rune('a' + r.IntN(26)))
		}
	case []tensors.F16:
		for i := range d {
			d[i] = tensors.F16FromFloat32(float32(r.IntN(9)-4) / 2)
		}
	case []tensors.BF16:
		for i := range d {
			d[i] = tensors.BF16FromFloat32(float32(r.IntN(9)-4) / 2)
		}
	}
}

// FuzzReadTensorFile reads arbitrary bytes as a .npy or .pb tensor file.
// Errors must name the file; a tensor that reads must be consistent and
// survive a write/read round trip unchanged.
func FuzzReadTensorFile(f *testing.F) {
	fuzzLimits(f)
	for _, s := range tensorSeeds() {
		f.Add(s.data, strings.HasSuffix(s.name, ".pb"))
	}
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}\n"), false)
	f.Add([]byte{}, true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, pb bool) {
		ext := onnx.NPYExt
		if pb {
			ext = onnx.PBExt
		}
		path := filepath.Join(dir, "fuzz"+ext)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		x, err := onnx.ReadTensorFile(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := x.Check(); err != nil {
			t.Fatalf("inconsistent tensor %v: %v", x, err)
		}
		again := filepath.Join(dir, "again"+ext)
		if err := onnx.WriteTensorFile(again, "t", x); err != nil {
			if x.DType() == tensors.String && !pb {
				return
			}
			t.Fatalf("write %v: %v", x, err)
		}
		y, err := onnx.ReadTensorFile(again)
		if err != nil {
			t.Fatalf("read back %v: %v", x, err)
		}
		if !sameTensor(x, y) {
			t.Fatalf("round trip changed %v into %v", x, y)
		}
	})
}

// FuzzReadValueFile reads arbitrary bytes as the .pb file of a sequence or
// optional value of a declared type (SequenceProto, OptionalProto). Errors
// must name the file; a value that reads must be consistent, of the
// declared kind, and survive a write/read round trip unchanged.
func FuzzReadValueFile(f *testing.F) {
	fuzzLimits(f)
	for _, s := range tensorSeeds() {
		if strings.HasSuffix(s.name, ".pb") {
			f.Add(s.data, uint8(0))
		}
	}
	f.Add([]byte{}, uint8(1))
	types := []tensors.Type{
		tensors.SequenceOf(tensors.Type{DType: tensors.Float32}),
		tensors.SequenceOf(tensors.Type{}),
		tensors.OptionalOf(tensors.Type{DType: tensors.Int64}),
		tensors.OptionalOf(tensors.SequenceOf(tensors.Type{DType: tensors.Float32})),
		tensors.OptionalOf(tensors.Type{}),
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		want := types[int(which)%len(types)]
		path := filepath.Join(dir, "fuzz.pb")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		x, err := onnx.ReadValueFile(path, want)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := x.Check(); err != nil {
			t.Fatalf("inconsistent value %v: %v", x, err)
		}
		if x.Kind() != want.Kind {
			t.Fatalf("read a %v as %v", x, want)
		}
		again := filepath.Join(dir, "again.pb")
		if err := onnx.WriteTensorFile(again, "v", x); err != nil {
			t.Fatalf("write %v: %v", x, err)
		}
		y, err := onnx.ReadValueFile(again, want)
		if err != nil {
			t.Fatalf("read back %v: %v", x, err)
		}
		if !sameTensor(x, y) {
			t.Fatalf("round trip changed %v into %v", x, y)
		}
	})
}

// sameTensor compares type, shape and element bits.
func sameTensor(a, b *tensors.Tensor) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	if a.Kind() != tensors.TensorKind {
		ia, ib := a.Items(), b.Items()
		if len(ia) != len(ib) || a.ElemType().ElemDType() != b.ElemType().ElemDType() {
			return false
		}
		for i := range ia {
			if !sameTensor(ia[i], ib[i]) {
				return false
			}
		}
		return true
	}
	pa, pb := tensors.ToProto("", a), tensors.ToProto("", b)
	return proto.Equal(pa, pb)
}

// tensorSeeds are .npy and .pb files: the fixtures' .npy files, the
// libonnx-testdata tensors of the node tests, and generated ones.
func tensorSeeds() []seedFile {
	var out []seedFile
	if dir, err := peer.FixturesDir(); err == nil {
		paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.npy"))
		out = append(out, readSeeds(paths)...)
	}
	if dir, err := peer.ONNXTestData(); err == nil {
		paths, _ := filepath.Glob(filepath.Join(dir, "*", "test_data_set_0", "*.pb"))
		out = append(out, readSeeds(paths)...)
	}
	tmp, err := os.MkdirTemp("", "onnxkit-fuzz-seeds-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	gen := map[string]*tensors.Tensor{
		"f32":    tensors.Vector[float32](1, -2, 3.5),
		"i64":    tensors.Vector[int64](1, 1<<40, -3),
		"bool":   tensors.Vector(true, false),
		"u8":     tensors.Vector[uint8](0, 255),
		"scalar": tensors.Scalar(float64(2.5)),
		"empty":  tensors.Vector[float32](),
		"f16":    mustSeed(tensors.Float32ToHalf(tensors.Vector[float32](1, -2, 65504, 1e-7), tensors.Float16)),
		"bf16":   mustSeed(tensors.Float32ToHalf(tensors.Vector[float32](1, -2, 3e38), tensors.BFloat16)),
	}
	for name, x := range gen {
		for _, ext := range []string{onnx.NPYExt, onnx.PBExt} {
			p := filepath.Join(tmp, name+ext)
			if err := onnx.WriteTensorFile(p, name, x); err != nil {
				if x.DType() == tensors.BFloat16 && ext == onnx.NPYExt {
					continue // numpy has no bfloat16
				}
				panic(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				panic(err)
			}
			out = append(out, seedFile{name + ext, b})
		}
	}
	strs, err := proto.Marshal(tensors.ToProto("s", tensors.Vector("a", "bc")))
	if err != nil {
		panic(err)
	}
	out = append(out, seedFile{"strings.pb", strs})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// TestGeneratedSeedsRun checks that the generated model seeds are valid
// models that load and run on synthesized inputs, so that the fuzzers
// start from models that reach the operators rather than from errors.
func TestGeneratedSeedsRun(t *testing.T) {
	for _, s := range generatedModelSeeds() {
		m, err := fuzzOptions.LoadBytes(s.name, s.data)
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		feeds, ok := synthesizeInputs(m, 1)
		if !ok {
			t.Errorf("%s: no inputs synthesized for %v", s.name, m.Inputs())
			continue
		}
		out, err := m.RunTensors(feeds)
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		for name, v := range out {
			if v.Kind() != tensors.TensorKind {
				v = tensors.Scalar(int64(len(v.Items())))
			}
			if v.Len() == 0 {
				t.Errorf("%s: output %q is empty: %v", s.name, name, v)
			}
		}
	}
}
