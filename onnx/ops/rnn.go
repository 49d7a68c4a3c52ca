package ops

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Recurrent layers: RNN, GRU and LSTM, versions 1 (GRU also 3), 7 and 14.
// The equations are the same in all of them. Version 14 adds layout.
// Version 7 dropped output_sequence, which in the older versions only says
// whether the output Y is required (1) or optional (0): Y is computed
// whenever the node names it, whatever output_sequence says. GRU version 1
// has no linear_before_reset (it computes as linear_before_reset = 0);
// version 3 adds it. GRU version 1's schema spells its default direction
// "foward", which versions before 7 accept as "forward".
//
// Each direction runs in two kinds of matrix product on the packed GEMM of
// package kernel: the input projection X·Wᵀ for every time step and batch
// row at once, then, per time step, one product H(t-1)·Rᵀ of the batch's
// hidden states with the recurrence weights of all gates (GRU without
// linear_before_reset needs a second, (r⊙H(t-1))·Rhᵀ, because its reset
// gate applies before the product). The products accumulate onto the rows
// of the input projection (which start as the biases) where every batch
// row is at the same time step. The gate nonlinearities run between
// products on whole gate blocks, in the element type: Sigmoid and Tanh
// (the defaults) on the vector kernels of package kernel, the other
// activations element by element in float64. Constant float32 W and R are
// transposed and packed once, at load. Each direction has its own working
// memory, so the two directions of a bidirectional layer run side by side
// on the kernel's worker goroutines (kernel.ParallelTasks); a single
// direction's per-step product, when large (hundreds of hidden units),
// is split by columns across them instead.
//
// sequence_lens gives each batch row its own length L: steps t ≥ L leave
// the row's state alone and its Y rows zero, and the reverse direction
// starts at t = L-1. Y_h and Y_c are the states after each row's last step
// (zero for a row of length 0, as onnxruntime has it). clip bounds the
// input of every activation, h(Ct) included.

func init() {
	for _, k := range []rnnKind{rnnSimple, rnnGRU, rnnLSTM} {
		k := k
		Register(Op{
			Type:    k.name(),
			Since:   k.versions(),
			Prepare: func(n *Node) (Kernel, error) { return prepareRNN(n, k) },
			Infer:   inferRNN,
		})
	}
}

type rnnKind int

const (
	rnnSimple rnnKind = iota
	rnnGRU
	rnnLSTM
)

func (k rnnKind) name() string { return [...]string{"RNN", "GRU", "LSTM"}[k] }

// versions are the operator versions implemented.
func (k rnnKind) versions() []int {
	if k == rnnGRU {
		return []int{1, 3, 7, 14}
	}
	return []int{1, 7, 14}
}

// gates is the number of gate blocks stacked in W, R and each half of B.
func (k rnnKind) gates() int { return [...]int{1, 3, 4}[k] }

// defaultActs are the activation functions of one direction when the node
// sets none: f for RNN; f, g for GRU; f, g, h for LSTM.
func (k rnnKind) defaultActs() []string {
	return [...][]string{{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}}[k]
}

// rnnAct is one activation function with its parameters. Sigmoid and
// Tanh (the default activations) run the vector kernels of package kernel
// (rnnApply) and have no f; the others apply f element by element.
type rnnAct struct {
	f    func(float64) float64
	kind rnnActKind
}

// rnnActKind tells rnnApply which kernel computes an activation.
type rnnActKind uint8

const (
	rnnActScalar rnnActKind = iota // f, element by element
	rnnActSigmoid
	rnnActTanh
)

// scalarAct wraps f as an rnnAct applied element by element.
func scalarAct(f func(float64) float64) rnnAct { return rnnAct{f: f} }

// rnnApply applies a to every element of x in place.
func rnnApply[T tensors.Float](a rnnAct, x []T) {
	switch a.kind {
	case rnnActSigmoid:
		kernel.Sigmoid(x, x)
	case rnnActTanh:
		kernel.Tanh(x, x)
	default:
		for i, v := range x {
			x[i] = T(a.f(float64(v)))
		}
	}
}

