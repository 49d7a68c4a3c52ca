package ops

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Integer and quantized linear algebra: MatMulInteger, ConvInteger,
// QLinearMatMul and QLinearConv. 8-bit operands (int8 or uint8) have their
// zero points subtracted into int16, products are summed exactly in int32
// (kernel.GemmS16), and the quantized operators requantize each sum as
// onnxruntime does: multiplied in float32 by x_scale·w_scale/y_scale,
// rounded half to even, plus y_zero_point, saturated.

func init() {
	Register(Op{Type: "MatMulInteger", Since: []int{10}, Prepare: prepareMatMulInteger,
		Infer: inferAs(tensors.Int32, inferMatMul)})
	Register(Op{Type: "QLinearMatMul", Since: []int{10}, Prepare: prepareQLinearMatMul,
		Infer: inferQLinear(0, 3, 7, inferMatMul)})
	Register(Op{Type: "ConvInteger", Since: []int{10}, Prepare: prepareConvInteger,
		Infer: inferAs(tensors.Int32, inferConv)})
	Register(Op{Type: "QLinearConv", Since: []int{10}, Prepare: prepareQLinearConv,
		Infer: inferQLinear(0, 3, 7, inferConv)})
}

// inferAs runs a float operator's Infer and sets the output element type.
func inferAs(dt tensors.DType, f func(*Node, []tensors.Type) ([]tensors.Type, error)) func(*Node, []tensors.Type) ([]tensors.Type, error) {
	return func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
		out, err := f(n, in)
		if err != nil || len(out) == 0 {
			return out, err
		}
		out[0].DType = dt
		return out, nil
	}
}

// inferQLinear infers a quantized operator's output from the float
// operator's Infer on inputs ia and ib; the element type is y_zero_point's
// (input zpY).
func inferQLinear(ia, ib, zpY int, f func(*Node, []tensors.Type) ([]tensors.Type, error)) func(*Node, []tensors.Type) ([]tensors.Type, error) {
	return func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
		out, err := f(n, []tensors.Type{in[ia], in[ib]})
		if err != nil || len(out) == 0 {
			return out, err
		}
		out[0].DType = in[zpY].DType
		return out, nil
	}
}

// q8 checks that t (named what) holds int8 or uint8.
func q8(what string, t *tensors.Tensor) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	if t.DType() != tensors.Int8 && t.DType() != tensors.Uint8 {
		return tensors.ErrDType(what, t.DType(), tensors.Int8, tensors.Uint8)
	}
	return nil
}

// zeroPoints reads an optional zero point of the 8-bit tensor x (named
// what): nil is 0; a scalar (or one-element tensor) applies to all of x,
// otherwise it must have n entries (one per channel). Its type must be x's.
func zeroPoints(what string, x, zp *tensors.Tensor, n int) ([]int32, error) {
	if zp == nil {
		return []int32{0}, nil
	}
	if zp.DType() != x.DType() {
		return nil, fmt.Errorf("%s zero point %v must have the element type of %v", what, zp, x)
	}
	if zp.Rank() > 1 && zp.Len() != 1 || zp.Len() != 1 && zp.Len() != n {
		return nil, fmt.Errorf("%s zero point %v: want a scalar or %d values, one per channel", what, zp, n)
	}
	v, err := tensors.AsInt64s(zp)
	if err != nil {
		return nil, fmt.Errorf("%s zero point: %w", what, err)
	}
	out := make([]int32, len(v))
	for i, z := range v {
		out[i] = int32(z)
	}
	return out, nil
}

// scales reads a float32 scale (named what): a scalar, or n values when
// perChannel is set. Scales must be finite and non-zero.
func scales(what string, s *tensors.Tensor, n int, perChannel bool) ([]float32, error) {
	if s == nil {
		return nil, fmt.Errorf("%s scale is missing", what)
	}
	if s.DType() != tensors.Float32 {
		return nil, tensors.ErrDType(what+" scale", s.DType(), tensors.Float32)
	}
	v := tensors.Data[float32](s)
	switch {
	case s.Rank() > 1 && s.Len() != 1, s.Len() == 0:
		return nil, fmt.Errorf("%s scale %v: want a scalar", what, s)
	case s.Len() != 1 && (!perChannel || s.Len() != n):
		if perChannel {
			return nil, fmt.Errorf("%s scale %v: want a scalar or %d values, one per channel", what, s, n)
		}
		return nil, fmt.Errorf("%s scale %v: want a scalar", what, s)
	}
	for i, x := range v {
		if x == 0 || math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%s scale[%d] = %g: a scale must be finite and non-zero", what, i, x)
		}
	}
	return v, nil
}

