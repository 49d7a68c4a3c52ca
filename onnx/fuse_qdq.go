package onnx

import (
	"math"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// QDQ fusion. Quantized models in onnxruntime's QDQ format keep float
// operators between DequantizeLinear and QuantizeLinear nodes:
//
//	DQ(x) ─┐
//	DQ(w) ─┼─ Conv ── Q ── y        becomes   QLinearConv(x, w, b) ── y
//	DQ(b) ─┘
//
// onnxruntime rewrites these patterns into its integer kernels when it
// loads the model, and so does onnxkit, with the same rules, so that both
// compute the same integers (exactly, as their integer kernels agree) and
// run them at integer speed: Conv into QLinearConv, Add into
// com.microsoft.QLinearAdd and GlobalAveragePool into
// com.microsoft.QLinearGlobalAveragePool. A pattern is fused only when
// the float operator's output is read by the one QuantizeLinear alone (and
// is no graph output), the dequantized activations are quantized per
// tensor with explicit zero points, Conv weights are constant 8-bit
// tensors quantized per tensor or per output channel, and a Conv bias is a
// constant int32 tensor whose scale is x_scale·w_scale with zero point 0.
// The DequantizeLinear nodes stay for any other reader; those nothing
// reads any more are never run.

// fuseQDQ returns the graph's nodes with the patterns above fused and
// whether it made a com.microsoft node.
func fuseQDQ(nodes []*onnxpb.NodeProto, consts map[string]*tensors.Tensor, outputs map[string]bool) ([]*onnxpb.NodeProto, bool) {
	producer := map[string]*onnxpb.NodeProto{}
	readers := map[string][]*onnxpb.NodeProto{}
	for _, n := range nodes {
		for _, o := range n.GetOutput() {
			producer[o] = n
		}
		for _, in := range n.GetInput() {
			readers[in] = append(readers[in], n)
		}
	}
	// dq returns the DequantizeLinear node producing name, if any.
	dq := func(name string) *onnxpb.NodeProto {
		p := producer[name]
		if p == nil || p.GetOpType() != "DequantizeLinear" || ops.NormalizeDomain(p.GetDomain()) != "" || len(p.GetInput()) != 3 || p.GetInput()[2] == "" {
			return nil
		}
		return p
	}
	scalar := func(name string) bool {
		t := consts[name]
		return t != nil && t.Len() == 1
	}
	// perTensor: a dequantized activation with constant scalar scale and
	// zero point of an 8-bit type.
	perTensor := func(n *onnxpb.NodeProto) bool {
		if n == nil || !scalar(n.GetInput()[1]) || !scalar(n.GetInput()[2]) {
			return false
		}
		dt := consts[n.GetInput()[2]].DType()
		return dt == tensors.Uint8 || dt == tensors.Int8
	}
	zpType := func(n *onnxpb.NodeProto) tensors.DType { return consts[n.GetInput()[2]].DType() }
	// quantizer returns the QuantizeLinear node that alone reads name.
	quantizer := func(name string) *onnxpb.NodeProto {
		if outputs[name] || len(readers[name]) != 1 {
			return nil
		}
		n := readers[name][0]
		if n.GetOpType() == "QuantizeLinear" && ops.NormalizeDomain(n.GetDomain()) == "" && len(n.GetInput()) == 3 && n.GetInput()[0] == name && perTensor(n) {
			return n
		}
		return nil
	}
	replace := map[*onnxpb.NodeProto]*onnxpb.NodeProto{} // float node -> fused node
	drop := map[*onnxpb.NodeProto]bool{}                 // the QuantizeLinear nodes fused
	microsoft := false
	for _, n := range nodes {
		if ops.NormalizeDomain(n.GetDomain()) != "" || len(n.GetOutput()) != 1 {
			continue
		}
		in := n.GetInput()
		var fused *onnxpb.NodeProto
		switch n.GetOpType() {
		case "Conv":
			if len(in) < 2 {
				continue
			}
			x, w := dq(in[0]), dq(in[1])
			q := quantizer(n.GetOutput()[0])
			if !perTensor(x) || w == nil || q == nil || !convWeights(w, consts) {
				continue
			}
			args := []string{x.GetInput()[0], x.GetInput()[1], x.GetInput()[2], w.GetInput()[0], w.GetInput()[1], w.GetInput()[2], q.GetInput()[1], q.GetInput()[2]}
			if len(in) > 2 && in[2] != "" {
				b := dq(in[2])
				if b == nil || !convBias(b, x, w, consts) {
					continue
				}
				args = append(args, b.GetInput()[0])
			}
			fused = &onnxpb.NodeProto{OpType: "QLinearConv", Name: n.GetName(), Input: args, Attribute: n.GetAttribute()}
		case "Add":
			if len(in) != 2 {
				continue
			}
			a, b := dq(in[0]), dq(in[1])
			q := quantizer(n.GetOutput()[0])
			if !perTensor(a) || !perTensor(b) || q == nil || zpType(a) != zpType(b) || zpType(a) != zpType(q) {
				continue
			}
			fused = &onnxpb.NodeProto{OpType: "QLinearAdd", Domain: ops.DomainMicrosoft, Name: n.GetName(),
				Input: []string{a.GetInput()[0], a.GetInput()[1], a.GetInput()[2], b.GetInput()[0], b.GetInput()[1], b.GetInput()[2], q.GetInput()[1], q.GetInput()[2]}}
		case "GlobalAveragePool":
			x := dq(in[0])
			q := quantizer(n.GetOutput()[0])
			if !perTensor(x) || q == nil || zpType(x) != zpType(q) {
				continue
			}
			fused = &onnxpb.NodeProto{OpType: "QLinearGlobalAveragePool", Domain: ops.DomainMicrosoft, Name: n.GetName(),
				Input: []string{x.GetInput()[0], x.GetInput()[1], x.GetInput()[2], q.GetInput()[1], q.GetInput()[2]}}
		default:
			continue
		}
		q := quantizer(n.GetOutput()[0])
		fused.Output = []string{q.GetOutput()[0]}
		replace[n] = fused
		drop[q] = true
		microsoft = microsoft || fused.GetDomain() != ""
	}
	if len(replace) == 0 {
		return nodes, false
	}
	out := make([]*onnxpb.NodeProto, 0, len(nodes))
	for _, n := range nodes {
		switch {
		case drop[n]:
		case replace[n] != nil:
			out = append(out, replace[n])
		default:
			out = append(out, n)
		}
	}
	return out, microsoft
}

// convWeights reports whether a DequantizeLinear node gives Conv constant
// 8-bit weights quantized per tensor or per output channel (axis 0).
func convWeights(w *onnxpb.NodeProto, consts map[string]*tensors.Tensor) bool {
	q, s, z := consts[w.GetInput()[0]], consts[w.GetInput()[1]], consts[w.GetInput()[2]]
	if q == nil || s == nil || z == nil || q.Rank() < 3 || (q.DType() != tensors.Int8 && q.DType() != tensors.Uint8) || z.DType() != q.DType() {
		return false
	}
	if s.Len() == 1 {
		return z.Len() == 1
	}
	axis := int64(1)
	for _, a := range w.GetAttribute() {
		if a.GetName() == "axis" {
			axis = a.GetI()
		}
	}
	return (axis == 0 || axis == -int64(q.Rank())) && s.Rank() == 1 && s.Len() == q.Shape()[0] && z.Len() == s.Len()
}

// convBias reports whether a DequantizeLinear node gives Conv a constant
// int32 bias with zero point 0 and scale x_scale·w_scale (in float32, as
// quantizers compute it), which QLinearConv adds to its int32 sums as is.
func convBias(b, x, w *onnxpb.NodeProto, consts map[string]*tensors.Tensor) bool {
	q, s, z := consts[b.GetInput()[0]], consts[b.GetInput()[1]], consts[b.GetInput()[2]]
	xs, ws := consts[x.GetInput()[1]], consts[w.GetInput()[1]]
	if q == nil || s == nil || z == nil || xs == nil || ws == nil || q.DType() != tensors.Int32 || q.Rank() != 1 ||
		s.DType() != tensors.Float32 || xs.DType() != tensors.Float32 || ws.DType() != tensors.Float32 {
		return false
	}
	zs, err := tensors.AsInt64s(z)
	if err != nil {
		return false
	}
	for _, v := range zs {
		if v != 0 {
			return false
		}
	}
	sv, xv, wv := tensors.Data[float32](s), tensors.Data[float32](xs)[0], tensors.Data[float32](ws)
	if len(sv) != 1 && len(sv) != q.Len() || len(wv) != 1 && len(wv) != q.Len() {
		return false
	}
	for c := 0; c < q.Len(); c++ {
		want := xv * wv[min(c, len(wv)-1)]
		got := sv[min(c, len(sv)-1)]
		if math.Abs(float64(got-want)) > 1e-6*math.Abs(float64(want)) {
			return false
		}
	}
	return true
}