// rnnSpec is a prepared recurrent node.
type rnnSpec struct {
	kind        rnnKind
	hidden      int // 0: taken from R
	dirs        int
	reverseOnly bool
	layout      int
	clip        float64 // +Inf: no clipping
	inputForget bool
	lbr         bool       // GRU linear_before_reset
	acts        [][]rnnAct // per direction
	wantY       bool
	wantH       bool
	wantC       bool
	// rConst is R when it is known at load time, and rT its transpose
	// (see transposeR), computed once.
	rConst *tensors.Tensor
	rT     any
	// rPack holds, for float32 constant R, each direction's transposed
	// recurrence weights packed once for the per-step products: [0] all
	// the gates the step's first product needs, [1] GRU's candidate block
	// (without linear_before_reset), else nil.
	rPack [][2]*kernel.PackedB
	// wConst is W when it is float32 and known at load time, and wPack
	// each direction's transpose ([input][G·H]) packed once for the input
	// projection.
	wConst *tensors.Tensor
	wPack  []*kernel.PackedB
	// scratch recycles the buffers of a run (*rnnScratch[T]).
	scratchMu sync.Mutex
	scratch   []any
}

// rnnScratch is the working memory of one run, recycled across runs:
// each direction's own (so that directions can run at once), the rows'
// lengths and the run's shared state.
type rnnScratch[T tensors.Float] struct {
	dir    [2]rnnDirScratch[T]
	seqLen []int
	run    rnnRun[T]
}

// rnnDirScratch is the working memory of one direction: the input
// projection (which the gates are computed in), the step's products, the
// states and GRU's reset-gated state and its product.
type rnnDirScratch[T tensors.Float] struct {
	xw, hr, h, c, rh, rhp, add []T
}

// rnnParallelMACs is the number of multiply-adds (input projection and
// recurrence, all steps) of one direction above which the two directions
// of a bidirectional layer run on separate goroutines.
const rnnParallelMACs = 1 << 16

// getScratch returns recycled working memory for a run (give it back
// with putScratch).
func (s *rnnSpec) getScratch() any {
	s.scratchMu.Lock()
	defer s.scratchMu.Unlock()
	if n := len(s.scratch); n > 0 {
		v := s.scratch[n-1]
		s.scratch = s.scratch[:n-1]
		return v
	}
	return nil
}

func (s *rnnSpec) putScratch(v any) {
	s.scratchMu.Lock()
	s.scratch = append(s.scratch, v)
	s.scratchMu.Unlock()
}

// rnnGrow returns buf resized to n, reallocating only when it is too
// small; the contents are not cleared.
func rnnGrow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// rnnActivation returns the named activation (names as in the ONNX
// operator list, case-insensitive) and whether it takes alpha and beta.
func rnnActivation(name string) (mk func(alpha, beta float64) rnnAct, defAlpha, defBeta float64, usesAlpha, usesBeta, ok bool) {
	switch strings.ToLower(name) {
	case "relu":
		return func(_, _ float64) rnnAct { return scalarAct(func(x float64) float64 { return math.Max(x, 0) }) }, 0, 0, false, false, true
	case "tanh":
		return func(_, _ float64) rnnAct { return rnnAct{kind: rnnActTanh} }, 0, 0, false, false, true
	case "sigmoid":
		return func(_, _ float64) rnnAct { return rnnAct{kind: rnnActSigmoid} }, 0, 0, false, false, true
	case "affine":
		return func(a, b float64) rnnAct { return scalarAct(func(x float64) float64 { return a*x + b }) }, 1, 0, true, true, true
	case "leakyrelu":
		return func(a, _ float64) rnnAct {
			return scalarAct(func(x float64) float64 {
				if x < 0 {
					return a * x
				}
				return x
			})
		}, 0.01, 0, true, false, true
	case "thresholdedrelu": // x >= alpha, as the recurrent operators define it
		return func(a, _ float64) rnnAct {
			return scalarAct(func(x float64) float64 {
				if x >= a {
					return x
				}
				return 0
			})
		}, 1, 0, true, false, true
	case "scaledtanh":
		return func(a, b float64) rnnAct { return scalarAct(func(x float64) float64 { return a * math.Tanh(b*x) }) }, 1, 1, true, true, true
	case "hardsigmoid":
		return func(a, b float64) rnnAct {
			return scalarAct(func(x float64) float64 { return math.Max(0, math.Min(1, a*x+b)) })
		}, 0.2, 0.5, true, true, true
	case "elu":
		return func(a, _ float64) rnnAct {
			return scalarAct(func(x float64) float64 {
				if x >= 0 {
					return x
				}
				return a * math.Expm1(x)
			})
		}, 1, 0, true, false, true
	case "softsign":
		return func(_, _ float64) rnnAct { return scalarAct(func(x float64) float64 { return x / (1 + math.Abs(x)) }) }, 0, 0, false, false, true
	case "softplus":
		return func(_, _ float64) rnnAct {
			return scalarAct(func(x float64) float64 {
				if x > 0 {
					return x + math.Log1p(math.Exp(-x))
				}
				return math.Log1p(math.Exp(x))
			})
		}, 0, 0, false, false, true
	}
	return nil, 0, 0, false, false, false
}