// widenQ returns x - zp as int16, zp indexed per channel: x is outer
// blocks of ch channels of inner elements (zp has 1 or ch entries).
//
//dtypes:quant8
func widenQ[T int8 | uint8](x *tensors.Tensor, zp []int32, outer, ch, inner int) ([]int16, error) {
	if _, err := tensors.CheckSize(tensors.Int16, x.Shape()); err != nil {
		return nil, err
	}
	src := tensors.Data[T](x)
	out := make([]int16, len(src))
	i := 0
	for o := 0; o < outer; o++ {
		for c := 0; c < ch; c++ {
			z := zp[0]
			if len(zp) > 1 {
				z = zp[c]
			}
			for range inner {
				out[i] = int16(int32(src[i]) - z)
				i++
			}
		}
	}
	return out, nil
}

// widen8 is widenQ dispatched on x's type.
func widen8(x *tensors.Tensor, zp []int32, outer, ch, inner int) ([]int16, error) {
	return widenQFor[x.DType()](x, zp, outer, ch, inner)
}

// requantize writes saturate(round_half_even(float32(acc)·mult[c]) + zp)
// for acc laid out as outer blocks of ch channels of inner sums (mult
// has 1 or ch entries), as onnxruntime's MlasRequantizeOutput.
//
//dtypes:quant8
func requantize[T int8 | uint8](acc []int32, shape []int, mult []float32, zp int32, outer, ch, inner int, last []*tensors.Tensor) (*tensors.Tensor, error) {
	out, dst, err := Recycle[T](last, 0, shape)
	if err != nil {
		return nil, err
	}
	lo, hi := qRange[T]()
	// int8 results are written as their bytes.
	var d8 []uint8
	if len(dst) > 0 {
		d8 = unsafe.Slice((*uint8)(unsafe.Pointer(&dst[0])), len(dst))
	}
	if len(mult) == 1 { // one multiplier: any split of the sums will do
		inner = 4096
		outer, ch = (len(acc)+inner-1)/inner, 1
	}
	kernel.ParallelFor(outer*ch, len(acc), func(lo8, hi8 int) {
		for row := lo8; row < hi8; row++ {
			m := mult[0]
			if len(mult) > 1 {
				m = mult[row%ch]
			}
			end := min((row+1)*inner, len(acc))
			kernel.Requantize8(acc[row*inner:end], m, zp, int32(lo), int32(hi), d8[row*inner:end])
		}
	})
	return out, nil
}

// multipliers returns xs·ws[c]/ys in float32, per channel of ws.
func multipliers(xs, ws, ys []float32) []float32 {
	out := make([]float32, len(ws))
	for i, w := range ws {
		out[i] = xs[0] * w / ys[0]
	}
	return out
}

// matMulS16 multiplies a (…×M×K, or K) by b (…×K×N, or K) with MatMul's
// broadcasting, returning int32 sums and the output shape.
func matMulS16(a []int16, as []int, b []int16, bs []int) ([]int32, []int, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, nil, fmt.Errorf("A %v and B %v: need at least 1-D operands", tensors.FormatShape(as), tensors.FormatShape(bs))
	}
	m, k := 1, as[len(as)-1]
	if len(as) >= 2 {
		m = as[len(as)-2]
	}
	kb, n := bs[0], 1
	if len(bs) >= 2 {
		kb, n = bs[len(bs)-2], bs[len(bs)-1]
	}
	if k != kb {
		return nil, nil, fmt.Errorf("A %v and B %v have inner dimensions %d and %d", tensors.FormatShape(as), tensors.FormatShape(bs), k, kb)
	}
	batchA, batchB := as[:max(len(as)-2, 0)], bs[:max(len(bs)-2, 0)]
	bc, err := tensors.NewBroadcast(batchA, batchB)
	if err != nil {
		return nil, nil, fmt.Errorf("batch axes: %w", err)
	}
	shape := append([]int{}, bc.Shape()...)
	if len(as) >= 2 {
		shape = append(shape, m)
	}
	if len(bs) >= 2 {
		shape = append(shape, n)
	}
	size, err := tensors.CheckSize(tensors.Int32, shape)
	if err != nil {
		return nil, nil, err
	}
	acc := make([]int32, size)
	if size == 0 {
		return acc, shape, nil
	}
	if k == 0 {
		return acc, shape, nil
	}
	bBatch := 1
	for _, d := range batchB {
		bBatch *= d
	}
	if bBatch == 1 {
		kernel.GemmS16(len(acc)/n, n, k, a, b, acc)
		return acc, shape, nil
	}
	bc.Runs(func(o int, in []int, cnt int, step []int) {
		for j := 0; j < cnt; j++ {
			ia, ib, io := in[0]+j*step[0], in[1]+j*step[1], o+j
			kernel.GemmS16(m, n, k, a[ia*m*k:(ia+1)*m*k], b[ib*k*n:(ib+1)*k*n], acc[io*m*n:(io+1)*m*n])
		}
	})
	return acc, shape, nil
}

