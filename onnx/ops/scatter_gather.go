package ops

import (
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Element gathers and scatters: GatherElements, GatherND, ScatterElements,
// ScatterND and the deprecated Scatter. They work on any element type
// (reductions on numeric types only). Indices may be negative (counted from
// the end of their axis); indices out of range are errors naming the input.
//
// The helpers at the top move elements by flat index for every element
// type; the other index operators (index.go, unique.go, topk.go) use them
// too.

func init() {
	Register(Op{Type: "GatherElements", Since: []int{11, 13}, Prepare: prepareGatherElements, Infer: inferLikeInput(1, 0)})
	Register(Op{Type: "GatherND", Since: []int{11, 12, 13}, Prepare: prepareGatherND})
	Register(Op{Type: "ScatterElements", Since: []int{11, 13, 16, 18}, Prepare: prepareScatterElements, Infer: InferSame})
	Register(Op{Type: "Scatter", Since: []int{9, 11}, Prepare: prepareScatterElements, Infer: InferSame})
	Register(Op{Type: "ScatterND", Since: []int{11, 13, 16, 18}, Prepare: prepareScatterND, Infer: InferSame})
}

// inferLikeInput gives the output the element type of input dtypeFrom and
// the shape of input shapeFrom.
func inferLikeInput(shapeFrom, dtypeFrom int) func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	return func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
		t := in[shapeFrom]
		t.DType = in[dtypeFrom].DType
		return []tensors.Type{t}, nil
	}
}

// takeElems returns a tensor of x's element type and the given shape whose
// element i is x's element idx[i], or the zero value where idx[i] < 0.
func takeElems(x *tensors.Tensor, shape []int, idx []int) (*tensors.Tensor, error) {
	out, err := tensors.Alloc(x.DType(), shape)
	if err != nil {
		return nil, err
	}
	take, ok := takeTypedFor[x.DType()]
	if !ok {
		return nil, tensors.ErrDType("input", x.DType())
	}
	take(out, x, idx)
	return out, nil
}

// takeTyped is takeT on tensors of element type T.
//
//dtypes:elem
func takeTyped[T tensors.Elem](out, x *tensors.Tensor, idx []int) {
	takeT(tensors.Data[T](out), tensors.Data[T](x), idx)
}

func takeT[T tensors.Elem](dst, src []T, idx []int) {
	for i, j := range idx {
		if j >= 0 {
			dst[i] = src[j]
		}
	}
}

// wrapIndex maps index v of an axis of size n to [0, n), or reports it out
// of range.
func wrapIndex(what string, v int64, n int) (int, error) {
	w := v
	if w < 0 {
		w += int64(n)
	}
	if w < 0 || w >= int64(n) {
		return 0, fmt.Errorf("%s: index %d is out of range for an axis of size %d", what, v, n)
	}
	return int(w), nil
}

// rowMajorStrides returns row-major strides.
func rowMajorStrides(shape []int) []int {
	s := make([]int, len(shape))
	p := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = p
		p *= shape[i]
	}
	return s
}

// dimsProduct is the product of dims (1 for none).
func dimsProduct(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// elementTargets maps each element of indices (shape ishape, values along
// axis of a tensor of shape dshape) to the flat index it addresses in that
// tensor.
func elementTargets(what string, dshape []int, ishape []int, ind []int64, axis int) ([]int, error) {
	if len(ishape) != len(dshape) {
		return nil, fmt.Errorf("%s has rank %d, data has rank %d", what, len(ishape), len(dshape))
	}
	for d := range ishape {
		if d != axis && ishape[d] > dshape[d] {
			return nil, fmt.Errorf("%s shape %v exceeds data shape %v on axis %d", what, tensors.FormatShape(ishape), tensors.FormatShape(dshape), d)
		}
	}
	ds := rowMajorStrides(dshape)
	out := make([]int, len(ind))
	pos := make([]int, len(ishape))
	for i, v := range ind {
		j, err := wrapIndex(what, v, dshape[axis])
		if err != nil {
			return nil, err
		}
		off := 0
		for d, p := range pos {
			if d == axis {
				off += j * ds[d]
			} else {
				off += p * ds[d]
			}
		}
		out[i] = off
		for d := len(pos) - 1; d >= 0; d-- {
			pos[d]++
			if pos[d] < ishape[d] {
				break
			}
			pos[d] = 0
		}
	}
	return out, nil
}

func indexValues(what string, t *tensors.Tensor) ([]int64, error) {
	if t.DType() != tensors.Int64 && t.DType() != tensors.Int32 {
		return nil, fmt.Errorf("%s: %w", what, tensors.ErrDType(what, t.DType(), tensors.Int32, tensors.Int64))
	}
	return tensors.AsInt64s(t)
}

func prepareGatherElements(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		data, indices := in[0], in[1]
		a, err := tensors.NormalizeAxis(axis, data.Rank())
		if err != nil {
			return nil, err
		}
		ind, err := indexValues("indices", indices)
		if err != nil {
			return nil, err
		}
		if _, err := tensors.CheckSize(data.DType(), indices.Shape()); err != nil {
			return nil, err
		}
		idx, err := elementTargets("indices", data.Shape(), indices.Shape(), ind, a)
		if err != nil {
			return nil, err
		}
		y, err := takeElems(data, indices.Shape(), idx)
		return []*tensors.Tensor{y}, err
	}, nil
}

