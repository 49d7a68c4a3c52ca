package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Matrix products: Gemm and MatMul, computed by kernel.Gemm for float32 and
// float64 (MatMul also takes integers, computed directly).
//
// Gemm: Y = alpha·op(A)·op(B) + beta·C with op the optional transpose, A
// and B matrices and C broadcast to Y's shape. Versions 1 and 6 need the
// broadcast attribute for C to be anything but M×N; 7 broadcasts C
// unidirectionally; 11 makes C optional; 9 and 13 only widen the types.
// Y is always a fresh tensor: C is read, never written.
//
// MatMul follows numpy.matmul: stacks of matrices in the last two axes,
// batch axes broadcast, a 1-D A (B) taken as a row (column) whose axis is
// dropped from the result. Versions 9 and 13 only widen the types.

func init() {
	Register(Op{
		Type:          "Gemm",
		HalfAsFloat32: true,
		Since:         []int{1, 6, 7, 9, 11, 13},
		Prepare:       prepareGemm,
		Infer:         inferGemm,
	})
	Register(Op{
		Type:          "MatMul",
		HalfAsFloat32: true,
		Since:         []int{1, 9, 13},
		Prepare: func(n *Node) (Kernel, error) {
			// A constant float32 matrix B is packed for the GEMM once.
			var constB *tensors.Tensor
			var packedB *kernel.PackedB
			setB := func(c *tensors.Tensor) {
				if c != nil && c.Rank() == 2 && c.DType() == tensors.Float32 && c.Len() > 0 {
					constB = c
					packedB = kernel.NewPackedB(c.Shape()[0], c.Shape()[1], tensors.Data[float32](c), c.Shape()[1])
					packedB.AddRows() // batch 1 reads long rows row by row
				}
			}
			setB(n.Const(1))
			// Or one that a step holding derived defaults as constants
			// is told of at load (the runs then pass exactly it).
			n.OnConstInput(func(i int, t *tensors.Tensor) {
				if i == 1 && constB == nil {
					setB(t)
				}
			})
			packedFor := func(b *tensors.Tensor) *kernel.PackedB {
				if constB != nil && b == constB {
					return packedB
				}
				return nil
			}
			n.FusedBias(func(bias *tensors.Tensor, relu bool) RecyclingKernel {
				return func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
					if pb := packedFor(in[1]); pb != nil {
						if y, ok, err := matMulPackedBias(in[0], pb, bias, relu, last); ok || err != nil {
							return Result(last, y), err
						}
					}
					y, err := matMul(in[0], in[1], packedFor(in[1]), last)
					if err == nil {
						err = addRowBias(y, bias, relu)
					}
					return Result(last, y), err
				}
			})
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := matMul(in[0], in[1], packedFor(in[1]), last)
				return Result(last, y), err
			}), nil
		},
		Infer: inferMatMul,
	})
}

type gemmAttrs struct {
	alpha, beta    float64
	transA, transB bool
	// exactC: versions 1 and 6 without broadcast=1 need C to be M×N.
	exactC bool
	// packed is B (constant, not transposed, float32) packed at load, or
	// nil.
	packed *kernel.PackedB
}

func readGemmAttrs(n *Node) gemmAttrs {
	a := n.Attrs
	g := gemmAttrs{
		alpha:  float64(a.Float("alpha", 1)),
		beta:   float64(a.Float("beta", 1)),
		transA: a.Bool("transA", false),
		transB: a.Bool("transB", false),
	}
	if n.Since <= 6 {
		g.exactC = !a.Bool("broadcast", false)
	}
	return g
}

