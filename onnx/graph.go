package onnx

import (
	"context"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// graph is a validated, compiled graph. It is never modified after
// building, so any number of runs may use it at once.
type graph struct {
	fusedAway map[string]bool         // values inside QDQ patterns run as integer operators
	names     []string                // slot -> value name
	slots     map[string]int          // value name -> slot
	consts    []*tensors.Tensor       // slot -> value known at load time, or nil
	defaults  []*tensors.Tensor       // slot -> initializer of an overridable graph input, or nil
	types     []tensors.Type          // slot -> static type (declarations of graph inputs, inference)
	declared  map[string]tensors.Type // types declared in value_info, for display only
	inputs    []ValueInfo             // graph inputs, in order
	inSlot    []int                   // slot of each graph input
	inIndex   map[string]int          // graph input name -> index in inputs
	outputs   []ValueInfo             // graph outputs, in order
	outSlot   []int
	steps     []*step // nodes to run, in topological order
	producer  []int   // slot -> index in steps of the node computing it, or -1
	base      *plan   // plan for the graph outputs
	// fused maps a step to the fused step that can replace it and the
	// steps after it that it absorbs (see fuse), or has step -1.
	fused []fusion
	// baked lists the overridable inputs whose defaults fused steps hold
	// as constants; unfused is the plan for the graph outputs that runs
	// when the caller overrides one of them.
	baked   []int
	unfused *plan
	// assumed holds the values that nodes reading only constants and
	// defaults of overridable inputs compute from the defaults, evaluated
	// at load (see builder.assume): fusions may hold them as constants,
	// baking in the defaults they come from.
	assumed map[int]assumedValue
}

// assumedValue is a value computed at load from the defaults of the
// overridable inputs roots (slots), which a run that overrides none of
// them computes again identically.
type assumedValue struct {
	t     *tensors.Tensor
	roots []int
}

// assumedConst returns what slot s holds in a run that overrides no
// default: a constant (roots nil), the default of an overridable input
// (roots: that input) or a value computed from defaults (roots: the inputs
// it comes from); nil when s depends on a run's inputs.
func (g *graph) assumedConst(s int) (t *tensors.Tensor, roots []int) {
	switch {
	case s < 0:
		return nil, nil
	case g.consts[s] != nil:
		return g.consts[s], nil
	case g.defaults[s] != nil:
		return g.defaults[s], []int{s}
	}
	a := g.assumed[s]
	return a.t, a.roots
}

// step is one compiled node.
type step struct {
	c    *ops.Compiled
	desc string
	// fusedOps names the operators a fused step stands for, joined by
	// "+" ("Conv+Relu+MaxPool"); empty for a step of one node.
	fusedOps string
	in       []int // slot per input, -1 if omitted
	out      []int // slot per output, -1 if omitted
	// flow, when set, runs the node in place of c's kernels: the control
	// flow operators (If, Loop, Scan), which need the run's context and
	// memory budget.
	flow flowKernel
}

// builder holds what a graph build needs besides the graph itself.
type builder struct {
	g      *graph
	opsets map[string]int
	decode func(*onnxpb.TensorProto) (*tensors.Tensor, error)
	mem    *loadBudget // bytes of initializers and folded constants
	depth  int         // subgraph nesting depth: 0 for the main graph
	// declared maps the nodes given implicit inputs (see withCaptures) to
	// their number of declared inputs.
	declared map[*onnxpb.NodeProto]int
	// flows maps the compiled control flow nodes to their flow kernels.
	flows map[*ops.Compiled]flowKernel
	// warned maps each load-time warning to the nodes it concerns, in the
	// order first seen (warnOrder).
	warned    map[string][]string
	warnOrder []string
	// shapeVals holds what static inference knows of the entries of
	// non-constant integer vectors such as shapes (see ops.Node.ShapeValue),
	// by slot, in the main graph.
	shapeVals map[int][]tensors.Dim
}

// warn records a load-time warning about a node.
func (b *builder) warn(msg, desc string) {
	if b.warned == nil {
		b.warned = map[string][]string{}
	}
	if _, ok := b.warned[msg]; !ok {
		b.warnOrder = append(b.warnOrder, msg)
	}
	b.warned[msg] = append(b.warned[msg], desc)
}

func (b *builder) slot(name string) int {
	if s, ok := b.g.slots[name]; ok {
		return s
	}
	return b.g.newSlot(name)
}

// newSlot adds a slot for a value of that name, with no producer, constant
// or type yet.
func (g *graph) newSlot(name string) int {
	s := len(g.names)
	g.slots[name] = s
	g.names = append(g.names, name)
	g.consts = append(g.consts, nil)
	g.defaults = append(g.defaults, nil)
	g.types = append(g.types, tensors.Type{})
	g.producer = append(g.producer, -1)
	return s
}

// run calls the kernel, turning a panic into an ErrInternal error, and
// checks what it returns.
//
// With recycle set and a kernel that can, the kernel reuses last, the
// results of its previous call in the same session (see ops.Recycling).
//
// ctx and mem are the run's context and memory budget, for steps with a
// flow kernel; mem is nil at load time.
func (st *step) run(ctx context.Context, mem *runBudget, in, last []*tensors.Tensor, recycle bool, fs *flowState) (out []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &classed{fmt.Errorf("%s: kernel panicked: %v", st.desc, r), ErrInternal}
		}
	}()
	if !st.c.Op.Values {
		for i, t := range in {
			if k := t.Kind(); k != tensors.TensorKind {
				return nil, fmt.Errorf("%s: input %d is a %v value; %s takes tensors", st.desc, i, k, st.c.Node.Type)
			}
		}
	}
	switch {
	case st.flow != nil:
		out, err = st.flow(ctx, mem, in, fs)
	case recycle && st.c.Recycling != nil:
		out, err = st.c.Recycling(in, last)
	default:
		out, err = st.c.Kernel(in)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.desc, err)
	}
	for i, s := range st.out {
		if s < 0 {
			continue
		}
		if i >= len(out) || out[i] == nil {
			return nil, &classed{fmt.Errorf("%s: kernel returned no tensor for output %d", st.desc, i), ErrInternal}
		}
		if err := out[i].Check(); err != nil {
			return nil, &classed{fmt.Errorf("%s: output %d: %w", st.desc, i, err), ErrInternal}
		}
	}
	return out, nil
}
