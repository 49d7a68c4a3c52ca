package onnx

import "time"

// StepTime is the time a profiling Session spent in one step of its
// plan: a node, or nodes computed together (a convolution with the
// BatchNormalization, bias, activation and pooling after it, a MatMul
// with its bias).
type StepTime struct {
	// Step describes the step: its nodes' operator types and names.
	Step string
	// Op is the step's operator type, or for a fused step its nodes'
	// types joined by "+" ("Conv+Relu+MaxPool").
	Op string
	// Runs counts the runs that computed the step.
	Runs int
	// Total is the wall-clock time of those runs spent in the step.
	Total time.Duration
}

// StartProfile makes the session time each step of its runs from now on,
// starting from zero; Profile returns the times. Timing costs two clock
// reads per step.
func (s *Session) StartProfile() {
	s.prof = make([]StepTime, len(s.m.g.steps))
	for i, st := range s.m.g.steps {
		s.prof[i].Step = st.desc
		s.prof[i].Op = st.c.Node.Type
		if st.fusedOps != "" {
			s.prof[i].Op = st.fusedOps
		}
	}
}

// Profile returns the time spent in each step that ran since StartProfile,
// in the order the plan runs them (nil when the session is not
// profiling).
func (s *Session) Profile() []StepTime {
	if s.prof == nil {
		return nil
	}
	var out []StepTime
	for _, k := range s.planOrder() {
		if t := s.prof[k]; t.Runs > 0 {
			out = append(out, t)
		}
	}
	return out
}

// planOrder returns the steps of the session's base plan in run order,
// then the other steps (the unfused plan's) in graph order.
func (s *Session) planOrder() []int {
	g := s.m.g
	seen := make([]bool, len(g.steps))
	var order []int
	if g.base != nil {
		for _, k := range g.base.steps {
			seen[k] = true
			order = append(order, k)
		}
	}
	for k := range g.steps {
		if !seen[k] {
			order = append(order, k)
		}
	}
	return order
}
