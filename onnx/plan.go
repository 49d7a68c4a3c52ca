package onnx

// plan lists the steps needed to compute some values and when
// intermediate values can be dropped.
type plan struct {
	steps   []int   // indexes into graph.steps, in order
	release [][]int // per planned step: slots no longer needed after it
	needIn  []int   // indexes into graph.inputs of inputs without default the plan reads
	// concats lists the Concat steps whose inputs a session computes in
	// place (see concat_inplace.go).
	concats []concatPlace
}

// makePlan plans the steps computing the values fetch, with the fused steps
// (see fuse) in place of the ones they stand for when fuse is set.
func (g *graph) makePlan(fetch []int, fuse bool) *plan {
	need := make([]bool, len(g.steps))
	used := make([]bool, len(g.names))
	stack := append([]int{}, fetch...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if used[s] {
			continue
		}
		used[s] = true
		if p := g.producer[s]; p >= 0 && !need[p] {
			need[p] = true
			for _, in := range g.steps[p].in {
				if in >= 0 {
					stack = append(stack, in)
				}
			}
		}
	}
	keep := make([]bool, len(g.names))
	for _, s := range fetch {
		keep[s] = true
	}
	p := &plan{}
	for i, ok := range need {
		if !ok {
			continue
		}
		if fuse && i < len(g.fused) && g.fused[i].step >= 0 && g.fusable(g.fused[i], need, keep) {
			// The convolution and the steps it absorbs as one step, where
			// the convolution was.
			for _, j := range g.fused[i].absorbed {
				need[j] = false
			}
			p.steps = append(p.steps, g.fused[i].step)
			continue
		}
		p.steps = append(p.steps, i)
	}
	if fuse {
		p.steps = g.pruneUnread(p.steps, fetch)
	}
	last := make([]int, len(g.names))
	for i := range last {
		last[i] = -1
	}
	for k, si := range p.steps {
		for _, s := range g.steps[si].in {
			if s >= 0 {
				last[s] = k
			}
		}
	}
	p.release = make([][]int, len(p.steps))
	for s, k := range last {
		if k >= 0 && !keep[s] && g.consts[s] == nil {
			p.release[k] = append(p.release[k], s)
		}
	}
	for i, s := range g.inSlot {
		if used[s] && g.defaults[s] == nil {
			p.needIn = append(p.needIn, i)
		}
	}
	p.concats = g.findConcatPlaces(p.steps, fetch)
	return p
}

// pruneUnread drops from steps (in order) those whose outputs neither a
// later kept step reads nor fetch lists: the producers of values only the
// steps a fusion absorbed read (parameters computed from defaults, see
// graph.assumed).
func (g *graph) pruneUnread(steps, fetch []int) []int {
	live := make([]bool, len(g.names))
	for _, s := range fetch {
		live[s] = true
	}
	keep := make([]bool, len(steps))
	for k := len(steps) - 1; k >= 0; k-- {
		st := g.steps[steps[k]]
		for _, s := range st.out {
			if s >= 0 && live[s] {
				keep[k] = true
			}
		}
		if !keep[k] && len(st.out) > 0 {
			continue
		}
		keep[k] = true
		for _, s := range st.in {
			if s >= 0 {
				live[s] = true
			}
		}
	}
	kept := steps[:0]
	for k, i := range steps {
		if keep[k] {
			kept = append(kept, i)
		}
	}
	return kept
}
