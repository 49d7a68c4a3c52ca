package onnx

import (
	"context"
	"errors"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The SequenceMap operator.
//
// A SequenceMap node runs its body once per element of its first input, a
// sequence. The body has one input per node input: for a sequence input
// it gets the element at the iteration's position (every sequence input
// must have the first one's length), for a tensor input the whole tensor.
// Each body output is collected, iteration by iteration, into the node
// output of the same position, a sequence.

func init() {
	registerFlow(ops.Op{Type: "SequenceMap", Since: []int{17}, Values: true})
}

// sequenceMap is a compiled SequenceMap node.
type sequenceMap struct {
	body     *branch
	declared int      // the node's declared inputs (before its captures)
	inputs   []string // the body's input names
	captures []string // names of the node's implicit inputs
	limit    int64    // the model's memory limit
	outTypes []tensors.Type
}

// compileSequenceMap builds a SequenceMap node's body.
func (b *builder) compileSequenceMap(np *onnxpb.NodeProto, declared int, desc string) (flowKernel, flowInfer, error) {
	g, err := b.bodyAttr(np)
	if err != nil {
		return nil, nil, err
	}
	if declared < 1 || np.GetInput()[0] == "" {
		return nil, nil, invalid(errors.New("SequenceMap takes a sequence as input 0"))
	}
	if n := len(g.GetOutput()); n != len(np.GetOutput()) {
		return nil, nil, invalid(fmt.Errorf("body has %d outputs, the node %d", n, len(np.GetOutput())))
	}
	sm := &sequenceMap{declared: declared, captures: np.GetInput()[declared:], limit: b.mem.limit}
	for _, vi := range g.GetInput() {
		sm.inputs = append(sm.inputs, vi.GetName())
	}
	sm.body, err = b.buildBranch(g, desc+" body")
	if err != nil {
		return nil, nil, fmt.Errorf("body: %w", err)
	}
	for k := range g.GetOutput() {
		sm.outTypes = append(sm.outTypes, stackedType(sm.body, g, k))
	}
	return stateless(sm.run), sm.infer, nil
}

// infer gives the types of the output sequences: sequences of the body's
// output types.
func (sm *sequenceMap) infer([]tensors.Type) []tensors.Type {
	res := make([]tensors.Type, len(sm.body.m.g.outputs))
	for k, o := range sm.body.m.g.outputs {
		res[k] = tensors.SequenceOf(o.Type)
	}
	return res
}

// run runs the body over the sequence.
func (sm *sequenceMap) run(ctx context.Context, mem *runBudget, in []*tensors.Tensor) ([]*tensors.Tensor, error) {
	limit := available(mem, sm.limit)
	args, captured := in[:sm.declared], in[sm.declared:]
	if args[0].Kind() != tensors.SequenceKind {
		return nil, fmt.Errorf("input 0 is a %v value, want a sequence", args[0].Kind())
	}
	n := len(args[0].Items())
	for j, a := range args {
		if a == nil {
			return nil, fmt.Errorf("input %d is missing", j)
		}
		if a.Kind() == tensors.SequenceKind && len(a.Items()) != n {
			return nil, fmt.Errorf("input %d holds %d tensors, input 0 holds %d", j, len(a.Items()), n)
		}
		if a.Kind() == tensors.OptionalKind {
			return nil, fmt.Errorf("input %d is an optional value; SequenceMap takes sequences and tensors", j)
		}
	}
	outs := make([][]*tensors.Tensor, len(sm.outTypes))
	var held int64
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("stopped before element %d: %w", i, err)
		}
		feeds := make(map[string]*tensors.Tensor, len(sm.inputs))
		for j, a := range args {
			if a.Kind() == tensors.SequenceKind {
				a = a.Items()[i]
			}
			feeds[sm.inputs[j]] = a
		}
		out, err := sm.body.call(ctx, limit-held, sm.captures, captured, feeds)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		for k, t := range out {
			if t.Kind() != tensors.TensorKind {
				return nil, fmt.Errorf("element %d: body output %d is a %v value; sequences hold tensors", i, k, t.Kind())
			}
			outs[k] = append(outs[k], t)
			held += tensorBytes(t)
		}
		if held > limit {
			return nil, &classed{fmt.Errorf("element %d: the outputs so far take %d bytes, more than the %d bytes the run has left under its memory limit",
				i, held, limit), ErrMemoryLimit}
		}
	}
	res := make([]*tensors.Tensor, len(outs))
	for k, items := range outs {
		elem := tensors.Type{DType: sm.outTypes[k].DType}
		if len(items) > 0 {
			elem.DType = items[0].DType()
		}
		s, err := tensors.NewSequence(elem, items)
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", k, err)
		}
		res[k] = s
	}
	return res, nil
}