func prepareRNN(n *Node, kind rnnKind) (Kernel, error) {
	a := n.Attrs
	s := &rnnSpec{kind: kind, dirs: 1, clip: math.Inf(1)}
	s.hidden = a.Int("hidden_size", 0)
	directions := []string{"forward", "reverse", "bidirectional"}
	if n.Since < 7 {
		directions = append(directions, "foward") // GRU-1's default, misspelt
		if v := a.Int("output_sequence", 0); v != 0 && v != 1 {
			a.Fail("output_sequence", "value %d is not 0 or 1", v)
		}
	}
	dir := a.Enum("direction", "forward", directions...)
	if dir == "foward" {
		dir = "forward"
	}
	names := a.Strs("activations", nil)
	alphas := a.Floats("activation_alpha", nil)
	betas := a.Floats("activation_beta", nil)
	if a.Has("clip") {
		s.clip = float64(a.Float("clip", 0))
		if !(s.clip > 0) {
			a.Fail("clip", "threshold %v is not positive", s.clip)
		}
	}
	if kind == rnnLSTM {
		s.inputForget = a.Int("input_forget", 0) != 0
	}
	if kind == rnnGRU && n.Since >= 3 {
		s.lbr = a.Int("linear_before_reset", 0) != 0
	}
	if n.Since >= 14 {
		s.layout = a.Int("layout", 0)
		if s.layout != 0 && s.layout != 1 {
			a.Fail("layout", "value %d is not 0 or 1", s.layout)
		}
	}
	if a.Has("hidden_size") && s.hidden <= 0 {
		a.Fail("hidden_size", "value %d is not positive", s.hidden)
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	switch dir {
	case "reverse":
		s.reverseOnly = true
	case "bidirectional":
		s.dirs = 2
	}
	per := len(kind.defaultActs())
	if names == nil {
		for d := 0; d < s.dirs; d++ {
			names = append(names, kind.defaultActs()...)
		}
	}
	if len(names) != per*s.dirs {
		return nil, fmt.Errorf("attribute \"activations\": %d functions given, a %s %s layer needs %d", len(names), dir, kind.name(), per*s.dirs)
	}
	ai, bi := 0, 0
	for d := 0; d < s.dirs; d++ {
		var acts []rnnAct
		for _, name := range names[d*per : (d+1)*per] {
			mk, alpha, beta, ua, ub, ok := rnnActivation(name)
			if !ok {
				return nil, fmt.Errorf("attribute \"activations\": function %q is not supported: %w", name, tensors.ErrUnsupported)
			}
			if ua && ai < len(alphas) {
				alpha = float64(alphas[ai])
				ai++
			}
			if ub && bi < len(betas) {
				beta = float64(betas[bi])
				bi++
			}
			acts = append(acts, mk(alpha, beta))
		}
		s.acts = append(s.acts, acts)
	}
	s.wantY, s.wantH, s.wantC = n.HasOutput(0), n.HasOutput(1), kind == rnnLSTM && n.HasOutput(2)
	if r := n.Const(2); r != nil && r.Rank() == 3 {
		switch r.DType() {
		case tensors.Float32:
			rt := transposeR(tensors.Data[float32](r), r.Shape())
			s.rConst, s.rT = r, rt
			s.rPack = packR(kind, s.lbr, rt, r.Shape())
		case tensors.Float64:
			s.rConst, s.rT = r, transposeR(tensors.Data[float64](r), r.Shape())
		}
	}
	if w := n.Const(1); w != nil && w.Rank() == 3 && w.DType() == tensors.Float32 && w.Shape()[0] == s.dirs {
		shape := w.Shape()
		gh, in := shape[1], shape[2]
		wt := transposeR(tensors.Data[float32](w), shape)
		s.wConst = w
		for d := 0; d < s.dirs; d++ {
			s.wPack = append(s.wPack, kernel.NewPackedB(in, gh, wt[d*gh*in:(d+1)*gh*in], gh))
		}
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		switch x := in[0]; x.DType() {
		case tensors.Float32:
			return runRNN[float32](s, in, last)
		case tensors.Float64:
			return runRNN[float64](s, in, last)
		default:
			return nil, tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
		}
	}), nil
}