func prepareGemm(n *Node) (Kernel, error) {
	g := readGemmAttrs(n)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	a, b := n.InputType(0), n.InputType(1)
	for _, t := range []tensors.Type{a, b} {
		if t.RankKnown && len(t.Dims) != 2 {
			return nil, fmt.Errorf("A %v and B %v must be matrices", a, b)
		}
	}
	if a.RankKnown && b.RankKnown {
		ka, kb := a.Dims[1], b.Dims[0]
		if g.transA {
			ka = a.Dims[0]
		}
		if g.transB {
			kb = b.Dims[1]
		}
		if ka.Known() && kb.Known() && ka.Size != kb.Size {
			return nil, fmt.Errorf("A %v (transA=%v) and B %v (transB=%v) have inner dimensions %d and %d",
				a, g.transA, b, g.transB, ka.Size, kb.Size)
		}
	}
	// A constant B stored transposed (PyTorch's Linear weights) is
	// transposed once here, so that each run reads it row-major: the
	// row-times-matrix kernel at batch 1. A constant float32 B is also
	// packed for the GEMM once, so that larger batches skip packing it.
	var constB, rowB *tensors.Tensor
	var packedB *kernel.PackedB
	setB := func(c *tensors.Tensor) error {
		if c == nil || c.Rank() != 2 || (c.DType() != tensors.Float32 && c.DType() != tensors.Float64) {
			return nil
		}
		row := c
		if g.transB {
			t, err := Transpose(c, nil)
			if err != nil {
				return err
			}
			row = t
		}
		constB, rowB = c, row
		if rowB.DType() == tensors.Float32 && rowB.Len() > 0 {
			k, n := rowB.Shape()[0], rowB.Shape()[1]
			packedB = kernel.NewPackedB(k, n, tensors.Data[float32](rowB), n)
			if g.transB {
				// Batch 1 reads the weights as stored: row by row.
				packedB.SetRows(tensors.Data[float32](c))
			}
		}
		return nil
	}
	if err := setB(n.Const(1)); err != nil {
		return nil, err
	}
	// Or one that a step holding derived defaults as constants is told of
	// at load (the runs then pass exactly it).
	n.OnConstInput(func(i int, t *tensors.Tensor) {
		if i == 1 && constB == nil {
			_ = setB(t) // a B that cannot be transposed runs unprepared
		}
	})
	plain := g
	plain.transB = false
	run := func(in, last []*tensors.Tensor, relu bool) (*tensors.Tensor, error) {
		if constB != nil && in[1] == constB {
			p := plain
			p.packed = packedB
			return gemm(in[0], rowB, Input(in, 2), &p, relu, last)
		}
		return gemm(in[0], in[1], Input(in, 2), &g, relu, last)
	}
	n.FusedRelu(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := run(in, last, true)
		return Result(last, y), err
	})
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := run(in, last, false)
		return Result(last, y), err
	}), nil
}

// reluInPlace replaces the elements of the float32 or float64 tensor t by
// max(·, 0), NaNs kept.
func reluInPlace(t *tensors.Tensor) {
	switch d := t.Data().(type) {
	case []float32:
		kernel.Relu(d, d)
	case []float64:
		kernel.Relu(d, d)
	}
}

// addRowBias adds the vector bias along the last axis of the float32 or
// float64 tensor y (a fused MatMul's output), then applies max(·, 0) when
// relu is set.
func addRowBias(y, bias *tensors.Tensor, relu bool) error {
	shape := y.Shape()
	if y.DType() != bias.DType() || len(shape) == 0 || shape[len(shape)-1] != bias.Len() {
		return fmt.Errorf("fused bias %v does not match the product %v along its last axis", bias, y)
	}
	switch d := y.Data().(type) {
	case []float32:
		addRows(d, tensors.Data[float32](bias))
	case []float64:
		addRows(d, tensors.Data[float64](bias))
	default:
		return tensors.ErrDType("fused bias", y.DType(), tensors.Float32, tensors.Float64)
	}
	if relu {
		reluInPlace(y)
	}
	return nil
}

// addRows adds b to each consecutive len(b) elements of d.
func addRows[T tensors.Float](d, b []T) {
	if len(b) == 0 {
		return
	}
	for i := 0; i+len(b) <= len(d); i += len(b) {
		row := d[i : i+len(b)]
		for j, v := range b {
			row[j] += v
		}
	}
}

// gemmDims returns M, K, N of op(A)·op(B), checking the operands.
func (g *gemmAttrs) dims(a, b *tensors.Tensor) (m, k, n int, err error) {
	if a.Rank() != 2 || b.Rank() != 2 {
		return 0, 0, 0, fmt.Errorf("A %v and B %v must be matrices", a, b)
	}
	m, k = a.Shape()[0], a.Shape()[1]
	if g.transA {
		m, k = k, m
	}
	kb, n := b.Shape()[0], b.Shape()[1]
	if g.transB {
		kb, n = n, kb
	}
	if k != kb {
		return 0, 0, 0, fmt.Errorf("A %v (transA=%v) and B %v (transB=%v) have inner dimensions %d and %d",
			a, g.transA, b, g.transB, k, kb)
	}
	return m, k, n, nil
}

