package onnx

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// concatModel is x[N,2,H,W] -> Conv(3, 3×3, pads 1)+Relu, Conv(4, 1×1) and
// MaxPool(3×3, pads 1) of x -> Concat along the channels (9) -> Conv(2,
// 1×1) -> y; with extra, the 1×1 Conv's output is a graph output too.
func concatModel(t *testing.T, extra bool) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(61, 62))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = r.Float32()*2 - 1
		}
		return s
	}
	ints := func(name string, v ...int64) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
	}
	g := &onnxpb.GraphProto{
		Name: "concat",
		Node: []*onnxpb.NodeProto{
			nodeProto("Conv", "a", []string{"x", "wa", "ba"}, []string{"ca"}, ints("pads", 1, 1, 1, 1)),
			nodeProto("Relu", "ra", []string{"ca"}, []string{"ra"}),
			nodeProto("Conv", "b", []string{"x", "wb"}, []string{"cb"}),
			nodeProto("MaxPool", "p", []string{"x"}, []string{"px"}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)),
			nodeProto("Concat", "cat", []string{"ra", "cb", "px"}, []string{"cat"},
				&onnxpb.AttributeProto{Name: "axis", Type: onnxpb.AttributeProto_INT, I: proto.Int64(1)}),
			nodeProto("Conv", "d", []string{"cat", "wd"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("wa", mustTensor(t, []int{3, 2, 3, 3}, rnd(54))),
			tensors.ToProto("ba", tensors.Vector[float32](0.5, -0.25, 0.1)),
			tensors.ToProto("wb", mustTensor(t, []int{4, 2, 1, 1}, rnd(8))),
			tensors.ToProto("wd", mustTensor(t, []int{2, 9, 1, 1}, rnd(18))),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, "H", "W"))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 2, "H", "W"))},
	}
	if extra {
		g.Output = append(g.Output, valueInfo("cb", tensorType(tensors.Float32, "N", 4, "H", "W")))
	}
	return loadGraph(t, "concat.onnx", 13, g)
}

// TestConcatInPlace checks a session whose Concat's producers (a fused
// Conv+Relu, a Conv, a MaxPool) compute their outputs in the Concat's
// output: from the second run of a shape on they write there (their last
// results are views of it), and every run gives what a fresh session's
// first run (which copies) gives, bit for bit, through changes of shape
// (a larger image, two images, back) and new inputs. A producer whose
// output is also a graph output keeps its own.
func TestConcatInPlace(t *testing.T) {
	m := concatModel(t, false)
	if n := len(m.g.base.concats); n != 1 || len(m.g.base.concats[0].producers) != 3 {
		t.Fatalf("%d Concat places (%+v), want 1 with 3 producers", n, m.g.base.concats)
	}
	s := m.NewSession()
	r := rand.New(rand.NewPCG(63, 64))
	for i, shape := range [][]int{{1, 2, 6, 6}, {1, 2, 6, 6}, {1, 2, 6, 6}, {1, 2, 9, 7}, {1, 2, 9, 7}, {2, 2, 6, 6}, {1, 2, 6, 6}, {1, 2, 6, 6}} {
		n := shape[0] * shape[1] * shape[2] * shape[3]
		x := make([]float32, n)
		for j := range x {
			x[j] = r.Float32()*4 - 2
		}
		in := map[string]*tensors.Tensor{"x": mustTensor(t, shape, x)}
		want, err := m.NewSession().Run(in)
		if err != nil {
			t.Fatal(err)
		}
		wantY := append([]float32(nil), tensors.Data[float32](want["y"])...)
		got, err := s.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		gotY := tensors.Data[float32](got["y"])
		if len(gotY) != len(wantY) {
			t.Fatalf("run %d %v: %d outputs, want %d", i, shape, len(gotY), len(wantY))
		}
		for j := range wantY {
			if gotY[j] != wantY[j] {
				t.Fatalf("run %d %v: y[%d] = %v, want %v", i, shape, j, gotY[j], wantY[j])
			}
		}
		// After a run of one image, the producers' results are the
		// Concat's blocks, in order.
		pl := m.g.base.concats[0]
		out := tensors.Data[float32](s.last[pl.step][0])
		inPlace := shape[0] == 1
		off := 0
		for k, p := range pl.producers {
			d := tensors.Data[float32](s.last[p][0])
			at := unsafe.SliceData(d) == unsafe.SliceData(out[off:])
			if at != inPlace {
				t.Fatalf("run %d %v: producer %d in place %v, want %v", i, shape, k, at, inPlace)
			}
			off += len(d)
		}
	}
	if m := concatModel(t, true); len(m.g.base.concats) != 0 {
		t.Fatalf("a Concat input that is a graph output: %d places, want 0", len(m.g.base.concats))
	}
}
