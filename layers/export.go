package layers

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	pb "github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// ExportOptions controls ToONNX.
type ExportOptions struct {
	// Opset is the ai.onnx opset version, 11 to 18 (default 13).
	Opset int
	// Layout is the input signature of the file (default NCHW). NHWC is
	// the signature of a Keras model exported by tf2onnx; NHW, for one
	// channel, that of a Keras model whose input has no channel axis.
	Layout Layout
	// InputName and OutputName name the graph's input and output
	// (default "input" and "output").
	InputName, OutputName string
	// ProducerVersion is written as the model's producer_version.
	ProducerVersion string
	// DocString describes the model.
	DocString string
	// Metadata is written as metadata_props, sorted by key.
	Metadata map[string]string
}

// Layout names the axes of an image input in an ONNX file.
type Layout string

// The input layouts ToONNX writes and FromONNX recognises.
const (
	NCHW Layout = "nchw" // [N, C, H, W], onnxkit's own
	NHWC Layout = "nhwc" // [N, H, W, C], Keras / tf2onnx
	NHW  Layout = "nhw"  // [N, H, W], one channel without its axis
)

// MinOpset and MaxOpset bound the opsets ToONNX writes.
const (
	MinOpset = 11
	MaxOpset = 18
)

// irVersion is the IR version released with each opset (ONNX 1.6 to 1.13).
func irVersion(opset int) int64 {
	switch {
	case opset <= 11:
		return 6
	case opset <= 14:
		return 7
	default:
		return 8
	}
}

// ToONNX converts the model, weights included, to an ONNX model with a
// symbolic batch dimension "N". Every layer kind of this package is
// exported: Conv2D→Conv, MaxPool2D→MaxPool, Flatten→Flatten, Dense→Gemm,
// ReLU→Relu, Softmax→Softmax.
func ToONNX(m *Sequential, opt ExportOptions) (*pb.ModelProto, error) {
	if opt.Opset == 0 {
		opt.Opset = 13
	}
	if opt.Opset < MinOpset || opt.Opset > MaxOpset {
		return nil, fmt.Errorf("layers: export opset %d not supported (%d to %d)", opt.Opset, MinOpset, MaxOpset)
	}
	if opt.InputName == "" {
		opt.InputName = "input"
	}
	if opt.OutputName == "" {
		opt.OutputName = "output"
	}
	e := &exporter{opset: opt.Opset, g: &pb.GraphProto{Name: "sequential"}}
	elem := int32(pb.TensorProto_FLOAT)
	if m.Dtype == tensor.Float64 {
		elem = int32(pb.TensorProto_DOUBLE)
	}
	e.elem = elem

	inShape := append([]int{-1}, m.Input...)
	x := opt.InputName
	switch opt.Layout {
	case "", NCHW:
	case NHWC, NHW:
		if len(m.Input) != 3 {
			return nil, fmt.Errorf("layers: %s export needs a [C, H, W] input, the model takes %v", opt.Layout, m.Input)
		}
		c, h, w := m.Input[0], m.Input[1], m.Input[2]
		if opt.Layout == NHWC {
			inShape = []int{-1, h, w, c}
			x = e.node("Transpose", "input_nchw", []string{x}, intsAttr("perm", 0, 3, 1, 2))
			break
		}
		if c != 1 {
			return nil, fmt.Errorf("layers: nhw export needs one channel, the model takes %v", m.Input)
		}
		inShape = []int{-1, h, w}
		shape := tensor.New(tensor.WithShape(4), tensor.WithBacking([]int64{-1, 1, int64(h), int64(w)}))
		e.g.Initializer = append(e.g.Initializer, tensorProto("input_nchw_shape", shape))
		x = e.node("Reshape", "input_nchw", []string{x, "input_nchw_shape"})
	default:
		return nil, fmt.Errorf("layers: unknown layout %q (nchw, nhwc or nhw)", opt.Layout)
	}
	e.g.Input = []*pb.ValueInfoProto{valueInfo(opt.InputName, elem, inShape)}
	in := m.Input
	for i, l := range m.Layers {
		var err error
		if x, err = e.layer(l, x, in); err != nil {
			return nil, fmt.Errorf("layers: export of layer %q (%s): %w", l.Name(), l.Kind(), err)
		}
		in = m.shapes[i]
	}
	if len(e.g.Node) == 0 {
		x = e.node("Identity", "identity", []string{x})
	}
	// Name the final tensor as asked.
	last := e.g.Node[len(e.g.Node)-1]
	last.Output[0] = opt.OutputName
	outShape := append([]int{-1}, m.shapes[len(m.shapes)-1]...)
	e.g.Output = []*pb.ValueInfoProto{valueInfo(opt.OutputName, elem, outShape)}

	mp := &pb.ModelProto{
		IrVersion:       irVersion(opt.Opset),
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: "", Version: int64(opt.Opset)}},
		ProducerName:    "onnxkit",
		ProducerVersion: opt.ProducerVersion,
		DocString:       opt.DocString,
		Graph:           e.g,
	}
	keys := make([]string, 0, len(opt.Metadata))
	for k := range opt.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		mp.MetadataProps = append(mp.MetadataProps, &pb.StringStringEntryProto{Key: k, Value: opt.Metadata[k]})
	}
	return mp, nil
}