// gemm runs a Gemm node, writing into last[0] when it can (see Recycle).
func gemm(a, b, c *tensors.Tensor, g *gemmAttrs, relu bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() || (c != nil && c.DType() != a.DType()) {
		return nil, fmt.Errorf("A %v, B %v and C %v must have one element type", a, b, c)
	}
	m, k, n, err := g.dims(a, b)
	if err != nil {
		return nil, err
	}
	if c != nil {
		yshape := [2]int{m, n}
		if g.exactC && !tensors.SameShape(c.Shape(), yshape[:]) {
			return nil, fmt.Errorf("C %v must be %v unless broadcast=1", c, tensors.FormatShape(yshape[:]))
		}
		if !tensors.CanBroadcastTo(c.Shape(), yshape[:]) {
			return nil, fmt.Errorf("C %v does not broadcast to %v", c, tensors.FormatShape(yshape[:]))
		}
	}
	switch a.DType() {
	case tensors.Float32:
		return gemmTyped[float32](a, b, c, g, m, k, n, relu, last)
	case tensors.Float64:
		return gemmTyped[float64](a, b, c, g, m, k, n, relu, last)
	}
	return nil, tensors.ErrDType("A", a.DType(), tensors.Float32, tensors.Float64)
}

func gemmTyped[T tensors.Float](a, b, c *tensors.Tensor, g *gemmAttrs, m, k, n int, relu bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	shape := [2]int{m, n}
	out, dst, err := Recycle[T](last, 0, shape[:]) // overwritten: beta is 0 or C is copied in first
	if err != nil {
		return nil, err
	}
	if a32, ok := any(tensors.Data[T](a)).([]float32); ok && g.packed != nil && !g.transA && !g.transB &&
		g.alpha == 1 && g.beta == 1 && c != nil && c.Len() == n && n > 1 && c.Shape()[c.Rank()-1] == n {
		// A bias row (the usual C): added, with the Relu, by the workers
		// to the blocks they computed.
		g.packed.MulBias(m, a32, a.Shape()[1], any(dst).([]float32), n, any(tensors.Data[T](c)).([]float32), relu)
		return out, nil
	}
	if relu {
		defer reluInPlace(out)
	}
	beta := T(g.beta)
	if c == nil || beta == 0 {
		beta = 0
	} else {
		fillBroadcast2D(dst, m, n, tensors.Data[T](c), c.Shape())
	}
	if a32, ok := any(tensors.Data[T](a)).([]float32); ok && g.packed != nil && !g.transA && !g.transB {
		g.packed.Mul(m, float32(g.alpha), a32, a.Shape()[1], float32(beta), any(dst).([]float32), n)
		return out, nil
	}
	kernel.Gemm(g.transA, g.transB, m, n, k, T(g.alpha), tensors.Data[T](a), a.Shape()[1], tensors.Data[T](b), b.Shape()[1], beta, dst, n)
	return out, nil
}

// fillBroadcast2D copies src, whose shape broadcasts unidirectionally to
// m×n (checked by the caller), into the m×n matrix dst.
func fillBroadcast2D[T tensors.Elem](dst []T, m, n int, src []T, shape []int) {
	rows, cols := 1, 1
	switch len(shape) {
	case 1:
		cols = shape[0]
	case 2:
		rows, cols = shape[0], shape[1]
	}
	for i := 0; i < m; i++ {
		row := dst[i*n : (i+1)*n]
		r := 0
		if rows != 1 {
			r = i
		}
		if cols == 1 {
			v := src[r]
			for j := range row {
				row[j] = v
			}
		} else {
			copy(row, src[r*cols:(r+1)*cols])
		}
	}
}

func inferGemm(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	g := readGemmAttrs(n)
	t := tensors.Type{DType: in[0].DType, RankKnown: true, Dims: []tensors.Dim{tensors.UnknownDim, tensors.UnknownDim}}
	if a := in[0]; a.RankKnown && len(a.Dims) == 2 {
		t.Dims[0] = a.Dims[0]
		if g.transA {
			t.Dims[0] = a.Dims[1]
		}
	}
	if b := in[1]; b.RankKnown && len(b.Dims) == 2 {
		t.Dims[1] = b.Dims[1]
		if g.transB {
			t.Dims[1] = b.Dims[0]
		}
	}
	return []tensors.Type{t}, nil
}

