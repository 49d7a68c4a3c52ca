package onnx

import (
	"context"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The Scan operator.
//
// A Scan node's inputs are N state variables and M scan inputs; its body
// takes the N states and one slice of each scan input, and returns the
// next N states and K scan output values. The node returns the final
// states and, per scan output, the values of every iteration stacked
// along an axis. From version 9 the attributes scan_input_axes,
// scan_input_directions, scan_output_axes and scan_output_directions
// choose the axes and the order (0 forward, 1 reverse). Version 8 has a
// batch axis 0 before the scan axis 1 on every input and output, an
// optional first input sequence_lens (scan outputs are padded with zeros
// past a batch entry's length) and directions for the scan inputs.

func init() {
	registerFlow(ops.Op{Type: "Scan", Since: []int{8, 9, 11, 16}})
}

// scan is a compiled Scan node.
type scan struct {
	body              *branch
	v8                bool // version 8: batch axis, sequence_lens input
	states, ins, outs int  // N, M, K
	inAxes, inDirs    []int
	outAxes, outDirs  []int
	inputs            []string // the body's declared input names
	captures          []string // names of the node's implicit inputs
	limit             int64    // the model's memory limit
	// outTypes are the static types of the scan outputs' values, for
	// the empty results of a scan of no iteration.
	outTypes []tensors.Type
}

// compileScan builds a Scan node's body; declared is the node's number of
// declared inputs (before its captures), since its operator version.
func (b *builder) compileScan(np *onnxpb.NodeProto, declared, since int, desc string) (flowKernel, flowInfer, error) {
	attrs, err := ops.NewAttrs(np.GetAttribute(), b.decode)
	if err != nil {
		return nil, nil, invalid(err)
	}
	s := &scan{v8: since == 8, captures: np.GetInput()[declared:], limit: b.mem.limit}
	g := attrs.RequiredGraph("body")
	s.ins = attrs.RequiredInt("num_scan_inputs")
	first := 0 // index of the first state or scan input
	if s.v8 {
		first = 1
		s.inDirs = attrs.Ints("directions", nil)
	} else {
		s.inAxes = attrs.Ints("scan_input_axes", nil)
		s.inDirs = attrs.Ints("scan_input_directions", nil)
		s.outAxes = attrs.Ints("scan_output_axes", nil)
		s.outDirs = attrs.Ints("scan_output_directions", nil)
	}
	if err := attrs.Err(); err != nil {
		return nil, nil, invalid(err)
	}
	if u := attrs.Unread(); len(u) > 0 {
		return nil, nil, invalid(fmt.Errorf("attribute %q is not defined for Scan-%d", u[0], since))
	}
	if s.ins < 1 || s.ins > declared-first {
		return nil, nil, invalid(fmt.Errorf("num_scan_inputs is %d, the node has %d state and scan inputs", s.ins, declared-first))
	}
	s.states = declared - first - s.ins
	s.outs = len(np.GetOutput()) - s.states
	if s.outs < 0 {
		return nil, nil, invalid(fmt.Errorf("the node has %d state variables but only %d outputs", s.states, len(np.GetOutput())))
	}
	fill := func(name string, v []int, n, def int) ([]int, error) {
		if v == nil {
			v = make([]int, n)
			for i := range v {
				v[i] = def
			}
		}
		if len(v) != n {
			return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), n)
		}
		return v, nil
	}
	for _, a := range []struct {
		name string
		v    *[]int
		n    int
		dirs bool
	}{
		{"scan_input_axes", &s.inAxes, s.ins, false}, {"scan_input_directions", &s.inDirs, s.ins, true},
		{"scan_output_axes", &s.outAxes, s.outs, false}, {"scan_output_directions", &s.outDirs, s.outs, true},
	} {
		if *a.v, err = fill(a.name, *a.v, a.n, 0); err != nil {
			return nil, nil, invalid(err)
		}
		for _, d := range *a.v {
			if a.dirs && d != 0 && d != 1 {
				return nil, nil, invalid(fmt.Errorf("%s holds %d; directions are 0 (forward) or 1 (reverse)", a.name, d))
			}
			if !a.dirs && (d < -maxScanRank || d > maxScanRank) {
				return nil, nil, invalid(fmt.Errorf("%s holds axis %d", a.name, d))
			}
		}
	}
	if n := len(g.GetInput()); n != s.states+s.ins {
		return nil, nil, invalid(fmt.Errorf("body has %d inputs, want %d (the node's %d state variables and %d scan inputs)", n, s.states+s.ins, s.states, s.ins))
	}
	if n := len(g.GetOutput()); n != s.states+s.outs {
		return nil, nil, invalid(fmt.Errorf("body has %d outputs, want %d (%d state variables, %d scan outputs as the node has %d outputs)",
			n, s.states+s.outs, s.states, s.outs, len(np.GetOutput())))
	}
	for _, vi := range g.GetInput() {
		s.inputs = append(s.inputs, vi.GetName())
	}
	s.body, err = b.buildBranch(g, desc+" body")
	if err != nil {
		return nil, nil, fmt.Errorf("body: %w", err)
	}
	for k := range s.outs {
		s.outTypes = append(s.outTypes, stackedType(s.body, g, s.states+k))
	}
	if s.v8 {
		return stateless(s.run8), s.infer, nil
	}
	return stateless(s.run), s.infer, nil
}

