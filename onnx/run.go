package onnx

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx/tensors"
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
	in := make(map[string]*tensors.Tensor, len(inputs))
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
	if len(fetch) == 0 {
		return m.runPooled(in)
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
func (m *Model) RunTensors(inputs map[string]*tensors.Tensor, fetch ...string) (map[string]*tensors.Tensor, error) {
	return m.RunTensorsContext(context.Background(), inputs, fetch...)
}

// RunTensorsContext is RunTensors stopping early, between two nodes, when
// ctx is done; the error then wraps ctx.Err(). It bounds the time a run of
// a model from a stranger may take.
func (m *Model) RunTensorsContext(ctx context.Context, inputs map[string]*tensors.Tensor, fetch ...string) (map[string]*tensors.Tensor, error) {
	g := m.g
	fuse := !g.overridesBaked(inputs)
	p := g.base
	if !fuse {
		p = g.unfused
	}
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
				if g.fusedAway[name] {
					return nil, &classed{fmt.Errorf("onnx: run %s: cannot fetch %q: it is computed inside a quantized operator that replaced a QuantizeLinear/DequantizeLinear pattern (load with LoadOptions.KeepQDQ to run the pattern as written)", m.name, name), ErrBadInput}
				}
				return nil, &classed{fmt.Errorf("onnx: run %s: cannot fetch %q: no such value in the graph", m.name, name), ErrBadInput}
			}
			fetchSlots[i] = s
		}
		p = g.makePlan(fetchSlots, fuse)
	}

	vals := make([]*tensors.Tensor, len(g.names))
	if err := m.setInputs(vals, inputs, p); err != nil {
		return nil, err
	}
	if err := m.execute(ctx, p, vals, newRunBudget(m.limit), nil); err != nil {
		return nil, err
	}

	res := make(map[string]*tensors.Tensor, len(fetch))
	for i, s := range fetchSlots {
		if vals[s] == nil { // an input the plan did not need and the caller did not give
			return nil, &classed{fmt.Errorf("onnx: run %s: cannot fetch %q: input not given", m.name, fetch[i]), ErrBadInput}
		}
		res[fetch[i]] = vals[s]
	}
	return res, nil
}

// setInputs fills vals with the model's constants, the defaults of
// overridable inputs and the caller's inputs, after checking the latter
// against the graph inputs. It does not allocate unless something is
// wrong.
func (m *Model) setInputs(vals []*tensors.Tensor, inputs map[string]*tensors.Tensor, p *plan) error {
	g := m.g
	copy(vals, g.consts)
	for _, s := range g.inSlot {
		if d := g.defaults[s]; d != nil {
			vals[s] = d
		}
	}
	for name, t := range inputs {
		i, ok := g.inIndex[name]
		if !ok || t == nil || t.Check() != nil || checkType(g.inputs[i].Type, t) != nil {
			return m.inputError(inputs)
		}
		vals[g.inSlot[i]] = t
		if g.inputs[i].Type.Kind == tensors.OptionalKind && t.Kind() != tensors.OptionalKind {
			// A tensor or sequence given for an optional input is an
			// optional holding it.
			o, err := tensors.NewOptional(*g.inputs[i].Type.Elem, t)
			if err != nil {
				return m.inputError(inputs)
			}
			vals[g.inSlot[i]] = o
		}
	}
	for _, i := range p.needIn {
		if inputs[g.inputs[i].Name] == nil {
			return &classed{fmt.Errorf("onnx: run %s: missing input %q (%v)", m.name, g.inputs[i].Name, g.inputs[i].Type), ErrBadInput}
		}
	}
	return nil
}

// inputError describes the first problem with the caller's inputs, in
// name order so that the report is deterministic.
func (m *Model) inputError(inputs map[string]*tensors.Tensor) error {
	g := m.g
	bad := func(format string, args ...any) error {
		return &classed{fmt.Errorf("onnx: run %s: "+format, append([]any{m.name}, args...)...), ErrBadInput}
	}
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := inputs[name]
		i, ok := g.inIndex[name]
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
	}
	return bad("inputs rejected for no known reason")
}