// matMul computes numpy.matmul(a, b), writing into last[0] when it can
// (see Recycle); pb, when not nil, is the float32 matrix b packed.
func matMul(a, b *tensors.Tensor, pb *kernel.PackedB, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("A %v and B %v must have one element type", a, b)
	}
	as, bs := a.Shape(), b.Shape()
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("A %v and B %v: MatMul needs at least 1-D operands", a, b)
	}
	// A 1-D A is a 1×K row, a 1-D B a K×1 column.
	m, k := 1, as[len(as)-1]
	if len(as) >= 2 {
		m = as[len(as)-2]
	}
	kb, n := bs[0], 1
	if len(bs) >= 2 {
		kb, n = bs[len(bs)-2], bs[len(bs)-1]
	}
	if k != kb {
		return nil, fmt.Errorf("A %v and B %v have inner dimensions %d and %d", a, b, k, kb)
	}
	if len(as) >= 2 && len(bs) == 2 && (a.DType() == tensors.Float32 || a.DType() == tensors.Float64) && len(as) <= 8 {
		// The common case, a stack of matrices times one matrix: one tall
		// product, no broadcasting.
		var sb [8]int
		shape := append(append(sb[:0], as[:len(as)-1]...), n)
		if a.DType() == tensors.Float32 {
			return matMulOne[float32](a, b, shape, k, n, pb, last)
		}
		return matMulOne[float64](a, b, shape, k, n, nil, last)
	}
	batchA, batchB := as[:max(len(as)-2, 0)], bs[:max(len(bs)-2, 0)]
	bc, err := tensors.NewBroadcast(batchA, batchB)
	if err != nil {
		return nil, fmt.Errorf("A %v and B %v: batch axes: %w", a, b, err)
	}
	shape := append([]int{}, bc.Shape()...)
	if len(as) >= 2 {
		shape = append(shape, m)
	}
	if len(bs) >= 2 {
		shape = append(shape, n)
	}
	mm := matmulDims{m: m, k: k, n: n, bc: bc, bBatch: 1}
	for _, d := range batchB {
		mm.bBatch *= d
	}
	if f, ok := matMulFloatFor[a.DType()]; ok {
		return f(a, b, shape, &mm)
	}
	if f, ok := matMulIntFor[a.DType()]; ok && a.DType().Size() >= 4 { // int32, int64, uint32, uint64
		return f(a, b, shape, &mm)
	}
	return nil, tensors.ErrDType("A", a.DType(), tensors.Float32, tensors.Float64, tensors.Int32, tensors.Int64, tensors.Uint32, tensors.Uint64)
}

// matMulFloat and matMulInt are MatMul for element type T.
//
//dtypes:float
func matMulFloat[T tensors.Float](a, b *tensors.Tensor, shape []int, mm *matmulDims) (*tensors.Tensor, error) {
	return matMulTyped(a, b, shape, mm, gemmFloat[T])
}

//dtypes:integer
func matMulInt[T tensors.Integer](a, b *tensors.Tensor, shape []int, mm *matmulDims) (*tensors.Tensor, error) {
	return matMulTyped(a, b, shape, mm, gemmInt[T])
}

// matMulPackedBias computes a (float32, …×K) times the constant float32
// K×N matrix packed as pb, plus the vector bias along the last axis, then with
// relu max(·, 0), in one pass of the packed product (PackedB.MulBias):
// the common case of a MatMul fused with its Add and Relu. ok is false,
// with nothing done, for other operands (matMul and addRowBias serve
// them).
func matMulPackedBias(a *tensors.Tensor, pb *kernel.PackedB, bias *tensors.Tensor, relu bool, last []*tensors.Tensor) (*tensors.Tensor, bool, error) {
	as := a.Shape()
	k, n := pb.Dims()
	if a.DType() != tensors.Float32 || bias.DType() != tensors.Float32 || bias.Len() != n || len(as) < 2 || len(as) > 8 || as[len(as)-1] != k {
		return nil, false, nil
	}
	var sb [8]int
	out, dst, err := Recycle[float32](last, 0, append(append(sb[:0], as[:len(as)-1]...), n))
	if err != nil || len(dst) == 0 {
		return out, true, err
	}
	pb.MulBias(len(dst)/n, tensors.Data[float32](a), max(k, 1), dst, n, tensors.Data[float32](bias), relu)
	return out, true, nil
}

