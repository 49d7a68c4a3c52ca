package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestRecurrentMatchesORT runs one-node LSTM, GRU and RNN models through
// onnxruntime and onnxkit on the cases its spec leaves to implementations:
// sequence_lens shorter than the sequence (and 0), reverse and
// bidirectional runs with initial states and peepholes, clip,
// input_forget, linear_before_reset and non-default activations.
// (onnxruntime's CPU recurrent kernels implement layout 0 only.) Each
// case also runs in onnxkit at the operator's older versions (opset 1, or
// 3 for GRU, whose version 1 lacks linear_before_reset, and 6), with
// output_sequence = 1, against onnxruntime's opset-14 outputs: the
// equations did not change. onnxruntime itself runs opsets before 7 where
// it implements them.
func TestRecurrentMatchesORT(t *testing.T) {
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	r := rand.New(rand.NewPCG(7, 9))
	x := func(shape ...int) *tensors.Tensor { return nnOrtRand(r, shape...) }
	lens := func(v ...int32) *tensors.Tensor { t, _ := tensors.New([]int{len(v)}, v); return t }
	strs := func(name string, v ...string) *onnxpb.AttributeProto {
		a := &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRINGS}
		for _, s := range v {
			a.Strings = append(a.Strings, []byte(s))
		}
		return a
	}
	floats := func(name string, v ...float32) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOATS, Floats: v}
	}
	type attrs = []*onnxpb.AttributeProto
	const S, B, I, H = 5, 3, 4, 3
	cases := []struct {
		op    string
		attrs attrs
		in    []*tensors.Tensor // nil: omitted
		outs  []bool
	}{
		{"LSTM", attrs{nnOrtInt("hidden_size", H), nnOrtStr("direction", "bidirectional")},
			[]*tensors.Tensor{x(S, B, I), x(2, 4*H, I), x(2, 4*H, H), x(2, 8*H), lens(5, 2, 0), x(2, B, H), x(2, B, H), x(2, 3*H)}, []bool{true, true, true}},
		{"LSTM", attrs{nnOrtInt("hidden_size", H), nnOrtStr("direction", "reverse"), nnOrtFloat("clip", 0.7), nnOrtInt("input_forget", 1)},
			[]*tensors.Tensor{x(S, B, I), x(1, 4*H, I), x(1, 4*H, H), x(1, 8*H), lens(3, 5, 1)}, []bool{true, true, false}},
		{"LSTM", attrs{nnOrtInt("hidden_size", H), strs("activations", "HardSigmoid", "LeakyRelu", "Softsign"), floats("activation_alpha", 0.3, 0.2), floats("activation_beta", 0.4)},
			[]*tensors.Tensor{x(S, B, I), x(1, 4*H, I), x(1, 4*H, H)}, []bool{false, true, true}},
		{"GRU", attrs{nnOrtInt("hidden_size", H), nnOrtStr("direction", "bidirectional"), nnOrtInt("linear_before_reset", 1)},
			[]*tensors.Tensor{x(S, B, I), x(2, 3*H, I), x(2, 3*H, H), x(2, 6*H), lens(4, 5, 2), x(2, B, H)}, []bool{true, true}},
		{"GRU", attrs{nnOrtInt("hidden_size", H), nnOrtStr("direction", "reverse")},
			[]*tensors.Tensor{x(S, B, I), x(1, 3*H, I), x(1, 3*H, H), x(1, 6*H), lens(1, 5, 3), x(1, B, H)}, []bool{true, true}},
		{"GRU", attrs{nnOrtInt("hidden_size", H), strs("activations", "Sigmoid", "Elu"), floats("activation_alpha", 0.5)},
			[]*tensors.Tensor{x(S, B, I), x(1, 3*H, I), x(1, 3*H, H), x(1, 6*H)}, []bool{true, false}},
		{"RNN", attrs{nnOrtInt("hidden_size", H), nnOrtStr("direction", "bidirectional"), strs("activations", "Relu", "Tanh")},
			[]*tensors.Tensor{x(S, B, I), x(2, H, I), x(2, H, H), x(2, 2*H), lens(2, 5, 4), x(2, B, H)}, []bool{true, true}},
		{"RNN", attrs{nnOrtInt("hidden_size", H), nnOrtFloat("clip", 0.5)},
			[]*tensors.Tensor{x(S, B, I), x(1, H, I), x(1, H, H)}, []bool{true, true}},
	}
	dir := t.TempDir()
	var refused []string // old-opset models onnxruntime does not implement
	defer func() {
		if len(refused) > 0 {
			t.Logf("onnxruntime has no implementation for %d of the old-opset models (%s, ...)", len(refused), refused[0])
		}
	}()
	for ci, c := range cases {
		name := fmt.Sprintf("case %d %s", ci, c.op)
		g := &onnxpb.GraphProto{Name: c.op}
		in := make([]string, len(c.in))
		feeds := map[string]*tensor.Dense{}
		for i, v := range c.in {
			if v == nil {
				continue
			}
			in[i] = fmt.Sprintf("x%d", i)
			g.Input = append(g.Input, nnOrtValueInfo(in[i], v.DType(), v.Shape()))
			d, err := onnx.ToDense(v)
			if err != nil {
				t.Fatal(err)
			}
			feeds[in[i]] = d
		}
		out := make([]string, len(c.outs))
		var fetch []string
		for i, want := range c.outs {
			if want {
				out[i] = fmt.Sprintf("y%d", i)
				fetch = append(fetch, out[i])
				g.Output = append(g.Output, nnOrtValueInfo(out[i], tensors.Float32, nil))
			}
		}
		write := func(opset int64, attrs attrs) string {
			g.Node = []*onnxpb.NodeProto{{OpType: c.op, Input: in, Output: out, Attribute: attrs}}
			mp := &onnxpb.ModelProto{IrVersion: 7, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: opset}}, Graph: g}
			bs, err := proto.Marshal(mp)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%d-%s-%d.onnx", ci, c.op, opset))
			if err := os.WriteFile(path, bs, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
		path := write(14, c.attrs)
		want, err := ort.Run(path, feeds, nil)
		if err != nil {
			t.Errorf("%s: onnxruntime: %v", name, err)
			continue
		}
		compareRecurrent(t, name, path, feeds, want, fetch)
		old := []int64{1, 6}
		if c.op == "GRU" {
			old[0] = 3
		}
		for _, opset := range old {
			oldPath := write(opset, append(c.attrs[:len(c.attrs):len(c.attrs)], nnOrtInt("output_sequence", 1)))
			oldName := fmt.Sprintf("%s opset %d", name, opset)
			compareRecurrent(t, oldName, oldPath, feeds, want, fetch)
			if ortOld, err := ort.Run(oldPath, feeds, nil); err != nil {
				refused = append(refused, oldName)
			} else {
				compareRecurrent(t, oldName+" (onnxruntime at this opset)", oldPath, feeds, ortOld, fetch)
			}
		}
	}
}