// packR packs the transposed recurrence weights rt ([dirs][H][G·H]) of
// each direction for the per-step products of a float32 run.
func packR(kind rnnKind, lbr bool, rt []float32, shape []int) [][2]*kernel.PackedB {
	dirs, gh, h := shape[0], shape[1], shape[2]
	if h == 0 || gh != kind.gates()*h {
		return nil // runRNN rejects the shape
	}
	packs := make([][2]*kernel.PackedB, dirs)
	for d := range packs {
		rd := rt[d*gh*h : (d+1)*gh*h]
		if kind == rnnGRU && !lbr {
			packs[d] = [2]*kernel.PackedB{kernel.NewPackedB(h, 2*h, rd, gh), kernel.NewPackedB(h, h, rd[2*h:], gh)}
		} else {
			packs[d] = [2]*kernel.PackedB{kernel.NewPackedB(h, gh, rd, gh), nil}
		}
	}
	return packs
}

// rnnStep computes c = a·b + beta·c for the m×k matrix a and the k×n
// matrix b (row stride ldb) of a recurrence step into c (row stride ldc),
// with b's packed copy pb when there is one (float32 constant R). A
// product large enough (GRU and LSTM with hundreds of hidden units) is
// split by columns across the worker goroutines, unless the directions
// already run side by side.
func rnnStep[T tensors.Float](pb *kernel.PackedB, m, n, k int, a []T, b []T, ldb int, beta T, c []T, ldc int) {
	if pb != nil {
		pb.Mul(m, 1, any(a).([]float32), k, float32(beta), any(c).([]float32), ldc)
		return
	}
	kernel.Gemm(false, false, m, n, k, 1, a, k, b, ldb, beta, c, ldc)
}

// rnnDims are the sizes of a recurrent layer's run.
type rnnDims struct {
	seq, batch, input, hidden, dirs, gates int
	layout                                 int
}

// stateAt returns the offset of (direction d, batch row b) in a state
// tensor (initial_h, Y_h, ...) of the layout.
func (r rnnDims) stateAt(d, b int) int {
	if r.layout == 1 {
		return (b*r.dirs + d) * r.hidden
	}
	return (d*r.batch + b) * r.hidden
}

// yAt returns the offset of (time t, direction d, batch row b) in Y.
func (r rnnDims) yAt(t, d, b int) int {
	if r.layout == 1 {
		return ((b*r.seq+t)*r.dirs + d) * r.hidden
	}
	return ((t*r.dirs+d)*r.batch + b) * r.hidden
}

// xRow returns the row of X (and of the projection X·Wᵀ) for (t, b).
func (r rnnDims) xRow(t, b int) int {
	if r.layout == 1 {
		return b*r.seq + t
	}
	return t*r.batch + b
}

func checkRNNShape(what string, t *tensors.Tensor, want ...int) error {
	if !tensors.SameShape(t.Shape(), want) {
		return fmt.Errorf("input %s %v must have shape %v", what, t, tensors.FormatShape(want))
	}
	return nil
}