// infer gives the types of the final state values and of the scan
// outputs: a body output stacked along its scan output axis, as long as
// the first scan input's scanned axis (Scan-9 and later; Scan-8 stacks
// along axis 1, after the batch axis).
func (s *scan) infer(in []tensors.Type) []tensors.Type {
	outs := s.body.m.g.outputs
	first := 0
	if s.v8 {
		first = 1
	}
	res := make([]tensors.Type, 0, s.states+s.outs)
	for k := range s.states {
		res = append(res, ops.JoinTypes(in[first+k], outs[k].Type))
	}
	length := tensors.UnknownDim
	if x := in[first+s.states]; !s.v8 && x.RankKnown {
		if a := s.inAxes[0]; a >= -len(x.Dims) && a < len(x.Dims) {
			length = x.Dims[(a+len(x.Dims))%len(x.Dims)]
		}
	}
	for k := range s.outs {
		t := outs[s.states+k].Type
		axis := 1
		if !s.v8 {
			axis = s.outAxes[k]
			if axis < 0 && t.RankKnown {
				axis += len(t.Dims) + 1
			}
		}
		res = append(res, stackType(t, axis, length))
	}
	return res
}

// run runs a Scan of version 9 or later.
func (s *scan) run(ctx context.Context, mem *runBudget, in []*tensors.Tensor) ([]*tensors.Tensor, error) {
	limit := available(mem, s.limit)
	xs := in[s.states : s.states+s.ins]
	axes := make([]int, s.ins)
	length := -1
	for j, x := range xs {
		if x == nil {
			return nil, fmt.Errorf("scan input %d is missing", j)
		}
		a, err := tensors.NormalizeAxis(s.inAxes[j], x.Rank())
		if err != nil {
			return nil, fmt.Errorf("scan input %d %v: scan_input_axes: %w", j, x, err)
		}
		axes[j] = a
		if n := x.Shape()[a]; length < 0 {
			length = n
		} else if n != length {
			return nil, fmt.Errorf("scan input %d %v has %d values along axis %d, scan input 0 has %d", j, x, n, a, length)
		}
	}
	states, parts, err := s.iterate(ctx, limit, in[:s.states], xs, axes, length, in[s.states+s.ins:])
	if err != nil {
		return nil, err
	}
	out := states
	for k, p := range parts {
		t, err := s.stack(p, k, s.outAxes[k])
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// stack stacks the values of scan output k along axis (negative counts
// from the end of the stacked rank), in reverse for direction 1.
func (s *scan) stack(parts []*tensors.Tensor, k, axis int) (*tensors.Tensor, error) {
	if len(parts) == 0 {
		t := s.outTypes[k]
		if axis < 0 && t.RankKnown {
			axis += len(t.Dims) + 1
		}
		return emptyStack(t, max(axis, 0))
	}
	a, err := tensors.NormalizeAxis(axis, parts[0].Rank()+1)
	if err != nil {
		return nil, fmt.Errorf("scan_output_axes: %w", err)
	}
	if s.outDirs[k] == 1 {
		rev := make([]*tensors.Tensor, len(parts))
		for i, p := range parts {
			rev[len(parts)-1-i] = p
		}
		parts = rev
	}
	return stackAt(parts, a)
}

// iterate runs the body length times on the states and the slices of xs
// along axes, and returns the final states and the scan output values of
// every iteration.
func (s *scan) iterate(ctx context.Context, limit int64, states, xs []*tensors.Tensor, axes []int, length int, captured []*tensors.Tensor) ([]*tensors.Tensor, [][]*tensors.Tensor, error) {
	states = append([]*tensors.Tensor{}, states...)
	parts := make([][]*tensors.Tensor, s.outs)
	var held int64
	for _, x := range xs {
		held += tensorBytes(x) // the slices, at most
	}
	for i := 0; i < length; i++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("stopped before iteration %d: %w", i, err)
		}
		feeds := make(map[string]*tensors.Tensor, len(s.inputs))
		var stateBytes int64
		for j, t := range states {
			feeds[s.inputs[j]] = t
			stateBytes += tensorBytes(t)
		}
		for j, x := range xs {
			at := i
			if s.inDirs[j] == 1 {
				at = length - 1 - i
			}
			sl, err := sliceAt(x, axes[j], at)
			if err != nil {
				return nil, nil, fmt.Errorf("iteration %d: scan input %d: %w", i, j, err)
			}
			feeds[s.inputs[s.states+j]] = sl
		}
		out, err := s.body.call(ctx, limit-held-stateBytes, s.captures, captured, feeds)
		if err != nil {
			return nil, nil, fmt.Errorf("iteration %d: %w", i, err)
		}
		copy(states, out[:s.states])
		for k := range parts {
			t := out[s.states+k]
			parts[k] = append(parts[k], t)
			held += tensorBytes(t)
		}
		if 2*held > limit {
			return nil, nil, &classed{fmt.Errorf("iteration %d: the scan outputs so far take %d bytes; stacking them would need more than the %d bytes the run has left under its memory limit",
				i, held, limit), ErrMemoryLimit}
		}
	}
	return states, parts, nil
}