// compareRecurrent runs the model at path in onnxkit and compares the
// fetched outputs with onnxruntime's (want).
func compareRecurrent(t *testing.T, name, path string, feeds, want map[string]*tensor.Dense, fetch []string) {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Errorf("%s: load: %v", name, err)
		return
	}
	got, err := m.Run(feeds)
	if err != nil {
		t.Errorf("%s: run: %v", name, err)
		return
	}
	{
		for _, o := range fetch {
			gt, err1 := onnx.FromDense(got[o])
			wt, err2 := onnx.FromDense(want[o])
			if err1 != nil || err2 != nil {
				t.Fatalf("%s output %s: %v %v", name, o, err1, err2)
			}
			if !tensors.SameShape(gt.Shape(), wt.Shape()) {
				t.Errorf("%s output %s: got %v, onnxruntime %v", name, o, gt, wt)
				continue
			}
			gv, _ := tensors.AsFloat64s(gt)
			wv, _ := tensors.AsFloat64s(wt)
			for i := range wv {
				if a, e := gv[i], wv[i]; !(math.Abs(a-e) <= 1e-5+1e-5*math.Abs(e)) {
					t.Errorf("%s output %s: element %d is %g, onnxruntime %g", name, o, i, a, e)
					break
				}
			}
		}
	}
}