func runRNN[T tensors.Float](s *rnnSpec, in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
	x, w, r := in[0], in[1], in[2]
	bias, lens, h0 := Input(in, 3), Input(in, 4), Input(in, 5)
	c0, peep := Input(in, 6), Input(in, 7)
	if s.kind != rnnLSTM {
		c0, peep = nil, nil
	}
	dt := x.DType()
	for i, t := range []*tensors.Tensor{w, r, bias, h0, c0, peep} {
		if t != nil && t.DType() != dt {
			return nil, fmt.Errorf("input %s is %v, X is %v", [...]string{"W", "R", "B", "initial_h", "initial_c", "P"}[i], t.DType(), dt)
		}
	}
	if x.Rank() != 3 {
		return nil, fmt.Errorf("input X %v must have rank 3", x)
	}
	if w.Rank() != 3 || r.Rank() != 3 {
		return nil, fmt.Errorf("inputs W %v and R %v must have rank 3", w, r)
	}
	var z rnnDims
	z.layout, z.dirs, z.gates = s.layout, s.dirs, s.kind.gates()
	z.seq, z.batch, z.input = x.Shape()[0], x.Shape()[1], x.Shape()[2]
	if s.layout == 1 {
		z.seq, z.batch = z.batch, z.seq
	}
	z.hidden = r.Shape()[2]
	if s.hidden > 0 && s.hidden != z.hidden {
		return nil, fmt.Errorf("input R %v does not match hidden_size %d", r, s.hidden)
	}
	H, G := z.hidden, z.gates
	GH := G * H
	if err := checkRNNShape("W", w, z.dirs, GH, z.input); err != nil {
		return nil, err
	}
	if err := checkRNNShape("R", r, z.dirs, GH, H); err != nil {
		return nil, err
	}
	if bias != nil {
		if err := checkRNNShape("B", bias, z.dirs, 2*GH); err != nil {
			return nil, err
		}
	}
	stateShape := []int{z.dirs, z.batch, H}
	if s.layout == 1 {
		stateShape = []int{z.batch, z.dirs, H}
	}
	if h0 != nil {
		if err := checkRNNShape("initial_h", h0, stateShape...); err != nil {
			return nil, err
		}
	}
	if c0 != nil {
		if err := checkRNNShape("initial_c", c0, stateShape...); err != nil {
			return nil, err
		}
	}
	if peep != nil {
		if err := checkRNNShape("P", peep, z.dirs, 3*H); err != nil {
			return nil, err
		}
	}
	sc, _ := s.getScratch().(*rnnScratch[T])
	if sc == nil {
		sc = new(rnnScratch[T])
	}
	defer s.putScratch(sc)
	sc.seqLen = rnnGrow(sc.seqLen, z.batch)
	seqLen := sc.seqLen
	for b := range seqLen {
		seqLen[b] = z.seq
	}
	if lens != nil {
		v, err := tensors.AsInt64s(lens)
		if err != nil {
			return nil, fmt.Errorf("input sequence_lens: %w", err)
		}
		if len(v) != z.batch || lens.Rank() != 1 {
			return nil, fmt.Errorf("input sequence_lens %v must have shape [%d]", lens, z.batch)
		}
		for b, l := range v {
			if l < 0 || l > int64(z.seq) {
				return nil, fmt.Errorf("input sequence_lens: length %d of batch row %d is outside [0, %d]", l, b, z.seq)
			}
			seqLen[b] = int(l)
		}
	}

	// Outputs and scratch space, all checked against the size limits.
	yShape := []int{z.seq, z.dirs, z.batch, H}
	if s.layout == 1 {
		yShape = []int{z.batch, z.seq, z.dirs, H}
	}
	var yT, hT, cT *tensors.Tensor
	var y, yh, yc []T
	var err error
	if s.wantY {
		if yT, y, err = RecycleZeroed[T](last, 0, yShape); err != nil {
			return nil, fmt.Errorf("output Y: %w", err)
		}
	}
	if hT, yh, err = RecycleZeroed[T](last, 1, stateShape); err != nil {
		return nil, fmt.Errorf("output Y_h: %w", err)
	}
	if s.kind == rnnLSTM {
		if cT, yc, err = RecycleZeroed[T](last, 2, stateShape); err != nil {
			return nil, fmt.Errorf("output Y_c: %w", err)
		}
	}
	if _, err := tensors.CheckSize(dt, []int{z.seq, z.batch, GH}); err != nil {
		return nil, fmt.Errorf("input projection: %w", err)
	}
	if _, err := tensors.CheckSize(dt, []int{4, z.batch, GH}); err != nil {
		return nil, fmt.Errorf("gate scratch: %w", err)
	}
	for d := 0; d < z.dirs; d++ {
		ds := &sc.dir[d]
		ds.xw = rnnGrow(ds.xw, z.seq*z.batch*GH)
		ds.hr = rnnGrow(ds.hr, z.batch*GH)
		ds.h = rnnGrow(ds.h, z.batch*H)
		ds.c = rnnGrow(ds.c, z.batch*H)
		ds.rh = rnnGrow(ds.rh, z.batch*H)   // GRU: r⊙H(t-1)
		ds.rhp = rnnGrow(ds.rhp, z.batch*H) // GRU: (r⊙H(t-1))·Rhᵀ
		ds.add = rnnGrow(ds.add, GH)
	}
	maxLen, uniform := 0, true
	for _, l := range seqLen {
		maxLen = max(maxLen, l)
		uniform = uniform && l == seqLen[0]
	}

	// The recurrence weights transposed, [dirs][H][G*H]: the per-step
	// products then read them untransposed, which lets a single batch row
	// stream them (GEMV) instead of packing them at every step.
	var rd []T
	var packs [][2]*kernel.PackedB
	var wPack []*kernel.PackedB
	if w == s.wConst && s.wConst != nil {
		wPack = s.wPack
	}
	if r == s.rConst {
		rd = s.rT.([]T)
		packs = s.rPack
	} else {
		if _, err := tensors.CheckSize(dt, r.Shape()); err != nil {
			return nil, err
		}
		rd = transposeR(tensors.Data[T](r), r.Shape())
	}
	run := &sc.run
	*run = rnnRun[T]{s: s, z: z, sc: sc, maxLen: maxLen, uniform: uniform,
		xd: tensors.Data[T](x), wd: tensors.Data[T](w), rd: rd, packs: packs, wPack: wPack,
		bias: bias, h0: h0, c0: c0, peep: peep, y: y, yh: yh, yc: yc}
	// The two directions of a bidirectional layer run side by side when
	// there is enough work to pay for handing one over.
	if z.dirs > 1 && z.seq*z.batch*GH*(H+z.input) >= rnnParallelMACs {
		kernel.ParallelTasks(z.dirs, run)
	} else {
		for d := 0; d < z.dirs; d++ {
			run.Task(d)
		}
	}
	*run = rnnRun[T]{} // drop the run's tensors
	return Results(last, yT, hT, cT), nil
}

