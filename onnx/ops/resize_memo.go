package ops

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// A Resize in a session recomputes nothing that depends only on its
// input's shape and its roi, scales and sizes: resizeMemo keeps what the
// last call worked out (output shape, the source of each output element
// in nearest mode, the taps of each axis otherwise), resizeScratches the
// float64 buffers of the linear and cubic passes.

// resizeMemo remembers the plan of a Resize's last call. Safe for
// concurrent use: plans are immutable and swapped atomically.
type resizeMemo struct {
	last    atomic.Pointer[resizePlan]
	scratch scratchPool[resizeScratch]
	images  scratchPool[resizeImageRun]
}

// resizePlan is how a Resize resizes an input of one element type and
// shape for given roi, scales and sizes (nil when not given).
type resizePlan struct {
	dtype  tensors.DType
	shape  []int
	roi    []float64
	scales []float64
	sizes  []int64

	ax   []resizeAxis
	out  []int
	src  []int           // nearest: source element per output element, -1 for fill
	fill *tensors.Tensor // nearest: the extrapolation value as a one-element tensor of dtype (nil: none needed)
	taps []resizeTaps    // linear and cubic: per axis
	img  *resizeImage    // linear and cubic float32 images: interpResize2D's plan (nil: another path)
}

// matches reports whether p was made for these inputs (roi, scales, sizes
// nil when not given).
func (p *resizePlan) matches(x, roi, scales, sizes *tensors.Tensor) bool {
	return p.dtype == x.DType() && slices.Equal(p.shape, x.Shape()) &&
		floatsAre(roi, p.roi) && floatsAre(scales, p.scales) && intsAre(sizes, p.sizes)
}

// floatsAre reports whether t (nil or empty for none) holds the values v
// (nil for none), as a float tensor.
func floatsAre(t *tensors.Tensor, v []float64) bool {
	if t == nil || t.Len() == 0 {
		return v == nil
	}
	if v == nil || t.Len() != len(v) || t.Rank() != 1 {
		return false
	}
	switch d := t.Data().(type) {
	case []float32:
		for i, x := range d {
			if float64(x) != v[i] {
				return false
			}
		}
		return true
	case []float64:
		return slices.Equal(d, v)
	}
	return false
}

// intsAre is floatsAre for int64 tensors.
func intsAre(t *tensors.Tensor, v []int64) bool {
	if t == nil || t.Len() == 0 {
		return v == nil
	}
	d, ok := t.Data().([]int64)
	return ok && v != nil && t.Rank() == 1 && slices.Equal(d, v)
}

// runRecycled is run for a recycling kernel, given Resize's optional
// inputs roi, scales and sizes (nil when absent): with the plan of the
// last call when the inputs repeat it, into last[0] when it fits.
func (s *resizeSpec) runRecycled(memo *resizeMemo, x, roiT, scalesT, sizesT *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	p := memo.last.Load()
	if p == nil || !p.matches(x, roiT, scalesT, sizesT) {
		var err error
		if p, err = s.newPlan(x, roiT, scalesT, sizesT); err != nil {
			return nil, err
		}
		memo.last.Store(p)
	}
	if p.img != nil {
		y, err := RecycleAlloc(last, 0, tensors.Float32, p.out) // every element is written
		if err != nil || y.Len() == 0 {
			return y, err
		}
		r := memo.images.get()
		p.img.run(tensors.Data[float32](x), tensors.Data[float32](y), r)
		memo.images.put(r)
		return y, nil
	}
	if s.mode != resizeNearest {
		sc := memo.scratch.get()
		defer memo.scratch.put(sc)
		return s.interpResizeWith(x, p.ax, p.out, p.taps, sc, lastOutput(last))
	}
	y, err := RecycleAlloc(last, 0, x.DType(), p.out)
	if err != nil || y.Len() == 0 {
		return y, err
	}
	mv, err := tensors.MoverFor(x.DType())
	if err != nil {
		return nil, err
	}
	if p.fill == nil {
		mv.Gather(y.Data(), x.Data(), 0, 0, p.src)
		return y, nil
	}
	for i, k := range p.src {
		if k < 0 {
			mv.Splat(y.Data(), p.fill.Data(), i, 0, 1)
		} else {
			mv.Copy(y.Data(), x.Data(), i, k, 1)
		}
	}
	return y, nil
}

// newPlan checks Resize's inputs and works out how to resize x.
func (s *resizeSpec) newPlan(x, roiT, scalesT, sizesT *tensors.Tensor) (*resizePlan, error) {
	p := &resizePlan{dtype: x.DType(), shape: slices.Clone(x.Shape())}
	var err error
	if roiT != nil && roiT.Len() > 0 {
		if p.roi, err = resizeFloats(roiT, "roi"); err != nil {
			return nil, err
		}
	}
	if scalesT != nil && scalesT.Len() > 0 {
		if p.scales, err = resizeFloats(scalesT, "scales"); err != nil {
			return nil, err
		}
	}
	if sizesT != nil && sizesT.Len() > 0 {
		if p.sizes, err = tensors.AsInt64s(sizesT); err != nil {
			return nil, fmt.Errorf("input sizes: %w", err)
		}
	}
	if p.scales != nil && p.sizes != nil {
		return nil, fmt.Errorf("both scales and sizes are given; only one may be")
	}
	if p.scales == nil && p.sizes == nil {
		return nil, fmt.Errorf("neither scales nor sizes is given")
	}
	if p.ax, err = s.plan(x.Shape(), p.roi, p.scales, p.sizes); err != nil {
		return nil, err
	}
	p.out = make([]int, len(p.ax))
	for i, a := range p.ax {
		p.out[i] = a.out
	}
	if _, err := tensors.CheckSize(x.DType(), p.out); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if s.mode == resizeNearest {
		if _, err := tensors.MoverFor(x.DType()); err != nil {
			return nil, err
		}
		p.src = s.nearestSources(x.Shape(), p.ax, p.out)
		if slices.ContainsFunc(p.src, func(k int) bool { return k < 0 }) {
			if x.DType() == tensors.String {
				p.fill = tensors.Scalar("")
			} else if p.fill, err = CastTensor(tensors.Scalar(s.extrap), x.DType()); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	if !x.DType().IsFloat() {
		return nil, tensors.ErrDType("input X (linear and cubic modes)", x.DType(), tensors.Float32, tensors.Float64)
	}
	if p.img, err = s.imagePlan(x.DType(), p.ax); err != nil {
		return nil, err
	}
	if p.img == nil {
		if p.taps, err = s.allTaps(p.ax); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// scratchPool hands out scratch values of type T to the concurrent calls
// of one kernel, keeping those given back for later calls: a kernel run
// again and again (in a session) reuses one.
type scratchPool[T any] struct {
	mu   sync.Mutex
	free []*T
}

// get returns a scratch value, new or given back before.
func (p *scratchPool[T]) get() *T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		v := p.free[n-1]
		p.free = p.free[:n-1]
		return v
	}
	return new(T)
}

// put gives v back.
func (p *scratchPool[T]) put(v *T) {
	p.mu.Lock()
	p.free = append(p.free, v)
	p.mu.Unlock()
}
