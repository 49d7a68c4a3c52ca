package onnx

import (
	"context"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The Loop operator.
//
// A Loop node's inputs are an optional trip count M, an optional
// condition cond and N loop-carried values; its body graph takes the
// iteration number, the condition and the N carried values, and returns
// the next condition, the N next carried values and K scan outputs. The
// node returns the final carried values and, per scan output, the values
// of every iteration stacked along a new first axis. Without M and cond
// the loop runs until the run's context is done or it holds more than the
// memory limit: either stops it with an error naming the node.
//
// The body reads outer-scope values through the captures withCaptures
// adds to the node's inputs, after the declared ones.

func init() {
	// Never run at load time: a loop without a trip count or with a huge
	// one would block the load.
	registerFlow(ops.Op{Type: "Loop", Since: []int{1, 11, 13, 16}, Values: true, Volatile: true})
}

// loop is a compiled Loop node.
type loop struct {
	body     *branch
	carried  int      // N
	scans    int      // K
	inputs   []string // the body's declared input names: iteration, cond, carried values
	captures []string // names of the node's implicit inputs
	limit    int64    // the model's memory limit
	// scanTypes are the static types of the scan outputs' values, for
	// the empty results of a loop that runs no iteration.
	scanTypes []tensors.Type
}

// compileLoop builds a Loop node's body; declared is the node's number of
// declared inputs (before its captures).
func (b *builder) compileLoop(np *onnxpb.NodeProto, declared int, desc string) (flowKernel, flowInfer, error) {
	g, err := b.bodyAttr(np)
	if err != nil {
		return nil, nil, err
	}
	if declared < 2 {
		return nil, nil, invalid(fmt.Errorf("Loop takes at least 2 inputs (M, cond), the node has %d", declared))
	}
	l := &loop{carried: declared - 2, captures: np.GetInput()[declared:], limit: b.mem.limit}
	l.scans = len(np.GetOutput()) - l.carried
	if l.scans < 0 {
		return nil, nil, invalid(fmt.Errorf("the node has %d loop-carried inputs but only %d outputs", l.carried, len(np.GetOutput())))
	}
	if n := len(g.GetInput()); n != l.carried+2 {
		return nil, nil, invalid(fmt.Errorf("body has %d inputs, want %d (iteration number, condition and the node's %d loop-carried values)", n, l.carried+2, l.carried))
	}
	if n := len(g.GetOutput()); n != 1+l.carried+l.scans {
		return nil, nil, invalid(fmt.Errorf("body has %d outputs, want %d (condition, %d loop-carried values, %d scan outputs as the node has %d outputs)",
			n, 1+l.carried+l.scans, l.carried, l.scans, len(np.GetOutput())))
	}
	for _, vi := range g.GetInput() {
		l.inputs = append(l.inputs, vi.GetName())
	}
	l.body, err = b.buildBranch(g, desc+" body")
	if err != nil {
		return nil, nil, fmt.Errorf("body: %w", err)
	}
	for k := range l.scans {
		l.scanTypes = append(l.scanTypes, stackedType(l.body, g, 1+l.carried+k))
	}
	return stateless(l.run), l.infer, nil
}

// bodyAttr reads the attributes of a node whose only attribute is its
// body graph (Loop, SequenceMap).
func (b *builder) bodyAttr(np *onnxpb.NodeProto) (*onnxpb.GraphProto, error) {
	attrs, err := ops.NewAttrs(np.GetAttribute(), b.decode)
	if err != nil {
		return nil, invalid(err)
	}
	g := attrs.RequiredGraph("body")
	if err := attrs.Err(); err != nil {
		return nil, invalid(err)
	}
	if u := attrs.Unread(); len(u) > 0 {
		return nil, invalid(fmt.Errorf("attribute %q is not defined for %s", u[0], np.GetOpType()))
	}
	return g, nil
}

// infer gives the types of the final carried values (the initial value
// or a body output) and of the scan outputs (a body output stacked along
// a new first axis, one per iteration).
func (l *loop) infer(in []tensors.Type) []tensors.Type {
	outs := l.body.m.g.outputs
	res := make([]tensors.Type, 0, l.carried+l.scans)
	for k := range l.carried {
		res = append(res, ops.JoinTypes(in[2+k], outs[1+k].Type))
	}
	for k := range l.scans {
		res = append(res, stackType(outs[1+l.carried+k].Type, 0, tensors.UnknownDim))
	}
	return res
}

// run runs the loop.
func (l *loop) run(ctx context.Context, mem *runBudget, in []*tensors.Tensor) ([]*tensors.Tensor, error) {
	limit := available(mem, l.limit)
	trip, hasTrip := int64(0), in[0] != nil
	if hasTrip {
		v, err := tensors.AsInt64s(in[0])
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("input M %v must hold one integer", in[0])
		}
		trip = v[0]
	}
	cond, hasCond := true, in[1] != nil
	if hasCond {
		if in[1].DType() != tensors.Bool || in[1].Len() != 1 {
			return nil, fmt.Errorf("input cond %v must hold one bool", in[1])
		}
		cond = tensors.Data[bool](in[1])[0]
	}
	carried := in[2 : 2+l.carried]
	captured := in[2+l.carried:]
	scans := make([][]*tensors.Tensor, l.scans)
	var held int64 // bytes of the scan output values so far
	for i := int64(0); (!hasTrip || i < trip) && cond; i++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("stopped before iteration %d: %w", i, err)
		}
		var carriedBytes int64
		for _, t := range carried {
			carriedBytes += tensorBytes(t)
		}
		feeds := make(map[string]*tensors.Tensor, len(l.inputs))
		feeds[l.inputs[0]] = tensors.Scalar(i)
		feeds[l.inputs[1]] = tensors.Scalar(cond)
		for j, t := range carried {
			feeds[l.inputs[2+j]] = t
		}
		out, err := l.body.call(ctx, limit-held-carriedBytes, l.captures, captured, feeds)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", i, err)
		}
		if hasCond {
			c := out[0]
			if c.DType() != tensors.Bool || c.Len() != 1 {
				return nil, fmt.Errorf("iteration %d: body output cond %v must hold one bool", i, c)
			}
			cond = tensors.Data[bool](c)[0]
		}
		carried = out[1 : 1+l.carried]
		for k := range scans {
			t := out[1+l.carried+k]
			scans[k] = append(scans[k], t)
			held += tensorBytes(t)
		}
		if held > limit {
			return nil, &classed{fmt.Errorf("iteration %d: the scan outputs so far take %d bytes, more than the %d bytes the run has left under its memory limit",
				i, held, limit), ErrMemoryLimit}
		}
	}
	out := append([]*tensors.Tensor{}, carried...)
	for k, parts := range scans {
		var t *tensors.Tensor
		var err error
		if len(parts) == 0 {
			t, err = emptyStack(l.scanTypes[k], 0)
		} else {
			if 2*held > limit {
				return nil, &classed{fmt.Errorf("stacking the scan outputs (%d bytes) would need more than the %d bytes the run has left under its memory limit",
					held, limit), ErrMemoryLimit}
			}
			t, err = stackAt(parts, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// runsLoop reports whether a node is a Loop or has one in its subgraphs
// (an If or Scan around a Loop): such nodes are never evaluated at load
// time, where no context could stop an endless loop.
func runsLoop(np *onnxpb.NodeProto, depth int) bool {
	if isControlFlow(np) && np.GetOpType() == "Loop" {
		return true
	}
	if depth > MaxSubgraphDepth {
		return false
	}
	for _, a := range np.GetAttribute() {
		graphs := a.GetGraphs()
		if a.GetG() != nil {
			graphs = append(graphs, a.GetG())
		}
		for _, g := range graphs {
			for _, n := range g.GetNode() {
				if runsLoop(n, depth+1) {
					return true
				}
			}
		}
	}
	return false
}
