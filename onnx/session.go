package onnx

import (
	"context"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
	"gorgonia.org/tensor"
)

// Session runs one model again and again, reusing the memory of each run
// for the next: in steady state (same input shapes as the run before) a
// run of a model made of the common operators (Conv, ConvTranspose, Gemm,
// MatMul, MaxPool, Relu, Add, Softmax, Reshape, Resize, Pad, the
// reductions, LSTM and GRU, the shape computations of Shape, Gather,
// Slice, Cast, Concat and ConstantOfShape, ...) allocates nothing. An If
// runs its branches in sessions of their own, kept in the session, so it
// allocates nothing either; Loop and Scan bodies run afresh. It is the way
// to serve a model in a loop; Model.Run is the way to run it once.
//
// The outputs a session returns, and the map holding them, belong to the
// session: they are valid until its next Run and must not be modified.
// Copy what must outlive that (Tensor.Clone). A Session is not safe for
// concurrent use; give each goroutine its own (sessions of one model share
// its weights).
type Session struct {
	m    *Model
	vals []*tensors.Tensor   // slot -> value during a run
	in   [][]*tensors.Tensor // step -> its input slice
	last [][]*tensors.Tensor // step -> results of its previous run
	mem  *runBudget
	out  map[string]*tensors.Tensor
	res  []*tensors.Tensor // the graph outputs in order, during Run
	// flows holds what the control flow steps keep between runs, by
	// step, made on first use.
	flows []*flowState
	// prof, when profiling, holds each step's time (see StartProfile).
	prof []StepTime
}

// NewSession returns a session for running m.
func (m *Model) NewSession() *Session {
	g := m.g
	s := &Session{
		m:    m,
		vals: make([]*tensors.Tensor, len(g.names)),
		in:   make([][]*tensors.Tensor, len(g.steps)),
		last: make([][]*tensors.Tensor, len(g.steps)),
		mem:  newRunBudget(m.limit),
		out:  make(map[string]*tensors.Tensor, len(g.outputs)),
		res:  make([]*tensors.Tensor, len(g.outSlot)),
	}
	for i, st := range g.steps {
		s.in[i] = make([]*tensors.Tensor, len(st.in))
	}
	return s
}

// Run computes the graph outputs from the inputs, checked as by
// Model.Run, and returns them by name. The map and the tensors in it are
// the session's (see Session).
func (s *Session) Run(inputs map[string]*tensors.Tensor) (map[string]*tensors.Tensor, error) {
	return s.RunContext(context.Background(), inputs)
}

// RunContext is Run stopping early, between two nodes, when ctx is done;
// the error then wraps ctx.Err().
func (s *Session) RunContext(ctx context.Context, inputs map[string]*tensors.Tensor) (map[string]*tensors.Tensor, error) {
	err := s.run(ctx, inputs, s.m.limit, s.res)
	defer clear(s.res)
	if err != nil {
		return nil, err
	}
	clear(s.out)
	for i, v := range s.res {
		s.out[s.m.g.outputs[i].Name] = v
	}
	return s.out, nil
}

// run computes the graph outputs from the inputs, holding at most limit
// bytes, into out (one per graph output, in order).
func (s *Session) run(ctx context.Context, inputs map[string]*tensors.Tensor, limit int64, out []*tensors.Tensor) error {
	m := s.m
	g := m.g
	p := g.base
	if g.unfused != nil && g.overridesBaked(inputs) {
		p = g.unfused
	}
	defer clear(s.vals) // hold no input or intermediate value between runs
	if err := m.setInputs(s.vals, inputs, p); err != nil {
		return err
	}
	s.mem.reset()
	s.mem.limit = limit
	if err := m.execute(ctx, p, s.vals, s.mem, s); err != nil {
		return err
	}
	s.placeConcatInputs(p)
	for i, slot := range g.outSlot {
		v := s.vals[slot]
		if v == nil {
			return &classed{fmt.Errorf("onnx: run %s: output %q: input not given", m.name, g.outputs[i].Name), ErrBadInput}
		}
		out[i] = v
	}
	return nil
}

// flowState returns what control flow step si keeps between runs.
func (s *Session) flowState(si int) *flowState {
	if s.flows == nil {
		s.flows = make([]*flowState, len(s.m.g.steps))
	}
	if s.flows[si] == nil {
		s.flows[si] = &flowState{}
	}
	return s.flows[si]
}

// runPooled is Model.Run for the graph outputs: it runs in one of the
// model's pooled sessions, so that repeated runs reuse their intermediate
// tensors, and copies the outputs out of it.
func (m *Model) runPooled(inputs map[string]*tensors.Tensor) (map[string]*tensor.Dense, error) {
	s, _ := m.sessions.Get().(*Session)
	if s == nil {
		s = m.NewSession()
	}
	defer m.sessions.Put(s)
	out, err := s.RunContext(context.Background(), inputs)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Dense, len(out))
	for name, t := range out {
		d, err := ToDense(t) // a copy
		if err != nil {
			return nil, fmt.Errorf("onnx: run %s: value %q: %w", m.name, name, err)
		}
		res[name] = d
	}
	return res, nil
}