// run8 runs a Scan of version 8: each batch entry (axis 0) is scanned
// along axis 1 on its own, for its length in sequence_lens.
func (s *scan) run8(ctx context.Context, mem *runBudget, in []*tensors.Tensor) ([]*tensors.Tensor, error) {
	limit := available(mem, s.limit)
	vals := in[1 : 1+s.states+s.ins]
	batch, maxLen := -1, -1
	for j, v := range vals {
		if v == nil {
			return nil, fmt.Errorf("input %d is missing", 1+j)
		}
		min := 1
		if j >= s.states {
			min = 2
		}
		if v.Rank() < min {
			return nil, fmt.Errorf("input %d %v needs rank %d or more (batch axis first)", 1+j, v, min)
		}
		if batch < 0 {
			batch = v.Shape()[0]
		} else if v.Shape()[0] != batch {
			return nil, fmt.Errorf("input %d %v has batch size %d, input 1 has %d", 1+j, v, v.Shape()[0], batch)
		}
		if j >= s.states {
			if maxLen < 0 {
				maxLen = v.Shape()[1]
			} else if v.Shape()[1] != maxLen {
				return nil, fmt.Errorf("scan input %d %v has sequence length %d, scan input 0 has %d", j-s.states, v, v.Shape()[1], maxLen)
			}
		}
	}
	lens := make([]int64, batch)
	for i := range lens {
		lens[i] = int64(maxLen)
	}
	if in[0] != nil {
		v, err := tensors.AsInt64s(in[0])
		if err != nil || len(v) != batch {
			return nil, fmt.Errorf("sequence_lens %v must hold %d integers", in[0], batch)
		}
		for i, n := range v {
			if n < 0 || n > int64(maxLen) {
				return nil, fmt.Errorf("sequence_lens[%d] is %d, outside [0, %d]", i, n, maxLen)
			}
		}
		lens = v
	}
	captured := in[1+s.states+s.ins:]
	finals := make([][]*tensors.Tensor, s.states)   // state -> per batch entry
	perBatch := make([][][]*tensors.Tensor, s.outs) // scan output -> batch entry -> values
	axes := make([]int, s.ins)
	for b := 0; b < batch; b++ {
		row := make([]*tensors.Tensor, len(vals))
		for j, v := range vals {
			r, err := sliceAt(v, 0, b)
			if err != nil {
				return nil, fmt.Errorf("input %d: %w", 1+j, err)
			}
			row[j] = r
		}
		states, parts, err := s.iterate(ctx, limit, row[:s.states], row[s.states:], axes, int(lens[b]), captured)
		if err != nil {
			return nil, fmt.Errorf("batch entry %d: %w", b, err)
		}
		for j, t := range states {
			finals[j] = append(finals[j], t)
		}
		for k, p := range parts {
			perBatch[k] = append(perBatch[k], p)
		}
	}
	var out []*tensors.Tensor
	for j, f := range finals {
		if len(f) == 0 {
			out = append(out, vals[j]) // batch size 0
			continue
		}
		t, err := stackAt(f, 0)
		if err != nil {
			return nil, fmt.Errorf("final state %d: %w", j, err)
		}
		out = append(out, t)
	}
	for k := range perBatch {
		t, err := s.stack8(perBatch[k], k, batch, maxLen)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// stack8 stacks the values of scan output k of a version 8 Scan into a
// [batch, maxLen, ...] tensor, padding short batch entries with zeros.
func (s *scan) stack8(perBatch [][]*tensors.Tensor, k, batch, maxLen int) (*tensors.Tensor, error) {
	var like *tensors.Tensor
	for _, p := range perBatch {
		if len(p) > 0 {
			like = p[0]
			break
		}
	}
	if like == nil { // no values at all: [batch, 0, ...]
		t, err := emptyStack(s.outTypes[k], 0)
		if err != nil {
			return nil, err
		}
		return tensors.Alloc(t.DType(), append([]int{batch}, t.Shape()...))
	}
	rows := make([]*tensors.Tensor, batch)
	for b, p := range perBatch {
		if len(p) < maxLen {
			z, err := tensors.Alloc(like.DType(), like.Shape())
			if err != nil {
				return nil, err
			}
			for len(p) < maxLen {
				p = append(p, z)
			}
		}
		r, err := stackAt(p, 0)
		if err != nil {
			return nil, fmt.Errorf("batch entry %d: %w", b, err)
		}
		rows[b] = r
	}
	return stackAt(rows, 0)
}

// maxScanRank bounds the axes Scan's attributes may name.
const maxScanRank = 1 << 16