type exporter struct {
	opset int
	elem  int32
	g     *pb.GraphProto
}

// node appends a node whose single output is named after the node.
func (e *exporter) node(op, name string, inputs []string, attrs ...*pb.AttributeProto) string {
	e.g.Node = append(e.g.Node, &pb.NodeProto{OpType: op, Name: name, Input: inputs, Output: []string{name}, Attribute: attrs})
	return name
}

func (e *exporter) initializer(p *Param) string {
	e.g.Initializer = append(e.g.Initializer, tensorProto(p.Name, p.Value))
	return p.Name
}

func (e *exporter) activation(name, act, x string) (string, error) {
	switch act {
	case "", "linear":
		return x, nil
	case "relu":
		return e.node("Relu", name+"/Relu", []string{x}), nil
	case "softmax":
		return e.node("Softmax", name+"/Softmax", []string{x}, intAttr("axis", 1)), nil
	}
	return "", fmt.Errorf("activation %q has no ONNX export", act)
}

func (e *exporter) layer(l Layer, x string, in []int) (string, error) {
	name := l.Name()
	switch l := l.(type) {
	case *Conv2D:
		p, err := l.convParams(in)
		if err != nil {
			return "", err
		}
		y := e.node("Conv", name+"/Conv", []string{x, e.initializer(l.w), e.initializer(l.b)},
			intsAttr("kernel_shape", p.KH, p.KW),
			intsAttr("strides", p.StrideH, p.StrideW),
			intsAttr("dilations", p.DilH, p.DilW),
			intsAttr("pads", p.PadTop, p.PadLeft, p.PadBottom, p.PadRight),
			intAttr("group", p.Group))
		return e.activation(name, l.Activation, y)
	case *MaxPool2D:
		p, err := l.PoolParams(in)
		if err != nil {
			return "", err
		}
		return e.node("MaxPool", name+"/MaxPool", []string{x},
			intsAttr("kernel_shape", p.KH, p.KW),
			intsAttr("strides", p.StrideH, p.StrideW),
			intsAttr("pads", p.PadTop, p.PadLeft, p.PadBottom, p.PadRight)), nil
	case *Flatten:
		return e.node("Flatten", name+"/Flatten", []string{x}, intAttr("axis", 1)), nil
	case *Dense:
		y := e.node("Gemm", name+"/Gemm", []string{x, e.initializer(l.w), e.initializer(l.b)},
			floatAttr("alpha", 1), floatAttr("beta", 1))
		return e.activation(name, l.Activation, y)
	case *ReLU:
		return e.activation(name, "relu", x)
	case *Softmax:
		return e.activation(name, "softmax", x)
	}
	return "", fmt.Errorf("layer kind %s has no ONNX export", l.Kind())
}

func intAttr(name string, v int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: proto.Int64(int64(v))}
}

func floatAttr(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOAT, F: proto.Float32(v)}
}

func intsAttr(name string, vs ...int) *pb.AttributeProto {
	a := &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS}
	for _, v := range vs {
		a.Ints = append(a.Ints, int64(v))
	}
	return a
}

// valueInfo declares a tensor; a negative dimension is the symbolic "N".
func valueInfo(name string, elem int32, shape []int) *pb.ValueInfoProto {
	sp := &pb.TensorShapeProto{}
	for _, d := range shape {
		if d < 0 {
			sp.Dim = append(sp.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}})
		} else {
			sp.Dim = append(sp.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{ElemType: elem, Shape: sp}}}}
}

// tensorProto stores t as little-endian raw_data.
func tensorProto(name string, t *tensor.Dense) *pb.TensorProto {
	tp := &pb.TensorProto{Name: name}
	for _, d := range t.Shape() {
		tp.Dims = append(tp.Dims, int64(d))
	}
	switch d := t.Data().(type) {
	case []float32:
		tp.DataType = int32(pb.TensorProto_FLOAT)
		tp.RawData = make([]byte, 4*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint32(tp.RawData[4*i:], math.Float32bits(v))
		}
	case []float64:
		tp.DataType = int32(pb.TensorProto_DOUBLE)
		tp.RawData = make([]byte, 8*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint64(tp.RawData[8*i:], math.Float64bits(v))
		}
	case []int64:
		tp.DataType = int32(pb.TensorProto_INT64)
		tp.RawData = make([]byte, 8*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint64(tp.RawData[8*i:], uint64(v))
		}
	}
	return tp
}
