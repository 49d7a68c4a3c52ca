package onnx

import (
	"fmt"
	"sort"
	"strings"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx/ops"
)

// Run computes the requested values from the inputs. fetch names any values
// of the graph (outputs, intermediate node outputs, inputs, initializers);
// without fetch it computes the graph outputs. Only the nodes the fetched
// values depend on run, and only the inputs they read are required.
//
// Inputs are checked before anything runs: an unknown name, a missing
// input, a wrong element type or rank, or a dimension that disagrees with a
// fixed one in the model is an error wrapping ErrBadInput and naming the
// input. Symbolic dimensions ("batch", "N") take any size, so the same
// model runs with any batch size.
//
// A run may hold at most the model's memory limit of computed tensors at
// once (see LoadOptions); beyond it Run fails with an error wrapping
// ErrMemoryLimit that names the node.
//
// Results are fresh copies the caller owns. Values with no elements cannot
// be returned as *tensor.Dense; RunTensors returns them. Run is safe for
// concurrent use.
func (m *Model) Run(inputs map[string]*tensor.Dense, fetch ...string) (map[string]*tensor.Dense, error) {
	in := make(map[string]*Tensor, len(inputs))
	for name, d := range inputs {
		if d == nil {
			return nil, &classed{fmt.Errorf("onnx: run %s: input %q is nil", m.name, name), ErrBadInput}
		}
		t, err := FromDense(d)
		if err != nil {
			return nil, &classed{fmt.Errorf("onnx: run %s: input %q: %w", m.name, name, err), ErrBadInput}
		}
		in[name] = t
	}
	out, err := m.RunTensors(in, fetch...)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Dense, len(out))
	for name, t := range out {
		d, err := ToDense(t)
		if err != nil {
			return nil, fmt.Errorf("onnx: run %s: value %q: %w", m.name, name, err)
		}
		res[name] = d
	}
	return res, nil
}

// RunTensors is Run on the runtime's own tensor type, which also represents
// tensors with a zero dimension. The returned tensors may share memory with
// the model's constants and the inputs; they must not be modified (clone
// them first).
func (m *Model) RunTensors(inputs map[string]*Tensor, fetch ...string) (map[string]*Tensor, error) {
	g := m.g
	p := g.base
	var fetchSlots []int
	if len(fetch) == 0 {
		fetchSlots = g.outSlot
		fetch = make([]string, len(g.outputs))
		for i, o := range g.outputs {
			fetch[i] = o.Name
		}
	} else {
		fetchSlots = make([]int, len(fetch))
		for i, name := range fetch {
			s, ok := g.slots[name]
			if !ok {
				return nil, &classed{fmt.Errorf("onnx: run %s: cannot fetch %q: no such value in the graph", m.name, name), ErrBadInput}
			}
			fetchSlots[i] = s
		}
		p = g.makePlan(fetchSlots)
	}

	vals := make([]*Tensor, len(g.names))
	copy(vals, g.consts)
	for _, s := range g.inSlot {
		if d := g.defaults[s]; d != nil {
			vals[s] = d
		}
	}
	if err := m.setInputs(vals, inputs, p); err != nil {
		return nil, err
	}

	mem := newRunBudget(m.limit)
	for k, si := range p.steps {
		st := g.steps[si]
		in := make([]*Tensor, len(st.in))
		for i, s := range st.in {
			if s >= 0 {
				in[i] = vals[s]
			}
		}
		out, err := st.run(in)
		if err != nil {
			return nil, fmt.Errorf("onnx: run %s: %w", m.name, err)
		}
		for i, s := range st.out {
			if s >= 0 {
				vals[s] = out[i]
				mem.produced(s, out[i], in)
			}
		}
		if err := mem.check(st, out); err != nil {
			return nil, fmt.Errorf("onnx: run %s: %w", m.name, err)
		}
		for _, s := range p.release[k] {
			vals[s] = nil
			mem.released(s)
		}
	}

	res := make(map[string]*Tensor, len(fetch))
	for i, s := range fetchSlots {
		if vals[s] == nil { // an input the plan did not need and the caller did not give
			return nil, &classed{fmt.Errorf("onnx: run %s: cannot fetch %q: input not given", m.name, fetch[i]), ErrBadInput}
		}
		res[fetch[i]] = vals[s]
	}
	return res, nil
}

// setInputs checks the caller's inputs against the graph inputs and stores
// them.
func (m *Model) setInputs(vals []*Tensor, inputs map[string]*Tensor, p *plan) error {
	g := m.g
	bad := func(format string, args ...any) error {
		return &classed{fmt.Errorf("onnx: run %s: "+format, append([]any{m.name}, args...)...), ErrBadInput}
	}
	index := make(map[string]int, len(g.inputs))
	for i, in := range g.inputs {
		index[in.Name] = i
	}
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names) // report problems deterministically
	for _, name := range names {
		t := inputs[name]
		i, ok := index[name]
		if !ok {
			if s, exists := g.slots[name]; exists && g.consts[s] != nil {
				return bad("%q is an initializer, not a graph input; it cannot be overridden", name)
			}
			return bad("%q is not a graph input (inputs: %s)", name, m.inputList())
		}
		if t == nil {
			return bad("input %q is nil", name)
		}
		if err := t.Check(); err != nil {
			return bad("input %q: %w", name, err)
		}
		if err := checkType(g.inputs[i].Type, t); err != nil {
			return bad("input %q: %w", name, err)
		}
		vals[g.inSlot[i]] = t
	}
	for _, i := range p.needIn {
		if inputs[g.inputs[i].Name] == nil {
			return bad("missing input %q (%v)", g.inputs[i].Name, g.inputs[i].Type)
		}
	}
	return nil
}

// checkType checks a tensor against a declared type.
func checkType(want ops.Type, t *Tensor) error {
	if want.DType != ops.Undefined && t.DType() != want.DType {
		return fmt.Errorf("element type %v, want %v", t.DType(), want.DType)
	}
	if !want.RankKnown {
		return nil
	}
	if t.Rank() != len(want.Dims) {
		return fmt.Errorf("shape %v has rank %d, want rank %d (%v)", ops.FormatShape(t.Shape()), t.Rank(), len(want.Dims), want)
	}
	for i, d := range want.Dims {
		if d.Known() && t.Shape()[i] != d.Size {
			return fmt.Errorf("shape %v: dimension %d is %d, want %d (%v)", ops.FormatShape(t.Shape()), i, t.Shape()[i], d.Size, want)
		}
	}
	return nil
}

func (m *Model) inputList() string {
	var parts []string
	for _, in := range m.g.inputs {
		parts = append(parts, fmt.Sprintf("%q", in.Name))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
