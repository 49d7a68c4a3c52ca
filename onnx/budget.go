package onnx

import (
	"fmt"
	"reflect"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// tensorBytes is the memory a tensor's elements take, as counted against
// memory limits.
func tensorBytes(t *tensors.Tensor) int64 {
	if t == nil {
		return 0
	}
	if t.Kind() != tensors.TensorKind {
		// A sequence or optional value counts its elements, which it may
		// share with other values: an overestimate, never an underestimate.
		var n int64
		for _, e := range t.Items() {
			n += tensorBytes(e)
		}
		return n
	}
	n := int64(t.Len()) * tensors.ElemBytes(t.DType())
	if s, ok := t.Data().([]string); ok {
		for _, v := range s {
			n += int64(len(v))
		}
	}
	return n
}

// dataPointer identifies a tensor's backing array, to tell outputs that
// share memory with an input from fresh allocations. Empty tensors give 0;
// sequences and optional values are identified by themselves.
func dataPointer(t *tensors.Tensor) uintptr {
	if t != nil && t.Kind() != tensors.TensorKind {
		if tensorBytes(t) == 0 {
			return 0
		}
		return reflect.ValueOf(t).Pointer()
	}
	if t == nil || t.Len() == 0 {
		return 0
	}
	v := reflect.ValueOf(t.Data())
	if v.Kind() != reflect.Slice {
		return 0
	}
	return v.Pointer()
}

// loadBudget counts the bytes of tensors a model holds while it loads.
type loadBudget struct {
	limit, used int64
}

// left returns how many bytes may still be charged.
func (b *loadBudget) left() int64 { return b.limit - b.used }

// charge counts a tensor that the model keeps; what names it in the error.
func (b *loadBudget) charge(t *tensors.Tensor, what string) error {
	n := tensorBytes(t)
	if n > b.left() {
		return &classed{fmt.Errorf("%s (%v, %d bytes) brings the model's tensors to %d bytes, more than the memory limit of %d bytes",
			what, t, n, b.used+n, b.limit), ErrMemoryLimit}
	}
	b.used += n
	return nil
}

// runBudget counts the bytes of the tensors a run has computed and still
// holds. Tensors are tracked by backing array, so views count once. Its
// maps keep their room across reset, so a session's runs do not allocate.
type runBudget struct {
	limit, used int64
	held        map[uintptr]heldArray // backing array -> size and holders
	slotOf      map[int]uintptr       // slot -> backing array it holds
}

type heldArray struct {
	bytes int64
	refs  int
}

func newRunBudget(limit int64) *runBudget {
	return &runBudget{limit: limit, held: map[uintptr]heldArray{}, slotOf: map[int]uintptr{}}
}

// reset forgets everything held, for a new run.
func (b *runBudget) reset() {
	b.used = 0
	clear(b.held)
	clear(b.slotOf)
}

// produced records a node output stored in slot s. An output sharing its
// array with one the run already holds adds a reference; one sharing it
// with a constant or caller input (listed in inputs but not held) costs
// nothing; anything else is a fresh allocation and is charged.
func (b *runBudget) produced(s int, t *tensors.Tensor, inputs []*tensors.Tensor) {
	p := dataPointer(t)
	if p == 0 {
		return
	}
	if h, ok := b.held[p]; ok {
		h.refs++
		if n := tensorBytes(t); n > h.bytes {
			// A larger tensor starting where a held one does (a Concat
			// whose first input was computed in its output): count all of it.
			b.used += n - h.bytes
			h.bytes = n
		}
		b.held[p] = h
		b.slotOf[s] = p
		return
	}
	for _, in := range inputs {
		if dataPointer(in) == p {
			return
		}
	}
	n := tensorBytes(t)
	b.held[p] = heldArray{bytes: n, refs: 1}
	b.slotOf[s] = p
	b.used += n
}

// released drops the run's reference to the value in slot s.
func (b *runBudget) released(s int) {
	p, ok := b.slotOf[s]
	if !ok {
		return
	}
	delete(b.slotOf, s)
	if h, ok := b.held[p]; ok {
		if h.refs--; h.refs == 0 {
			b.used -= h.bytes
			delete(b.held, p)
		} else {
			b.held[p] = h
		}
	}
}

// check reports an error naming the step when the run holds too much.
func (b *runBudget) check(st *step, out []*tensors.Tensor) error {
	if b.used <= b.limit {
		return nil
	}
	var biggest *tensors.Tensor
	for i, s := range st.out {
		if s >= 0 && i < len(out) && (biggest == nil || tensorBytes(out[i]) > tensorBytes(biggest)) {
			biggest = out[i]
		}
	}
	return &classed{fmt.Errorf("%s: its output %v (%d bytes) brings the tensors this run holds to %d bytes, more than the memory limit of %d bytes",
		st.desc, biggest, tensorBytes(biggest), b.used, b.limit), ErrMemoryLimit}
}

// sharesData reports whether t shares its backing array with one of in.
func sharesData(t *tensors.Tensor, in []*tensors.Tensor) bool {
	p := dataPointer(t)
	if p == 0 {
		return false
	}
	for _, x := range in {
		if dataPointer(x) == p {
			return true
		}
	}
	return false
}
