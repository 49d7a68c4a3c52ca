package onnx_test

import (
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// sequenceSeedModels are fuzz seeds for the sequence-model operators:
// recurrent layers with every optional input, and the logic, comparison
// and index operators with sizes and indices taken from graph inputs, and
// nested If nodes reading outer-scope values.
func sequenceSeedModels() map[string]*onnxpb.ModelProto {
	i64 := func(name string, v ...int64) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Vector(v...)) }
	str := func(name, v string) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
	}
	return map[string]*onnxpb.ModelProto{
		"seq-if":     ifSeed(),
		"seq-values": sequenceValuesModel(),
		"seq-recurrent": model(14, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("LSTM", "lstm", []string{"x", "lw", "lr", "lb", "lens", "h0", "c0", "lp"}, []string{"ly", "lh", "lc"},
					intAttr("hidden_size", 2), str("direction", "bidirectional")),
				node("GRU", "gru", []string{"x", "gw", "gr", "gb"}, []string{"gy", "gh"},
					intAttr("hidden_size", 2), intAttr("linear_before_reset", 1), str("direction", "reverse"), intAttr("layout", 1)),
				node("RNN", "rnn", []string{"x", "rw", "rr", "", "lens"}, []string{"", "rh"}, intAttr("hidden_size", 2),
					&onnxpb.AttributeProto{Name: "activations", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("Relu")}},
					&onnxpb.AttributeProto{Name: "clip", Type: onnxpb.AttributeProto_FLOAT, F: new(float32(3))}),
			},
			Initializer: []*onnxpb.TensorProto{
				tensors.ToProto("lw", weights(2, 8, 3)), tensors.ToProto("lr", weights(2, 8, 2)), tensors.ToProto("lb", weights(2, 16)),
				tensors.ToProto("h0", weights(2, 2, 2)), tensors.ToProto("c0", weights(2, 2, 2)), tensors.ToProto("lp", weights(2, 6)),
				tensors.ToProto("gw", weights(1, 6, 3)), tensors.ToProto("gr", weights(1, 6, 2)), tensors.ToProto("gb", weights(1, 12)),
				tensors.ToProto("rw", weights(1, 2, 3)), tensors.ToProto("rr", weights(1, 2, 2)),
			},
			Input: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 4, 2, 3)), vi("lens", tt(tensors.Int32, 2))},
			Output: []*onnxpb.ValueInfoProto{vi("ly", tt(tensors.Float32)), vi("lh", tt(tensors.Float32)), vi("lc", tt(tensors.Float32)),
				vi("gy", tt(tensors.Float32)), vi("gh", tt(tensors.Float32)), vi("rh", tt(tensors.Float32))},
		}),
		"seq-logic": model(18, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("Equal", "eq", []string{"a", "b"}, []string{"eq"}),
				node("Less", "lt", []string{"a", "b"}, []string{"lt"}),
				node("Not", "not", []string{"eq"}, []string{"ne"}),
				node("Xor", "xor", []string{"ne", "lt"}, []string{"xo"}),
				node("Where", "where", []string{"xo", "a", "b"}, []string{"w"}),
				node("Add", "b1", []string{"b", "one"}, []string{"b1"}),
				node("Mod", "mod", []string{"a", "b1"}, []string{"m"}),
				node("CumSum", "cumsum", []string{"w", "axis"}, []string{"cs"}, intAttr("exclusive", 1)),
				node("Size", "size", []string{"a"}, []string{"n"}),
				node("Range", "range", []string{"zero", "n", "one"}, []string{"rg"}),
				node("TopK", "topk", []string{"a", "k"}, []string{"tv", "ti"}, intAttr("largest", 0)),
				node("NonZero", "nonzero", []string{"a"}, []string{"nz"}),
				node("OneHot", "onehot", []string{"b", "n", "onoff"}, []string{"oh"}),
				node("Unique", "unique", []string{"a"}, []string{"uy", "ui", "uv", "uc"}, intAttr("axis", 1)),
				node("Trilu", "trilu", []string{"a", "k"}, []string{"tr"}),
				node("Compress", "compress", []string{"a", "lt1"}, []string{"cp"}, intAttr("axis", 0)),
				node("Slice", "lt1slice", []string{"ltflat", "zero1", "n1"}, []string{"lt1"}),
				node("Reshape", "ltflat", []string{"lt", "flat"}, []string{"ltflat"}),
				node("GatherElements", "ge", []string{"a", "idx"}, []string{"ge"}, intAttr("axis", 1)),
				node("ScatterElements", "se", []string{"a", "idx", "ge"}, []string{"se"}, intAttr("axis", 1), str("reduction", "max")),
				node("GatherND", "gnd", []string{"a", "nd"}, []string{"gnd"}),
				node("ArgMin", "argmin", []string{"a"}, []string{"am"}, intAttr("axis", 1), intAttr("select_last_index", 1)),
				node("Cast", "cast", []string{"a"}, []string{"af"}, intAttr("to", int64(tensors.Float32))),
				node("Einsum", "einsum", []string{"af", "af"}, []string{"es"}, str("equation", "ij,kj->ik")),
				node("EyeLike", "eye", []string{"af"}, []string{"eye"}, intAttr("k", 1)),
				node("IsInf", "isinf", []string{"es"}, []string{"inf"}),
				node("ReverseSequence", "revseq", []string{"af", "lens"}, []string{"rs"}, intAttr("batch_axis", 0), intAttr("time_axis", 1)),
			},
			Initializer: []*onnxpb.TensorProto{
				i64("axis", 1), i64("k", 1), tensors.ToProto("zero", tensors.Scalar[int64](0)), tensors.ToProto("one", tensors.Scalar[int64](1)),
				tensors.ToProto("onoff", tensors.Vector[float32](0, 1)), i64("flat", -1), i64("zero1", 0), i64("n1", 2),
				tensors.ToProto("nd", must(tensors.New([]int{1, 2}, []int64{0, 3}))),
			},
			Input: []*onnxpb.ValueInfoProto{vi("a", tt(tensors.Int64, "N", 4)), vi("b", tt(tensors.Int64, "N", 4)),
				vi("idx", tt(tensors.Int64, "N", 2)), vi("lens", tt(tensors.Int64, "N"))},
			Output: []*onnxpb.ValueInfoProto{vi("m", tt(tensors.Int64)), vi("cs", tt(tensors.Int64)), vi("rg", tt(tensors.Int64)),
				vi("tv", tt(tensors.Int64)), vi("oh", tt(tensors.Float32)), vi("uy", tt(tensors.Int64)),
				vi("tr", tt(tensors.Int64)), vi("se", tt(tensors.Int64)), vi("gnd", tt(tensors.Int64)),
				vi("am", tt(tensors.Int64)), vi("eye", tt(tensors.Float32)), vi("inf", tt(tensors.Bool)), vi("rs", tt(tensors.Float32))},
		}),
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// ifSeed is ifModel with its condition declared bool.
func ifSeed() *onnxpb.ModelProto {
	mp := ifModel()
	mp.Graph.Input[1] = vi("c", tt(tensors.Bool))
	return mp
}