// ndTargets resolves the index tuples of GatherND/ScatterND: for each tuple
// (indices' last axis, after batch dimensions) the flat offset of the slice
// it selects in data, and the slice length.
func ndTargets(data, indices *tensors.Tensor, batch int) (offsets []int, slice int, err error) {
	ds, is := data.Shape(), indices.Shape()
	q, r := len(is), len(ds)
	if q < 1 {
		return nil, 0, fmt.Errorf("indices %v must have rank at least 1", indices)
	}
	m := is[q-1]
	if batch < 0 || batch >= q || batch > r {
		return nil, 0, fmt.Errorf("batch_dims %d is out of range for indices %v and data %v", batch, indices, data)
	}
	if m > r-batch {
		return nil, 0, fmt.Errorf("indices %v address %d axes, data %v has only %d after %d batch axes", indices, m, data, r-batch, batch)
	}
	for d := 0; d < batch; d++ {
		if is[d] != ds[d] {
			return nil, 0, fmt.Errorf("batch axis %d of indices %v and data %v differ", d, indices, data)
		}
	}
	ind, err := indexValues("indices", indices)
	if err != nil {
		return nil, 0, err
	}
	slice = dimsProduct(ds[batch+m:])
	str := rowMajorStrides(ds)
	batchSize := dimsProduct(is[:batch])
	perBatch := 0
	if batchSize > 0 {
		perBatch = dimsProduct(is[batch : q-1])
	}
	dataBatch := dimsProduct(ds[batch:])
	offsets = make([]int, 0, batchSize*perBatch)
	for b := 0; b < batchSize; b++ {
		for k := 0; k < perBatch; k++ {
			tuple := ind[(b*perBatch+k)*m : (b*perBatch+k+1)*m]
			off := b * dataBatch
			for j, v := range tuple {
				x, err := wrapIndex("indices", v, ds[batch+j])
				if err != nil {
					return nil, 0, err
				}
				off += x * str[batch+j]
			}
			offsets = append(offsets, off)
		}
	}
	return offsets, slice, nil
}

func prepareGatherND(n *Node) (Kernel, error) {
	batch := 0
	if n.Since >= 12 {
		batch = n.Attrs.Int("batch_dims", 0)
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		data, indices := in[0], in[1]
		if indices.Rank() < 1 {
			return nil, fmt.Errorf("indices %v must have rank at least 1", indices)
		}
		is := indices.Shape()
		m := is[len(is)-1]
		if m > data.Rank()-batch || batch < 0 || batch >= len(is) {
			return nil, fmt.Errorf("indices %v with batch_dims %d do not fit data %v", indices, batch, data)
		}
		shape := append(slices.Clone(is[:len(is)-1]), data.Shape()[batch+m:]...)
		if _, err := tensors.CheckSize(data.DType(), shape); err != nil {
			return nil, err
		}
		offs, slice, err := ndTargets(data, indices, batch)
		if err != nil {
			return nil, err
		}
		idx := make([]int, 0, len(offs)*slice)
		for _, o := range offs {
			for j := 0; j < slice; j++ {
				idx = append(idx, o+j)
			}
		}
		y, err := takeElems(data, shape, idx)
		return []*tensors.Tensor{y}, err
	}, nil
}

