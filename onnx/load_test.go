package onnx

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestLoadValidation(t *testing.T) {
	f32 := tensorType(tensors.Float32, 2)
	base := func() *onnxpb.ModelProto {
		return modelProto(13, &onnxpb.GraphProto{
			Node:   []*onnxpb.NodeProto{nodeProto("Relu", "r", []string{"x"}, []string{"y"})},
			Input:  []*onnxpb.ValueInfoProto{valueInfo("x", f32)},
			Output: []*onnxpb.ValueInfoProto{valueInfo("y", f32)},
		})
	}
	cases := []struct {
		name   string
		edit   func(m *onnxpb.ModelProto)
		want   []string
		uns    bool // ErrUnsupported rather than ErrInvalidModel
		noLoad bool
	}{
		{"valid", func(m *onnxpb.ModelProto) {}, nil, false, false},
		{"cycle", func(m *onnxpb.ModelProto) {
			m.Graph.Node = []*onnxpb.NodeProto{
				nodeProto("Add", "a", []string{"x", "c"}, []string{"b"}),
				nodeProto("Relu", "b", []string{"b"}, []string{"c"}),
				nodeProto("Relu", "out", []string{"b"}, []string{"y"}),
			}
		}, []string{"cycle", `node "a" (Add)`, `node "b" (Relu)`}, false, true},
		{"self loop", func(m *onnxpb.ModelProto) {
			m.Graph.Node = []*onnxpb.NodeProto{nodeProto("Add", "loop", []string{"x", "y"}, []string{"y"})}
		}, []string{"cycle", `node "loop" (Add)`}, false, true},
		{"undefined input", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Input = []string{"nope"}
		}, []string{`node "r" (Relu)`, `input "nope" is not defined`}, false, true},
		{"duplicate output", func(m *onnxpb.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, nodeProto("Relu", "again", []string{"x"}, []string{"y"}))
		}, []string{`output "y"`, `node "again"`, `node "r"`}, false, true},
		{"output shadows input", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Output = []string{"x"}
		}, []string{`output "x" has the name of a graph input`}, false, true},
		{"unknown op", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].OpType = "Frobnicate"
		}, []string{"Frobnicate is not an operator of ai.onnx", `node "r"`}, false, true},
		{"unimplemented op", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].OpType = "Gradient"
			m.Graph.Node[0].Domain = "ai.onnx.preview.training"
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx.preview.training", Version: 1})
		}, []string{`node "r" (ai.onnx.preview.training.Gradient)`, "Gradient", "opset 1", "not implemented"}, true, true},
		{"op too new for opset", func(m *onnxpb.ModelProto) {
			m.OpsetImport[0].Version = 4
			m.Graph.Node[0].OpType = "Shape"
			m.Graph.Node[0].OpType = "Reshape"
			m.Graph.Node[0].Input = []string{"x", "s"}
			m.Graph.Initializer = []*onnxpb.TensorProto{tensors.ToProto("s", tensors.Vector[int64](2))}
		}, []string{"2 inputs, but Reshape version 1 takes at most 1"}, false, true},
		{"opset newer than known", func(m *onnxpb.ModelProto) {
			m.OpsetImport[0].Version = 21
		}, []string{"opset 21", "up to 18"}, true, true},
		{"domain not imported", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Domain = "com.example"
		}, []string{"does not import an opset for domain com.example"}, false, true},
		{"custom domain op", func(m *onnxpb.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "com.example", Version: 1})
			m.Graph.Node[0].Domain = "com.example"
		}, []string{"Relu of domain com.example is not implemented"}, true, true},
		{"unused ml domain", func(m *onnxpb.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx.ml", Version: 2})
		}, nil, false, false},
		{"ai.onnx spelling", func(m *onnxpb.ModelProto) {
			m.OpsetImport[0].Domain = "ai.onnx"
		}, nil, false, false},
		{"opset imported twice", func(m *onnxpb.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx", Version: 13})
		}, []string{"imported twice"}, false, true},
		{"no ir version", func(m *onnxpb.ModelProto) { m.IrVersion = 0 }, []string{"ir_version"}, false, true},
		{"no graph", func(m *onnxpb.ModelProto) { m.Graph = nil }, []string{"no graph"}, false, true},
		{"missing graph output", func(m *onnxpb.ModelProto) {
			m.Graph.Output[0].Name = "zzz"
		}, []string{`graph output "zzz" is not computed`}, false, true},
		{"raw_data length", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{{Name: "w", DataType: int32(tensors.Float32), Dims: []int64{3}, RawData: make([]byte, 8)}}
		}, []string{`tensor "w"`, "raw_data has 8 bytes, want 12"}, false, true},
		{"hostile dims", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{{Name: "w", DataType: int32(tensors.Float32), Dims: []int64{1 << 62, 1 << 62}, RawData: make([]byte, 4)}}
		}, []string{`tensor "w"`, "overflow"}, false, true},
		{"huge claimed initializer", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{{Name: "w", DataType: int32(tensors.Float64), Dims: []int64{1 << 30}, RawData: make([]byte, 16)}}
		}, []string{`tensor "w"`, "raw_data has 16 bytes"}, false, true},
		{"negative dim", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{{Name: "w", DataType: int32(tensors.Float32), Dims: []int64{-1}}}
		}, []string{`tensor "w"`, "out of range"}, false, true},
		{"negative input dim", func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = tensorType(tensors.Float32, -3)
		}, []string{`graph input "x"`, "dimension 0 is -3"}, false, true},
		{"complex64 input", func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = tensorType(tensors.Complex64, 2)
		}, []string{`graph input "x"`, "complex64"}, true, true},
		{"sequence into a tensor operator", func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{}}}
		}, []string{`node "r" (Relu)`, `input 0 ("x") is a sequence`, "Relu takes tensors"}, false, true},
		{"map input", func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{MapType: &onnxpb.TypeProto_Map{KeyType: 7}}}
		}, []string{`graph input "x"`, "map values"}, true, true},
		{"duplicate initializer", func(m *onnxpb.ModelProto) {
			w := tensors.ToProto("w", tensors.Vector[float32](1))
			m.Graph.Initializer = []*onnxpb.TensorProto{w, w}
		}, []string{`initializer "w" is defined twice`}, false, true},
		{"wrong attribute type", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].OpType = "Shape"
			m.OpsetImport[0].Version = 15
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: "start", Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(1)}}
		}, []string{`node "r" (Shape)`, `attribute "start" has type FLOAT, want INT`}, false, true},
		{"static broadcast mismatch", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0] = nodeProto("Add", "add", []string{"x", "w"}, []string{"y"})
			m.Graph.Initializer = []*onnxpb.TensorProto{tensors.ToProto("w", tensors.Vector[float32](1, 2, 3))}
		}, []string{`node "add" (Add)`, "cannot broadcast"}, false, true},
		{"folded error", func(m *onnxpb.ModelProto) {
			m.Graph.Node = append([]*onnxpb.NodeProto{nodeProto("Reshape", "fold", []string{"w", "s"}, []string{"z"})}, m.Graph.Node...)
			m.Graph.Initializer = []*onnxpb.TensorProto{tensors.ToProto("w", tensors.Vector[float32](1, 2, 3)), tensors.ToProto("s", tensors.Vector[int64](2))}
		}, []string{`node "fold" (Reshape)`, "cannot reshape"}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mp := base()
			c.edit(mp)
			b, err := proto.Marshal(mp)
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadBytes("test.onnx", b)
			if !c.noLoad {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "onnx: load test.onnx: ") {
				t.Errorf("error %q does not name the model", err)
			}
			if errors.Is(err, ErrUnsupported) != c.uns || errors.Is(err, ErrInvalidModel) == c.uns {
				t.Errorf("error class: unsupported=%v invalid=%v, want unsupported=%v", errors.Is(err, ErrUnsupported), errors.Is(err, ErrInvalidModel), c.uns)
			}
		})
	}
}

func TestLoadGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("not a model at all"), {0xff, 0xff, 0xff}} {
		if _, err := LoadBytes("junk", b); err == nil || !errors.Is(err, ErrInvalidModel) {
			t.Errorf("LoadBytes(%q): %v", b, err)
		}
	}
	if _, err := Load("/nonexistent/model.onnx"); err == nil || !strings.Contains(err.Error(), "/nonexistent/model.onnx") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// TestUnsortedNodes checks that nodes listed out of order are sorted.
func TestUnsortedNodes(t *testing.T) {
	mp := smallModel()
	n := mp.Graph.Node
	mp.Graph.Node = []*onnxpb.NodeProto{n[2], n[0], n[1]}
	m, err := FromProto("unsorted", mp)
	if err != nil {
		t.Fatal(err)
	}
	x := mustTensor(t, []int{1, 4}, []float32{1, 2, 3, 4})
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.Data[float32](out["y"]); got[0] != 2 || got[1] != 0 {
		t.Errorf("y = %v", got)
	}
}

func TestStaticTypes(t *testing.T) {
	m, err := FromProto("small", smallModel())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x": "float32[N 4]", "r": "float32[? 2 2]", "s": "float32[? 2 2]", "y": "float32[? 2 2]", "shape": "int64[3]"} {
		got, ok := m.ValueType(name)
		if !ok || got.String() != want {
			t.Errorf("ValueType(%s) = %v, %v; want %s", name, got, ok, want)
		}
	}
	if in := m.Inputs(); len(in) != 1 || in[0].Name != "x" || in[0].HasDefault {
		t.Errorf("Inputs = %+v", in)
	}
	if m.Opset("ai.onnx") != 14 || m.Opset("") != 14 || m.Opset("ai.onnx.ml") != 0 {
		t.Errorf("Opset: %d %d", m.Opset(""), m.Opset("ai.onnx.ml"))
	}
}

func TestOpsUsed(t *testing.T) {
	mp := smallModel()
	grad := nodeProto("Gradient", "grad", []string{"y"}, []string{"z"})
	grad.Domain = "ai.onnx.preview.training"
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx.preview.training", Version: 1})
	mp.Graph.Node = append(mp.Graph.Node, grad, nodeProto("Relu", "r2", []string{"z"}, []string{"w"}))
	got := OpsUsed(mp)
	if len(got) != 4 {
		t.Fatalf("OpsUsed = %+v", got)
	}
	for _, u := range got {
		switch u.Type {
		case "Relu":
			if u.Nodes != 2 || u.Since != 14 || u.Err != nil {
				t.Errorf("Relu: %+v", u)
			}
		case "Gradient":
			if !errors.Is(u.Err, ErrUnsupported) {
				t.Errorf("Gradient: %+v", u)
			}
		}
	}
}