// seqT is a sequence type of elements of type elem.
func seqT(elem *onnxpb.TypeProto) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: elem}}}
}

// optT is an optional type holding values of type elem.
func optT(elem *onnxpb.TypeProto) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: elem}}}
}

// sequenceValuesModel uses every sequence and optional operator, with
// positions and split sizes taken from graph inputs, a sequence-typed and
// an optional-typed graph input, and a SequenceMap whose body reads an
// outer value.
func sequenceValuesModel() *onnxpb.ModelProto {
	body := &onnxpb.GraphProto{
		Name:   "body",
		Node:   []*onnxpb.NodeProto{node("Add", "body_add", []string{"e", "bias"}, []string{"be"})},
		Input:  []*onnxpb.ValueInfoProto{vi("e", anyShape(tensors.Float32)), vi("t", anyShape(tensors.Float32))},
		Output: []*onnxpb.ValueInfoProto{vi("be", anyShape(tensors.Float32))},
	}
	return model(18, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("SplitToSequence", "split", []string{"x", "sz"}, []string{"parts"}, intAttr("axis", 1)),
			node("SplitToSequence", "split1", []string{"x"}, []string{"rows"}, intAttr("keepdims", 0)),
			node("SequenceInsert", "insert", []string{"parts", "x", "pos"}, []string{"ins"}),
			node("SequenceErase", "erase", []string{"ins", "pos"}, []string{"er"}),
			node("SequenceAt", "at", []string{"er", "pos"}, []string{"at"}),
			node("SequenceLength", "len", []string{"er"}, []string{"n"}),
			node("ConcatFromSequence", "concat", []string{"rows"}, []string{"stacked"}, intAttr("axis", 0), intAttr("new_axis", 1)),
			node("ConcatFromSequence", "concat2", []string{"s"}, []string{"joined"}, intAttr("axis", -1)),
			node("SequenceConstruct", "construct", []string{"x", "x"}, []string{"pair"}),
			node("SequenceEmpty", "empty", nil, []string{"none"}, intAttr("dtype", int64(tensors.Float32))),
			node("SequenceLength", "len0", []string{"none"}, []string{"n0"}),
			node("Optional", "opt", []string{"at"}, []string{"o"}),
			node("OptionalHasElement", "has", []string{"maybe"}, []string{"has"}),
			node("OptionalGetElement", "get", []string{"o"}, []string{"got"}),
			node("Identity", "id", []string{"maybe"}, []string{"maybe2"}),
			node("SequenceMap", "map", []string{"pair", "x"}, []string{"mapped"}, &onnxpb.AttributeProto{Name: "body", Type: onnxpb.AttributeProto_GRAPH, G: body}),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("bias", tensors.Scalar[float32](1)),
			tensors.ToProto("sz", tensors.Scalar[int64](3)), tensors.ToProto("pos", tensors.Scalar[int64](-1))},
		Input: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, "N", 4)),
			vi("s", seqT(tt(tensors.Float32, "N", 2))), vi("maybe", optT(tt(tensors.Float32, 2)))},
		Output: []*onnxpb.ValueInfoProto{vi("n", tt(tensors.Int64)), vi("stacked", tt(tensors.Float32)), vi("joined", tt(tensors.Float32)),
			vi("n0", tt(tensors.Int64)), vi("has", tt(tensors.Bool)), vi("got", tt(tensors.Float32)),
			vi("maybe2", optT(tt(tensors.Float32, 2))), vi("mapped", seqT(tt(tensors.Float32)))},
	})
}