// matMulOne computes a (…×K) times the K×N matrix b into a tensor of the
// given shape, with b's packed copy pb when it is not nil (float32).
func matMulOne[T tensors.Float](a, b *tensors.Tensor, shape []int, k, n int, pb *kernel.PackedB, last []*tensors.Tensor) (*tensors.Tensor, error) {
	out, dst, err := Recycle[T](last, 0, shape) // overwritten: beta is 0
	if err != nil || len(dst) == 0 {
		return out, err
	}
	if pb != nil {
		pb.Mul(len(dst)/n, 1, any(tensors.Data[T](a)).([]float32), max(k, 1), 0, any(dst).([]float32), n)
		return out, nil
	}
	gemmFloat(len(dst)/n, n, k, tensors.Data[T](a), tensors.Data[T](b), dst)
	return out, nil
}

type matmulDims struct {
	m, k, n int
	bc      *tensors.Broadcast // over the batch axes
	bBatch  int                // number of matrices in B
}

// gemmFloat computes the m×n product c = a·b of row-major matrices.
func gemmFloat[T tensors.Float](m, n, k int, a, b, c []T) {
	kernel.Gemm(false, false, m, n, k, 1, a, max(k, 1), b, max(n, 1), 0, c, max(n, 1))
}

// gemmInt is gemmFloat for integers (wrapping on overflow, as in C).
func gemmInt[T tensors.Integer](m, n, k int, a, b, c []T) {
	for i := 0; i < m; i++ {
		row := c[i*n : (i+1)*n]
		clear(row)
		for p := 0; p < k; p++ {
			av := a[i*k+p]
			if av == 0 {
				continue
			}
			for j, bv := range b[p*n : (p+1)*n] {
				row[j] += av * bv
			}
		}
	}
}

func matMulTyped[T tensors.Numeric](a, b *tensors.Tensor, shape []int, d *matmulDims, mul func(m, n, k int, a, b, c []T)) (*tensors.Tensor, error) {
	out, dst, err := tensors.Make[T](shape)
	if err != nil {
		return nil, err
	}
	if len(dst) == 0 {
		return out, nil
	}
	ad, bd := tensors.Data[T](a), tensors.Data[T](b)
	m, k, n := d.m, d.k, d.n
	if d.bBatch == 1 {
		// One B for every matrix of A: the batch of A is one tall matrix.
		mul(len(dst)/n, n, k, ad, bd, dst)
		return out, nil
	}
	d.bc.Runs(func(o int, in []int, cnt int, step []int) {
		for j := 0; j < cnt; j++ {
			ia, ib, io := in[0]+j*step[0], in[1]+j*step[1], o+j
			mul(m, n, k, ad[ia*m*k:(ia+1)*m*k], bd[ib*k*n:(ib+1)*k*n], dst[io*m*n:(io+1)*m*n])
		}
	})
	return out, nil
}

func inferMatMul(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	a, b := in[0], in[1]
	t := tensors.Type{DType: a.DType}
	if !a.RankKnown || !b.RankKnown || len(a.Dims) == 0 || len(b.Dims) == 0 {
		return []tensors.Type{t}, nil
	}
	ka, kb := a.Dims[len(a.Dims)-1], b.Dims[0]
	if len(b.Dims) >= 2 {
		kb = b.Dims[len(b.Dims)-2]
	}
	if ka.Known() && kb.Known() && ka.Size != kb.Size {
		return nil, fmt.Errorf("A %v and B %v have inner dimensions %d and %d", a, b, ka.Size, kb.Size)
	}
	batch := func(x tensors.Type) tensors.Type {
		return tensors.Type{DType: x.DType, RankKnown: true, Dims: x.Dims[:max(len(x.Dims)-2, 0)]}
	}
	bt, err := InferBroadcast(tensors.Undefined)(&Node{Inputs: []string{"a", "b"}}, []tensors.Type{batch(a), batch(b)})
	if err != nil {
		return nil, err
	}
	t.RankKnown = true
	t.Dims = append([]tensors.Dim{}, bt[0].Dims...)
	if len(a.Dims) >= 2 {
		t.Dims = append(t.Dims, a.Dims[len(a.Dims)-2])
	}
	if len(b.Dims) >= 2 {
		t.Dims = append(t.Dims, b.Dims[len(b.Dims)-1])
	}
	return []tensors.Type{t}, nil
}