func scatterReduction(n *Node) string {
	switch {
	case n.Type == "Scatter" || n.Since < 16:
		return "none"
	case n.Since < 18:
		return n.Attrs.Enum("reduction", "none", "none", "add", "mul")
	}
	return n.Attrs.Enum("reduction", "none", "none", "add", "mul", "max", "min")
}

func prepareScatterElements(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	red := scatterReduction(n)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		data, indices, updates := in[0], in[1], in[2]
		a, err := tensors.NormalizeAxis(axis, data.Rank())
		if err != nil {
			return nil, err
		}
		if !tensors.SameShape(indices.Shape(), updates.Shape()) {
			return nil, fmt.Errorf("indices %v and updates %v must have the same shape", indices, updates)
		}
		ind, err := indexValues("indices", indices)
		if err != nil {
			return nil, err
		}
		dst, err := elementTargets("indices", data.Shape(), indices.Shape(), ind, a)
		if err != nil {
			return nil, err
		}
		y, err := scatterInto(data, updates, dst, 1, red)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareScatterND(n *Node) (Kernel, error) {
	red := scatterReduction(n)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		data, indices, updates := in[0], in[1], in[2]
		if indices.Rank() < 1 {
			return nil, fmt.Errorf("indices %v must have rank at least 1", indices)
		}
		is := indices.Shape()
		m := is[len(is)-1]
		if m > data.Rank() {
			return nil, fmt.Errorf("indices %v address %d axes of data %v", indices, m, data)
		}
		want := append(slices.Clone(is[:len(is)-1]), data.Shape()[m:]...)
		if !tensors.SameShape(updates.Shape(), want) {
			return nil, fmt.Errorf("updates %v must have shape %v", updates, tensors.FormatShape(want))
		}
		offs, slice, err := ndTargets(data, indices, 0)
		if err != nil {
			return nil, err
		}
		y, err := scatterInto(data, updates, offs, slice, red)
		return []*tensors.Tensor{y}, err
	}, nil
}

// scatterInto copies data and combines updates into it: update block k
// (slice elements) goes to the elements from offs[k] on.
func scatterInto(data, updates *tensors.Tensor, offs []int, slice int, red string) (*tensors.Tensor, error) {
	if data.DType() != updates.DType() {
		return nil, fmt.Errorf("updates are %v, data is %v", updates.DType(), data.DType())
	}
	out := data.Clone()
	var ok bool
	scatter, found := scatterNumTypedFor[out.DType()]
	if !found {
		scatter, found = scatterAnyTypedFor[out.DType()]
	}
	if !found {
		return nil, tensors.ErrDType("data", data.DType())
	}
	ok = scatter(out, updates, offs, slice, red)
	if !ok {
		return nil, fmt.Errorf("reduction %q needs numeric data, got %v: %w", red, data.DType(), tensors.ErrUnsupported)
	}
	return out, nil
}

// scatterNumTyped and scatterAnyTyped scatter updates into out (element
// type T): numbers with every reduction, other types with "none" only.
//
//dtypes:numeric
func scatterNumTyped[T tensors.Numeric](out, updates *tensors.Tensor, offs []int, slice int, red string) bool {
	return scatterNum(tensors.Data[T](out), tensors.Data[T](updates), offs, slice, red)
}

//dtypes:elem
func scatterAnyTyped[T tensors.Elem](out, updates *tensors.Tensor, offs []int, slice int, red string) bool {
	return scatterAny(tensors.Data[T](out), tensors.Data[T](updates), offs, slice, red)
}

func scatterAny[T tensors.Elem](dst, upd []T, offs []int, slice int, red string) bool {
	if red != "none" {
		return false
	}
	for k, o := range offs {
		copy(dst[o:o+slice], upd[k*slice:(k+1)*slice])
	}
	return true
}

func scatterNum[T tensors.Numeric](dst, upd []T, offs []int, slice int, red string) bool {
	for k, o := range offs {
		d, u := dst[o:o+slice], upd[k*slice:(k+1)*slice]
		switch red {
		case "none":
			copy(d, u)
		case "add":
			for i := range d {
				d[i] += u[i]
			}
		case "mul":
			for i := range d {
				d[i] *= u[i]
			}
		case "max":
			for i := range d {
				d[i] = max(d[i], u[i])
			}
		case "min":
			for i := range d {
				d[i] = min(d[i], u[i])
			}
		}
	}
	return true
}