// transposeR returns R [dirs][G*H][H] transposed per direction to
// [dirs][H][G*H].
func transposeR[T tensors.Float](r []T, shape []int) []T {
	dirs, gh, h := shape[0], shape[1], shape[2]
	out := make([]T, len(r))
	for d := 0; d < dirs; d++ {
		src, dst := r[d*gh*h:(d+1)*gh*h], out[d*gh*h:(d+1)*gh*h]
		for j := 0; j < gh; j++ {
			for k := 0; k < h; k++ {
				dst[k*gh+j] = src[j*h+k]
			}
		}
	}
	return out
}

// rnnTime is the time index of a batch row of length n at the given step.
func rnnTime(step, n int, reverse bool) int {
	if reverse {
		return n - 1 - step
	}
	return step
}

// activate applies a to the pre-activations x in place, clipping them to
// [-clip, clip] first when the node sets clip (NaN stays NaN).
func activate[T tensors.Float](s *rnnSpec, a rnnAct, x []T) {
	if !math.IsInf(s.clip, 1) {
		lo, hi := T(-s.clip), T(s.clip)
		for k, v := range x {
			x[k] = min(max(v, lo), hi)
		}
	}
	rnnApply(a, x)
}

// inferRNN gives the shapes of Y (sequence, directions, batch, hidden;
// batch first with layout 1) and of the last states Y_h and Y_c
// (directions, batch, hidden; batch first with layout 1) from X and
// hidden_size (or the last axis of R).
func inferRNN(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	dt := in[0].DType
	out := []tensors.Type{{DType: dt}, {DType: dt}}
	if n.Type == "LSTM" {
		out = append(out, tensors.Type{DType: dt})
	}
	a := n.Attrs
	dirs := 1
	if a.Str("direction", "forward") == "bidirectional" {
		dirs = 2
	}
	layout := 0
	if n.Since >= 14 {
		layout = a.Int("layout", 0)
	}
	hidden := tensors.UnknownDim
	if h := a.Int("hidden_size", 0); h > 0 {
		hidden = tensors.Dim{Size: h}
	} else if r := in[2]; r.RankKnown && len(r.Dims) == 3 {
		hidden = r.Dims[2]
	}
	seq, batch := tensors.UnknownDim, tensors.UnknownDim
	if x := in[0]; x.RankKnown && len(x.Dims) == 3 {
		seq, batch = x.Dims[0], x.Dims[1]
		if layout == 1 {
			seq, batch = batch, seq
		}
	}
	d := tensors.Dim{Size: dirs}
	y := []tensors.Dim{seq, d, batch, hidden}
	state := []tensors.Dim{d, batch, hidden}
	if layout == 1 {
		y = []tensors.Dim{batch, seq, d, hidden}
		state = []tensors.Dim{batch, d, hidden}
	}
	for i := range out {
		dims := state
		if i == 0 {
			dims = y
		}
		out[i] = tensors.Type{DType: dt, RankKnown: true, Dims: slices.Clone(dims)}
	}
	return out, nil
}

