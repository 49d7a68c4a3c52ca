package onnx

import (
	"sort"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
)

// OpUse describes one operator that a model uses.
type OpUse struct {
	Domain string // "" for the default domain
	Type   string
	Opset  int // the model's version of Domain (0 if not imported)
	Since  int // operator version in effect at Opset, when implemented
	Nodes  int // number of nodes using it, subgraphs included
	// Err says why onnxkit cannot run the operator at this opset (it wraps
	// ErrUnsupported when the model is valid but the implementation is
	// missing), or is nil.
	Err error
}

// OpsUsed lists the operators a model uses, in its main graph and in
// subgraphs, sorted by domain and type, each with whether onnxkit
// implements it at the model's opset. It works on models that do not load,
// so a tool can report every missing operator at once.
func OpsUsed(mp *onnxpb.ModelProto) []OpUse {
	opsets, _ := readOpsets(mp)
	byKey := map[[2]string]*OpUse{}
	var walk func(g *onnxpb.GraphProto)
	walk = func(g *onnxpb.GraphProto) {
		for _, n := range g.GetNode() {
			d := ops.NormalizeDomain(n.GetDomain())
			k := [2]string{d, n.GetOpType()}
			u := byKey[k]
			if u == nil {
				v, imported := opsets[d]
				u = &OpUse{Domain: d, Type: n.GetOpType(), Opset: v}
				u.Err = checkOpset(d, v, imported)
				if u.Err == nil {
					_, u.Since, u.Err = ops.Lookup(d, u.Type, u.Opset)
				}
				byKey[k] = u
			}
			u.Nodes++
			for _, a := range n.GetAttribute() {
				if a.GetG() != nil {
					walk(a.GetG())
				}
				for _, sg := range a.GetGraphs() {
					walk(sg)
				}
			}
		}
	}
	walk(mp.GetGraph())
	out := make([]OpUse, 0, len(byKey))
	for _, u := range byKey {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Type < out[j].Type
	})
	return out
}