// execute runs the steps of a plan on vals, which holds the constants and
// inputs on entry and the plan's results on return. s, when not nil, is the
// session whose buffers the run reuses (see Session); mem counts the bytes
// held.
func (m *Model) execute(ctx context.Context, p *plan, vals []*tensors.Tensor, mem *runBudget, s *Session) error {
	g := m.g
	for k, si := range p.steps {
		st := g.steps[si]
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("onnx: run %s: stopped before %s: %w", m.name, st.desc, err)
		}
		var in, last []*tensors.Tensor
		var fs *flowState
		if s != nil {
			in, last = s.in[si], s.last[si]
			if st.flow != nil {
				fs = s.flowState(si)
			}
		} else {
			in = make([]*tensors.Tensor, len(st.in))
		}
		for i, slot := range st.in {
			if slot >= 0 {
				in[i] = vals[slot]
			}
		}
		var t0 time.Time
		if s != nil && s.prof != nil {
			t0 = time.Now()
		}
		out, err := st.run(ctx, mem, in, last, s != nil, fs)
		if s != nil && s.prof != nil {
			s.prof[si].Runs++
			s.prof[si].Total += time.Since(t0)
		}
		if err != nil {
			if s != nil {
				clear(in)
			}
			return fmt.Errorf("onnx: run %s: %w", m.name, err)
		}
		for i, slot := range st.out {
			if slot >= 0 {
				vals[slot] = out[i]
				mem.produced(slot, out[i], in)
			}
		}
		if s != nil {
			s.last[si] = out
			clear(in) // hold no input between runs
		}
		if err := mem.check(st, out); err != nil {
			return fmt.Errorf("onnx: run %s: %w", m.name, err)
		}
		for _, slot := range p.release[k] {
			vals[slot] = nil
			mem.released(slot)
		}
	}
	return nil
}

// checkType checks a value against a declared type.
func checkType(want tensors.Type, t *tensors.Tensor) error {
	if want.Unknown() {
		return nil
	}
	if want.Kind == tensors.OptionalKind && t.Kind() != tensors.OptionalKind && want.Elem != nil {
		// An optional input takes what it may hold.
		if err := checkType(*want.Elem, t); err != nil {
			return fmt.Errorf("optional value: %w", err)
		}
		return nil
	}
	if t.Kind() != want.Kind {
		return fmt.Errorf("%v is a %v value, want %v", t, t.Kind(), want)
	}
	switch want.Kind {
	case tensors.SequenceKind:
		if want.Elem == nil {
			return nil
		}
		if dt := t.ElemType().DType; want.Elem.DType != tensors.Undefined && dt != want.Elem.DType {
			return fmt.Errorf("sequence of %v tensors, want %v", dt, want)
		}
		// Element shapes are not checked: elements of one sequence may
		// differ in shape, and exporters' declarations of them are loose.
		return nil
	case tensors.OptionalKind:
		if want.Elem == nil || len(t.Items()) == 0 {
			return nil
		}
		if err := checkType(*want.Elem, t.Items()[0]); err != nil {
			return fmt.Errorf("optional value: %w", err)
		}
		return nil
	}
	if want.DType != tensors.Undefined && t.DType() != want.DType {
		return fmt.Errorf("element type %v, want %v", t.DType(), want.DType)
	}
	if !want.RankKnown {
		return nil
	}
	if t.Rank() != len(want.Dims) {
		return fmt.Errorf("shape %v has rank %d, want rank %d (%v)", tensors.FormatShape(t.Shape()), t.Rank(), len(want.Dims), want)
	}
	for i, d := range want.Dims {
		if d.Known() && t.Shape()[i] != d.Size {
			return fmt.Errorf("shape %v: dimension %d is %d, want %d (%v)", tensors.FormatShape(t.Shape()), i, t.Shape()[i], d.Size, want)
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