// rnnRun is one run of a recurrent node, shared by the tasks that
// compute its directions (rnnRun.Task), recycled with the run's scratch.
type rnnRun[T tensors.Float] struct {
	s                  *rnnSpec
	z                  rnnDims
	sc                 *rnnScratch[T]
	maxLen             int
	uniform            bool
	xd, wd, rd         []T
	packs              [][2]*kernel.PackedB
	wPack              []*kernel.PackedB // s.wPack when W is s.wConst
	bias, h0, c0, peep *tensors.Tensor
	y, yh, yc          []T
}

// Task computes direction d of the run: its input projection, its steps
// and its final states. The directions of a bidirectional layer share no
// working memory, so they may run at once.
func (r *rnnRun[T]) Task(d int) {
	s, z, ds := r.s, r.z, &r.sc.dir[d]
	H, GH := z.hidden, z.gates*z.hidden
	xw, hr, h, c, rh, rhp := ds.xw, ds.hr, ds.h, ds.c, ds.rh, ds.rhp
	seqLen, maxLen, uniform := r.sc.seqLen, r.maxLen, r.uniform
	xd, wd, rd, packs := r.xd, r.wd, r.rd, r.packs
	bias, h0, c0, peep := r.bias, r.h0, r.c0, r.peep
	y, yh, yc := r.y, r.yh, r.yc
	reverse := s.reverseOnly || d == 1
	wD := wd[d*GH*z.input : (d+1)*GH*z.input]
	rD := rd[d*GH*H : (d+1)*GH*H]
	// Input projection for every (t, b) row, with the biases that add
	// to it directly: each row starts as those biases and the product
	// accumulates onto it.
	var rbH []T // GRU linear_before_reset: Rbh, added inside the reset
	beta := T(0)
	if bias != nil {
		bd := tensors.Data[T](bias)[d*2*GH : (d+1)*2*GH]
		add := ds.add
		for j := range add {
			add[j] = bd[j] + bd[GH+j]
		}
		if s.kind == rnnGRU && s.lbr {
			rbH = bd[GH+2*H : 2*GH]
			for j := 2 * H; j < GH; j++ {
				add[j] = bd[j]
			}
		}
		for row := 0; row < z.seq*z.batch; row++ {
			copy(xw[row*GH:(row+1)*GH], add)
		}
		beta = 1
	}
	if r.wPack != nil && z.input > 0 {
		r.wPack[d].Mul(z.seq*z.batch, 1, any(xd).([]float32), z.input, float32(beta), any(xw).([]float32), GH)
	} else {
		kernel.Gemm(false, true, z.seq*z.batch, GH, z.input, 1, xd, max(z.input, 1), wD, max(z.input, 1), beta, xw, GH)
	}
	// Initial states.
	clear(h)
	clear(c)
	for b := 0; b < z.batch; b++ {
		if h0 != nil {
			copy(h[b*H:(b+1)*H], tensors.Data[T](h0)[z.stateAt(d, b):])
		}
		if c0 != nil {
			copy(c[b*H:(b+1)*H], tensors.Data[T](c0)[z.stateAt(d, b):])
		}
	}
	var pi, po, pf []T
	if peep != nil {
		pd := tensors.Data[T](peep)[d*3*H : (d+1)*3*H]
		pi, po, pf = pd[:H], pd[H:2*H], pd[2*H:]
	}
	acts := s.acts[d]
	for step := 0; step < maxLen; step++ {
		recurrent := GH
		if s.kind == rnnGRU && !s.lbr {
			recurrent = 2 * H
		}
		var pb [2]*kernel.PackedB
		if packs != nil {
			pb = packs[d]
		}
		// The gate pre-activations are summed into the row of the
		// input projection xw, which each (t, b) reads once per
		// direction, and the activations run on it in place, one gate
		// block (H elements) or several at a time. When every batch
		// row is at the same time t (forward, or equal lengths), the
		// step's products accumulate into those rows directly (fused;
		// a row past its length then adds into a padding row that
		// nothing reads); else they go to hr and rhp, added row by
		// row. GRU with linear_before_reset needs its candidate block
		// of H(t-1)·Rᵀ apart, so it never fuses.
		fused := z.batch > 0 && (!reverse || uniform) && !(s.kind == rnnGRU && s.lbr)
		var xwT []T // fused: xw's rows of time t, row stride ldT
		ldT := GH
		if fused {
			t := rnnTime(step, seqLen[0], reverse)
			xwT = xw[z.xRow(t, 0)*GH:]
			if z.batch > 1 {
				ldT = (z.xRow(t, 1) - z.xRow(t, 0)) * GH
			}
			rnnStep(pb[0], z.batch, recurrent, H, h, rD, GH, 1, xwT, ldT)
		} else {
			rnnStep(pb[0], z.batch, recurrent, H, h, rD, GH, 0, hr, GH)
		}
		if s.kind == rnnGRU && !s.lbr {
			// z and r first, then (r⊙H)·Rhᵀ for the candidate.
			for b := 0; b < z.batch; b++ {
				hb, rb := h[b*H:(b+1)*H], rh[b*H:(b+1)*H]
				if step >= seqLen[b] {
					clear(rb)
					continue
				}
				t := rnnTime(step, seqLen[b], reverse)
				g := xw[z.xRow(t, b)*GH+H:][:H]
				if !fused {
					q := hr[b*GH+H:][:H]
					for k := range g {
						g[k] += q[k]
					}
				}
				activate(s, acts[0], g)
				for k := range rb {
					rb[k] = g[k] * hb[k]
				}
			}
			if fused {
				rnnStep(pb[1], z.batch, H, H, rh, rD[2*H:], GH, 1, xwT[2*H:], ldT)
			} else {
				rnnStep(pb[1], z.batch, H, H, rh, rD[2*H:], GH, 0, rhp, H)
			}
		}
		for b := 0; b < z.batch; b++ {
			if step >= seqLen[b] {
				continue
			}
			t := rnnTime(step, seqLen[b], reverse)
			g, q := xw[z.xRow(t, b)*GH:(z.xRow(t, b)+1)*GH], hr[b*GH:(b+1)*GH]
			hb, cb := h[b*H:(b+1)*H], c[b*H:(b+1)*H]
			switch s.kind {
			case rnnSimple:
				if fused {
					copy(hb, g)
				} else {
					for k := range hb {
						hb[k] = g[k] + q[k]
					}
				}
				activate(s, acts[0], hb)
			case rnnGRU:
				zg, rg, ng := g[:H], g[H:2*H], g[2*H:3*H]
				if !fused {
					for k := range zg {
						zg[k] += q[k]
					}
				}
				activate(s, acts[0], zg)
				if s.lbr {
					for k := range rg {
						rg[k] += q[H+k]
					}
					activate(s, acts[0], rg)
					lin := q[2*H : 3*H]
					if rbH != nil {
						for k := range ng {
							ng[k] += rg[k] * (lin[k] + rbH[k])
						}
					} else {
						for k := range ng {
							ng[k] += rg[k] * lin[k]
						}
					}
				} else if !fused {
					rp := rhp[b*H : (b+1)*H]
					for k := range ng {
						ng[k] += rp[k]
					}
				}
				activate(s, acts[1], ng)
				for k := range hb {
					hb[k] = (1-zg[k])*ng[k] + zg[k]*hb[k]
				}
			case rnnLSTM:
				if !fused {
					for k := range g {
						g[k] += q[k]
					}
				}
				ig, og, fg, cg := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:]
				if pi != nil {
					for k := range ig {
						ig[k] += pi[k] * cb[k]
						fg[k] += pf[k] * cb[k]
					}
				}
				switch {
				case po == nil && !s.inputForget:
					activate(s, acts[0], g[:3*H]) // i, o and f at once
				case po == nil:
					activate(s, acts[0], g[:2*H])
				default:
					activate(s, acts[0], ig)
					if !s.inputForget {
						activate(s, acts[0], fg)
					}
				}
				if s.inputForget {
					for k := range fg {
						fg[k] = 1 - ig[k]
					}
				}
				activate(s, acts[1], cg)
				for k := range cb {
					cb[k] = fg[k]*cb[k] + ig[k]*cg[k]
				}
				if po != nil {
					for k := range og {
						og[k] += po[k] * cb[k]
					}
					activate(s, acts[0], og)
				}
				copy(cg, cb) // h(Ct) in place of the spent cell gate
				activate(s, acts[2], cg)
				for k := range hb {
					hb[k] = og[k] * cg[k]
				}
			}
			if y != nil {
				copy(y[z.yAt(t, d, b):z.yAt(t, d, b)+H], hb)
			}
		}
	}
	for b := 0; b < z.batch; b++ {
		if seqLen[b] == 0 {
			continue // Y_h and Y_c stay zero, as in onnxruntime
		}
		copy(yh[z.stateAt(d, b):z.stateAt(d, b)+H], h[b*H:(b+1)*H])
		if yc != nil {
			copy(yc[z.stateAt(d, b):z.stateAt(d, b)+H], c[b*H:(b+1)*H])
		}
	}
}