// lastDim returns the size of t's last axis (1 for a scalar).
func lastDim(t *tensors.Tensor) int {
	if t.Rank() == 0 {
		return 1
	}
	return t.Shape()[t.Rank()-1]
}

// rowsOf returns how many rows (M) a matrix operand of MatMul has.
func rowsOf(t *tensors.Tensor) int {
	if t.Rank() < 2 {
		return 1
	}
	return t.Shape()[t.Rank()-2]
}

// widenMatMul widens A (zero point per tensor or per row) and B (per
// tensor or per column) of an integer MatMul.
func widenMatMul(a, azp, b, bzp *tensors.Tensor) ([]int16, []int16, error) {
	if err := q8("A", a); err != nil {
		return nil, nil, err
	}
	if err := q8("B", b); err != nil {
		return nil, nil, err
	}
	m, k, n := rowsOf(a), lastDim(a), lastDim(b)
	if b.Rank() < 2 {
		n = 1
	}
	za, err := zeroPoints("A", a, azp, m)
	if err != nil {
		return nil, nil, err
	}
	zb, err := zeroPoints("B", b, bzp, n)
	if err != nil {
		return nil, nil, err
	}
	a16, err := widen8(a, za, max(a.Len()/max(m*k, 1), 1), m, k)
	if err != nil {
		return nil, nil, err
	}
	b16, err := widen8(b, zb, max(b.Len()/max(n, 1), 1), n, 1)
	if err != nil {
		return nil, nil, err
	}
	return a16, b16, nil
}

func prepareMatMulInteger(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		a16, b16, err := widenMatMul(in[0], Input(in, 2), in[1], Input(in, 3))
		if err != nil {
			return nil, err
		}
		acc, shape, err := matMulS16(a16, in[0].Shape(), b16, in[1].Shape())
		if err != nil {
			return nil, err
		}
		y, err := tensors.New(shape, acc)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareQLinearMatMul(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		a, b, yzp := in[0], in[3], in[7]
		if err := q8("y zero point", yzp); err != nil {
			return nil, err
		}
		if yzp.Len() != 1 {
			return nil, fmt.Errorf("y zero point %v: want a scalar", yzp)
		}
		as, err := scales("a", in[1], 0, false)
		if err != nil {
			return nil, err
		}
		if in[2] != nil && in[2].Len() != 1 {
			return nil, fmt.Errorf("a zero point %v: want a scalar", in[2])
		}
		bs, err := scales("b", in[4], lastDim(b), true)
		if err != nil {
			return nil, err
		}
		ys, err := scales("y", in[6], 0, false)
		if err != nil {
			return nil, err
		}
		a16, b16, err := widenMatMul(a, in[2], b, in[5])
		if err != nil {
			return nil, err
		}
		acc, shape, err := matMulS16(a16, a.Shape(), b16, b.Shape())
		if err != nil {
			return nil, err
		}
		zy, _ := tensors.AsInt64s(yzp)
		nn := 1
		if len(shape) > 0 && b.Rank() >= 2 {
			nn = shape[len(shape)-1]
		}
		y, err := requantizeFor[yzp.DType()](acc, shape, multipliers(as, bs, ys), int32(zy[0]), len(acc)/max(nn, 1), nn, 1, nil)
		return []*tensors.Tensor{y}, err
	}, nil
}

