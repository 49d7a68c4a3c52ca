package onnx

import (
	"slices"
	"unsafe"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// A Concat of feature maps along the channels of one image (SqueezeNet's
// fire modules, Inception's branches) copies each input into its block of
// the output. In a session the copies can go: once a run has shown the
// shapes, the session points the result each producing convolution will
// recycle (see ops.Recycle) at its block of the Concat's output, so the
// next run's convolutions write there and the Concat finds its inputs in
// place (the copy of a block onto itself is skipped). A producer whose
// output shape changes allocates afresh and the Concat copies as before;
// the blocks are set again after that run.

// concatPlace is a Concat step of a plan whose inputs can be computed in
// place: step (an index into graph.steps), axis, and for each input the
// plan step producing it, which only the Concat reads.
type concatPlace struct {
	step      int
	axis      int
	producers []int
}

// writesInPlace lists the operators whose kernels write every element of
// their first result into last[0] whenever it has the right type and
// shape (ops.Recycle), on every path, and keep no other use of it: the
// producers a Concat place accepts.
var writesInPlace = map[string]bool{"Conv": true, "MaxPool": true, "AveragePool": true}

// findConcatPlaces lists the plan's Concat steps whose every input is the
// only output of a step in writesInPlace (a Conv fused or not, a pool)
// that nothing else reads, and whose output is not a graph output.
func (g *graph) findConcatPlaces(steps, fetch []int) []concatPlace {
	readers := make(map[int]int) // slot -> how many step inputs read it
	producer := make(map[int]int)
	for _, si := range steps {
		for _, s := range g.steps[si].in {
			if s >= 0 {
				readers[s]++
			}
		}
		for _, s := range g.steps[si].out {
			if s >= 0 {
				producer[s] = si
			}
		}
	}
	fetched := make(map[int]bool, len(fetch))
	for _, s := range fetch {
		fetched[s] = true
	}
	var places []concatPlace
	for _, si := range steps {
		st := g.steps[si]
		if st.c == nil || st.c.Op == nil || st.c.Op.Type != "Concat" || st.flow != nil || len(st.in) < 2 ||
			len(st.out) != 1 || st.out[0] < 0 || fetched[st.out[0]] {
			continue
		}
		pl := concatPlace{step: si, axis: st.c.Node.Attrs.Int("axis", 1)} // 1: opset 1's default
		for _, s := range st.in {
			p, ok := producer[s]
			if !ok || s < 0 || readers[s] != 1 || fetched[s] || g.consts[s] != nil {
				pl.producers = nil
				break
			}
			ps := g.steps[p]
			if ps.c == nil || ps.c.Op == nil || !writesInPlace[ps.c.Op.Type] || ps.flow != nil || len(ps.out) == 0 || ps.out[0] != s ||
				slices.ContainsFunc(ps.out[1:], func(o int) bool { return o >= 0 }) {
				pl.producers = nil
				break
			}
			pl.producers = append(pl.producers, p)
		}
		if pl.producers != nil {
			places = append(places, pl)
		}
	}
	return places
}

// placeConcatInputs points the last results of the producers of the plan's
// Concat places at their blocks of the Concat's last output, where the
// run just made shows they fit: a float32 output whose dimensions before
// the axis are all 1, the producers' results of its rank and element type,
// in order. It allocates only tensor headers, and only when a block moved.
func (s *Session) placeConcatInputs(p *plan) {
	for _, pl := range p.concats {
		lastOut := s.last[pl.step]
		if len(lastOut) != 1 || lastOut[0] == nil || lastOut[0].DType() != tensors.Float32 {
			continue
		}
		out := lastOut[0]
		shape := out.Shape()
		a, err := tensors.NormalizeAxis(pl.axis, len(shape))
		if err != nil || tensors.DimsProd(shape[:a]) != 1 {
			continue
		}
		dst := tensors.Data[float32](out)
		off, ok := 0, true
		for _, pi := range pl.producers {
			lp := s.last[pi]
			if len(lp) != 1 || lp[0] == nil || lp[0].DType() != tensors.Float32 || lp[0].Rank() != len(shape) {
				ok = false
				break
			}
			off += lp[0].Len()
		}
		if !ok || off != len(dst) {
			continue
		}
		off = 0
		for _, pi := range pl.producers {
			t := s.last[pi][0]
			n := t.Len()
			block := dst[off : off+n]
			off += n
			if n == 0 || unsafe.SliceData(tensors.Data[float32](t)) == unsafe.SliceData(block) {
				continue // in place already
			}
			v, err := tensors.New(t.Shape(), block)
			if err != nil {
				continue
			}
			s.last[pi][0] = v
		}
	}
}