// qconv is what a ConvInteger or QLinearConv node computes with: the
// window geometry and, when W and its zero point are constants, W widened
// once at load time.
type qconv struct {
	spec   windowSpec
	group  int
	w16    []int16              // nil: widen at run time
	wpack  []*kernel.PackedS16  // per group, packed from w16 with wshape
	w8     []*kernel.PackedU8S8 // per group, when W is int8 with zero point 0 and the CPU has the 8-bit kernel
	w8raw  []int8               // W's values when w8 is set
	w32    []int32              // and as int32, for depthwise convolutions
	w32sum []int32              // Σ of each output channel's weights
	wshape []int
}

func prepareQConv(n *Node, wIn, wzpIn int) (*qconv, error) {
	spec, err := readWindowSpec(n, convOpts)
	if err != nil {
		return nil, err
	}
	group := n.Attrs.Int("group", 1)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if group < 1 || group > maxWindowAttr {
		return nil, fmt.Errorf("attribute \"group\": %d is not a positive group count", group)
	}
	q := &qconv{spec: spec, group: group}
	if w := n.Const(wIn); w != nil && (!n.HasInput(wzpIn) || n.Const(wzpIn) != nil) {
		if w16, err := widenWeights(w, n.Const(wzpIn)); err == nil && w.Shape()[0]%group == 0 {
			q.w16, q.wshape = w16, w.Shape()
			q.wpack = packWeights(w16, w.Shape(), group)
			if kernel.U8S8VNNI() && w.DType() == tensors.Int8 && zeroPointsZero(n.Const(wzpIn)) {
				q.w8raw = tensors.Data[int8](w)
				q.w8 = packWeights8(q.w8raw, w.Shape(), group)
				m := w.Shape()[0]
				q.w32, q.w32sum = make([]int32, len(q.w8raw)), make([]int32, m)
				for i, v := range q.w8raw {
					q.w32[i] = int32(v)
					q.w32sum[i/(len(q.w8raw)/m)] += int32(v)
				}
			}
		}
	}
	return q, nil
}

// packWeights packs each group's M/group × C/group·∏K weight matrix.
func packWeights(w16 []int16, ws []int, group int) []*kernel.PackedS16 {
	m := ws[0]
	mg, kk := m/group, len(w16)/max(m, 1)
	out := make([]*kernel.PackedS16, group)
	for gr := range out {
		out[gr] = kernel.PackS16(mg, kk, w16[gr*mg*kk:(gr+1)*mg*kk])
	}
	return out
}

// packWeights8 packs each group's M/group × C/group·∏K int8 weight matrix
// for the 8-bit GEMM.
func packWeights8(w []int8, ws []int, group int) []*kernel.PackedU8S8 {
	m := ws[0]
	mg, kk := m/group, len(w)/max(m, 1)
	out := make([]*kernel.PackedU8S8, group)
	for gr := range out {
		out[gr] = kernel.PackU8S8(mg, kk, w[gr*mg*kk:(gr+1)*mg*kk])
	}
	return out
}

// zeroPointsZero reports whether a constant zero point is absent or all 0.
func zeroPointsZero(zp *tensors.Tensor) bool {
	if zp == nil {
		return true
	}
	v, err := tensors.AsInt64s(zp)
	if err != nil {
		return false
	}
	for _, z := range v {
		if z != 0 {
			return false
		}
	}
	return true
}

// widenWeights returns W - zero point (one per tensor or per output
// channel) as int16.
func widenWeights(w, wzp *tensors.Tensor) ([]int16, error) {
	if err := q8("W", w); err != nil {
		return nil, err
	}
	if w.Rank() < 3 {
		return nil, fmt.Errorf("W %v: want M×C/group×K1×…", w)
	}
	m := w.Shape()[0]
	zw, err := zeroPoints("W", w, wzp, m)
	if err != nil {
		return nil, err
	}
	return widen8(w, zw, 1, m, w.Len()/max(m, 1))
}

// run computes the int32 sums of the convolution of x (with zero point
// xzp) by w (wzp), plus bias when given, in scratch space that the caller
// may give back with kernel.PutScratchInt32.
func (q *qconv) run(x, xzp, w, wzp, bias *tensors.Tensor) ([]int32, []int, error) {
	if err := q8("X", x); err != nil {
		return nil, nil, err
	}
	if err := q8("W", w); err != nil {
		return nil, nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if err := q.spec.checkRank(len(xs)); err != nil {
		return nil, nil, fmt.Errorf("X %v: %w", x, err)
	}
	if len(ws) != len(xs) {
		return nil, nil, fmt.Errorf("W %v does not have the rank of X %v", w, x)
	}
	c, m, group := xs[1], ws[0], q.group
	if ws[1]*group != c || m%group != 0 {
		return nil, nil, fmt.Errorf("W %v and X %v do not fit group %d", w, x, group)
	}
	if q.spec.kernel != nil && !tensors.SameShape(q.spec.kernel, ws[2:]) {
		return nil, nil, fmt.Errorf("kernel_shape %v does not match W %v", q.spec.kernel, w)
	}
	if bias != nil && (bias.DType() != tensors.Int32 || bias.Rank() != 1 || bias.Shape()[0] != m) {
		return nil, nil, fmt.Errorf("B %v must be an int32 vector of the %d output channels", bias, m)
	}
	g, err := q.spec.resolve(xs[2:], ws[2:])
	if err != nil {
		return nil, nil, err
	}
	zx, err := zeroPoints("X", x, xzp, 1)
	if err != nil {
		return nil, nil, err
	}
	// The 8-bit kernel reads uint8 activations as they are.
	fast := q.w8 != nil && tensors.SameShape(q.wshape, ws) && x.DType() == tensors.Uint8
	wpack := q.wpack
	if !fast && (wpack == nil || !tensors.SameShape(q.wshape, ws)) {
		w16, err := widenWeights(w, wzp)
		if err != nil {
			return nil, nil, err
		}
		wpack = packWeights(w16, ws, group)
	}
	shape := g.outShape(nil, xs[0], m)
	size, err := tensors.CheckSize(tensors.Int32, shape)
	if err != nil {
		return nil, nil, err
	}
	cg, mg := c/group, m/group
	kprod, p := 1, 1
	for _, k := range g.kernel {
		kprod *= k
	}
	for _, o := range g.out {
		p *= o
	}
	var wb [8]int
	work := append(append(wb[:0], cg*kprod), p)
	if _, err := tensors.CheckSize(tensors.Int16, work); err != nil {
		return nil, nil, fmt.Errorf("convolution workspace: %w", err)
	}
	accp := kernel.ScratchInt32(size)
	acc := *accp
	if size == 0 {
		return acc, shape, nil
	}
	plane := 1
	for _, d := range xs[2:] {
		plane *= d
	}
	// A 1×1 kernel with unit strides and no padding reads the input as is.
	direct := kprod == 1 && p == plane
	for i := range g.strides {
		direct = direct && g.strides[i] == 1 && g.padBegin[i] == 0
	}
	var bv []int32
	if bias != nil {
		bv = tensors.Data[int32](bias)
	}
	if fast {
		q.run8(tensors.Data[uint8](x), zx[0], xs, g, direct, cg*kprod, p, bv, acc)
		return acc, shape, nil
	}
	x16, err := widen8(x, zx, 1, 1, x.Len())
	if err != nil {
		return nil, nil, err
	}
	var colp *[]int16
	if !direct {
		colp = kernel.ScratchInt16(cg * kprod * p)
		defer kernel.PutScratchInt16(colp)
	}
	for img := 0; img < xs[0]; img++ {
		for gr := 0; gr < group; gr++ {
			src := x16[(img*c+gr*cg)*plane : (img*c+(gr+1)*cg)*plane]
			col := src
			if !direct {
				col = *colp
				im2col(src, cg, xs[2:], g, col, 0)
			}
			dst := acc[(img*m+gr*mg)*p : (img*m+(gr+1)*mg)*p]
			kernel.GemmS16Packed(wpack[gr], p, col, dst)
		}
	}
	if bv != nil {
		for blk := 0; blk < len(acc)/p; blk++ {
			b := bv[blk%m]
			for i := range acc[blk*p : (blk+1)*p] {
				acc[blk*p+i] += b
			}
		}
	}
	return acc, shape, nil
}

// run8 is run's path for uint8 activations x (zero point zx) and int8
// weights packed in q.w8: im2col of the bytes (padding reads zx), the
// 8-bit GEMM with the bias added, into acc. kk and p are the rows and
// columns of the im2col matrix.
func (q *qconv) run8(x []uint8, zx int32, xs []int, g *windowGeom, direct bool, kk, p int, bias []int32, acc []int32) {
	c, group := xs[1], q.group
	m := q.wshape[0]
	cg, mg := c/group, m/group
	plane := len(x) / max(xs[0]*c, 1)
	if cg == 1 && mg == 1 && len(xs) == 4 && q.depthwise8(x, zx, xs, g, kk, p, bias, acc) {
		return
	}
	var colp *[]uint8
	if !direct {
		colp = kernel.ScratchUint8(kk * p)
		defer kernel.PutScratchUint8(colp)
	}
	for img := 0; img < xs[0]; img++ {
		for gr := 0; gr < group; gr++ {
			src := x[(img*c+gr*cg)*plane : (img*c+(gr+1)*cg)*plane]
			col := src
			if !direct {
				col = *colp
				im2col(src, cg, xs[2:], g, col, uint8(zx))
			}
			var b []int32
			if bias != nil {
				b = bias[gr*mg : (gr+1)*mg]
			}
			kernel.GemmU8S8Packed(q.w8[gr], p, col, zx, b, acc[(img*m+gr*mg)*p:(img*m+(gr+1)*mg)*p])
		}
	}
}

// depthwise8 is run8 for a 2-D convolution whose every group is one
// input and one output channel: each channel's plane is copied into a
// padded plane (padding reading zx), which kernel.DepthwiseU8 convolves;
// the bias less zx·Σw starts the sums. Channels run in parallel. It
// reports false, computing nothing, when the padded plane would be much
// larger than the input and output planes (large dilations, strides or
// pads), which the GEMM path then handles.
func (q *qconv) depthwise8(x []uint8, zx int32, xs []int, g *windowGeom, kk, p int, bias []int32, acc []int32) bool {
	c := xs[1]
	h, wd := xs[2], xs[3]
	oh, ow := g.out[0], g.out[1]
	kh, kw := g.kernel[0], g.kernel[1]
	// The padded plane covers what the output reads, from the top left
	// corner of the padding.
	ph := (oh-1)*g.strides[0] + (kh-1)*g.dilations[0] + 1
	pw := (ow-1)*g.strides[1] + (kw-1)*g.dilations[1] + 1
	top, left := g.padBegin[0], g.padBegin[1]
	if int64(ph)*int64(pw) > 4*int64(h+2)*int64(wd+2)+int64(p) {
		return false
	}
	kernel.ParallelFor(xs[0]*c, xs[0]*c*p*kk, func(lo, hi int) {
		pp := kernel.ScratchUint8(ph*pw + 64) // slack the vector kernel may read
		defer kernel.PutScratchUint8(pp)
		pad := *pp
		for ic := lo; ic < hi; ic++ {
			ch := ic % c
			src := x[ic*h*wd : (ic+1)*h*wd]
			for r := 0; r < ph; r++ {
				d := pad[r*pw : (r+1)*pw]
				iy := r - top
				if iy < 0 || iy >= h {
					fill(d, uint8(zx))
					continue
				}
				row := src[iy*wd : (iy+1)*wd]
				x0, x1 := min(max(left, 0), pw), min(max(left+wd, 0), pw) // d[x0:x1] is inside the row
				fill(d[:x0], uint8(zx))
				if x0 < x1 {
					copy(d[x0:x1], row[x0-left:])
				}
				fill(d[max(x1, x0):], uint8(zx))
			}
			w := q.w32[ch*kk : (ch+1)*kk]
			off := -zx * q.w32sum[ch]
			if bias != nil {
				off += bias[ch]
			}
			kernel.DepthwiseU8(acc[ic*p:(ic+1)*p], oh, ow, pad, pw, w, kh, kw, g.dilations[0], g.dilations[1], g.strides[0], g.strides[1], off)
		}
	})
	return true
}

// im2col lays the receptive fields of x (c channels of spatial shape in)
// out as a (c·∏kernel)×(∏out) matrix; padding reads pad (the value of
// real 0).
func im2col[T int16 | uint8](x []T, c int, in []int, g *windowGeom, col []T, pad T) {
	r := len(in)
	kprod, p, plane := 1, 1, 1
	for i := 0; i < r; i++ {
		kprod *= g.kernel[i]
		p *= g.out[i]
		plane *= in[i]
	}
	kidx := make([]int, r)
	oidx := make([]int, r)
	row := 0
	for ch := 0; ch < c; ch++ {
		xc := x[ch*plane : (ch+1)*plane]
		clear(kidx)
		for kk := 0; kk < kprod; kk++ {
			dst := col[row*p : (row+1)*p]
			row++
			if r == 2 {
				im2colRow2D(dst, xc, in, g, kidx[0], kidx[1], pad)
			} else {
				clear(oidx)
				for i := 0; i < p; i++ {
					off, ok := 0, true
					for a := 0; a < r; a++ {
						v := oidx[a]*g.strides[a] - g.padBegin[a] + kidx[a]*g.dilations[a]
						if v < 0 || v >= in[a] {
							ok = false
							break
						}
						off = off*in[a] + v
					}
					if ok {
						dst[i] = xc[off]
					} else {
						dst[i] = pad
					}
					for a := r - 1; a >= 0; a-- {
						if oidx[a]++; oidx[a] < g.out[a] {
							break
						}
						oidx[a] = 0
					}
				}
			}
			for a := r - 1; a >= 0; a-- {
				if kidx[a]++; kidx[a] < g.kernel[a] {
					break
				}
				kidx[a] = 0
			}
		}
	}
}

// im2colRow2D writes the row of a 2-D im2col matrix for kernel offset
// (ky, kx) of one channel xc: rows of the output that read outside the
// input (padding) are pad, the rest are copied.
func im2colRow2D[T int16 | uint8](dst, xc []T, in []int, g *windowGeom, ky, kx int, pad T) {
	h, w := in[0], in[1]
	oh, ow := g.out[0], g.out[1]
	sh, sw := g.strides[0], g.strides[1]
	xoff := kx*g.dilations[1] - g.padBegin[1]
	lo := 0
	if xoff < 0 {
		lo = (-xoff + sw - 1) / sw
	}
	hi := 0
	if w-xoff > 0 {
		hi = min(ow, (w-xoff+sw-1)/sw)
	}
	for oy := 0; oy < oh; oy++ {
		d := dst[oy*ow : (oy+1)*ow]
		iy := oy*sh - g.padBegin[0] + ky*g.dilations[0]
		if iy < 0 || iy >= h || lo >= hi {
			fill(d, pad)
			continue
		}
		src := xc[iy*w : (iy+1)*w]
		fill(d[:lo], pad)
		fill(d[hi:], pad)
		if sw == 1 {
			copy(d[lo:hi], src[lo+xoff:hi+xoff])
			continue
		}
		for ox := lo; ox < hi; ox++ {
			d[ox] = src[ox*sw+xoff]
		}
	}
}

// fill sets every element of d to v.
func fill[T int16 | uint8](d []T, v T) {
	if v == 0 {
		clear(d)
		return
	}
	for i := range d {
		d[i] = v
	}
}

func prepareConvInteger(n *Node) (Kernel, error) {
	q, err := prepareQConv(n, 1, 3)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		acc, shape, err := q.run(in[0], Input(in, 2), in[1], Input(in, 3), nil)
		if err != nil {
			return nil, err
		}
		y, err := tensors.New(shape, acc)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareQLinearConv(n *Node) (Kernel, error) {
	q, err := prepareQConv(n, 3, 5)
	if err != nil {
		return nil, err
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, w, yzp := in[0], in[3], in[7]
		if err := q8("y zero point", yzp); err != nil {
			return nil, err
		}
		if yzp.Len() != 1 {
			return nil, fmt.Errorf("y zero point %v: want a scalar", yzp)
		}
		if w == nil || w.Rank() < 1 {
			return nil, fmt.Errorf("W %v: want M×C/group×K1×…", w)
		}
		xsc, err := scales("x", in[1], 0, false)
		if err != nil {
			return nil, err
		}
		wsc, err := scales("w", in[4], w.Shape()[0], true)
		if err != nil {
			return nil, err
		}
		ysc, err := scales("y", in[6], 0, false)
		if err != nil {
			return nil, err
		}
		if in[2] != nil && in[2].Len() != 1 {
			return nil, fmt.Errorf("x zero point %v: want a scalar", in[2])
		}
		acc, shape, err := q.run(x, in[2], w, in[5], Input(in, 8))
		if err != nil {
			return nil, err
		}
		zy, _ := tensors.AsInt64s(yzp)
		m := shape[1]
		y, err := requantizeFor[yzp.DType()](acc, shape, multipliers(xsc, wsc, ysc), int32(zy[0]), shape[0], m, len(acc)/max(shape[0]*m, 1), last)
		kernel.PutScratchInt32(&acc)
		return []*tensors.Tensor{y}, err
	}), nil
}
