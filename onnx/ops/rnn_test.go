package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// refRecurrent runs RNN/GRU/LSTM from the ONNX equations with plain loops
// in float64, layout 0: x [seq][batch][in], w [dirs][G*H][in], r
// [dirs][G*H][H], b [dirs][2*G*H] (nil: zero), p [dirs][3H] (nil: zero),
// h0, c0 [dirs][batch][H] (nil: zero), lens per batch row (nil: seq).
type refRec struct {
	kind                string // "RNN", "GRU", "LSTM"
	seq, batch, in, hid int
	dirs                int
	reverse             bool // only direction is reverse
	lbr, inputForget    bool
	f, g, h             func(float64) float64
	clip                float64
	x, w, r, b, p       []float64
	h0, c0              []float64
	lens                []int
}

// f32 rounds an attribute value as the model stores it.
func f32(v float64) float64 { return float64(float32(v)) }

func refSigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func (q refRec) run() (y, yh, yc []float64) {
	H, G := q.hid, map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[q.kind]
	y = make([]float64, q.seq*q.dirs*q.batch*H)
	yh = make([]float64, q.dirs*q.batch*H)
	yc = make([]float64, q.dirs*q.batch*H)
	cl := func(v float64) float64 {
		if q.clip > 0 {
			return math.Max(-q.clip, math.Min(q.clip, v))
		}
		return v
	}
	at := func(s []float64, i int) float64 {
		if s == nil {
			return 0
		}
		return s[i]
	}
	for d := 0; d < q.dirs; d++ {
		rev := q.reverse || d == 1
		// xw(t, b, gate row j) = X[t,b]·W[d,j] + Wb[d,j]
		xw := func(t, b, j int) float64 {
			s := at(q.b, d*2*G*H+j)
			for k := 0; k < q.in; k++ {
				s += q.x[(t*q.batch+b)*q.in+k] * q.w[(d*G*H+j)*q.in+k]
			}
			return s
		}
		for b := 0; b < q.batch; b++ {
			n := q.seq
			if q.lens != nil {
				n = q.lens[b]
			}
			h := make([]float64, H)
			c := make([]float64, H)
			for k := range h {
				h[k] = at(q.h0, (d*q.batch+b)*H+k)
				c[k] = at(q.c0, (d*q.batch+b)*H+k)
			}
			// hr(v, j) = v·R[d,j] + Rb[d,j]
			hr := func(v []float64, j int) float64 {
				s := at(q.b, d*2*G*H+G*H+j)
				for k := 0; k < H; k++ {
					s += v[k] * q.r[(d*G*H+j)*H+k]
				}
				return s
			}
			for step := 0; step < n; step++ {
				t := step
				if rev {
					t = n - 1 - step
				}
				nh, nc := make([]float64, H), make([]float64, H)
				switch q.kind {
				case "RNN":
					for k := 0; k < H; k++ {
						nh[k] = q.f(cl(xw(t, b, k) + hr(h, k)))
					}
				case "GRU":
					z, r := make([]float64, H), make([]float64, H)
					for k := 0; k < H; k++ {
						z[k] = q.f(cl(xw(t, b, k) + hr(h, k)))
						r[k] = q.f(cl(xw(t, b, H+k) + hr(h, H+k)))
					}
					rh := make([]float64, H)
					for k := range rh {
						rh[k] = r[k] * h[k]
					}
					for k := 0; k < H; k++ {
						var ht float64
						if q.lbr {
							ht = q.g(cl(xw(t, b, 2*H+k) + r[k]*hr(h, 2*H+k)))
						} else {
							ht = q.g(cl(xw(t, b, 2*H+k) + hr(rh, 2*H+k)))
						}
						nh[k] = (1-z[k])*ht + z[k]*h[k]
					}
				case "LSTM":
					for k := 0; k < H; k++ {
						i := q.f(cl(xw(t, b, k) + hr(h, k) + at(q.p, d*3*H+k)*c[k]))
						f := q.f(cl(xw(t, b, 2*H+k) + hr(h, 2*H+k) + at(q.p, d*3*H+2*H+k)*c[k]))
						if q.inputForget {
							f = 1 - i
						}
						cc := q.g(cl(xw(t, b, 3*H+k) + hr(h, 3*H+k)))
						nc[k] = f*c[k] + i*cc
						o := q.f(cl(xw(t, b, H+k) + hr(h, H+k) + at(q.p, d*3*H+H+k)*nc[k]))
						nh[k] = o * q.h(cl(nc[k]))
					}
				}
				h = nh
				if q.kind == "LSTM" {
					c = nc
				}
				copy(y[((t*q.dirs+d)*q.batch+b)*H:], h)
			}
			if n == 0 { // an empty sequence has zero final states
				continue
			}
			copy(yh[(d*q.batch+b)*H:], h)
			copy(yc[(d*q.batch+b)*H:], c)
		}
	}
	return y, yh, yc
}

func refData(seed int64, n int) []float64 { return tensors.Data[float64](nnRand(seed, n)) }

// toLayout1 transposes the first two axes of a [a][b][rest] array.
func swap01(v []float64, a, b, rest int) []float64 {
	out := make([]float64, len(v))
	for i := 0; i < a; i++ {
		for j := 0; j < b; j++ {
			copy(out[(j*a+i)*rest:(j*a+i+1)*rest], v[(i*b+j)*rest:(i*b+j+1)*rest])
		}
	}
	return out
}

func tensorOrNil(v []float64, shape ...int) *tensors.Tensor {
	if v == nil {
		return nil
	}
	return seqMust(tensors.New(shape, v))
}

// recCase runs one recurrent node against the reference.
func recCase(t *testing.T, name string, q refRec, layout int, outs []string, attrs ...*onnxpb.AttributeProto) {
	t.Helper()
	G := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[q.kind]
	H := q.hid
	wantY, wantH, wantC := q.run()
	x := q.x
	h0, c0 := q.h0, q.c0
	xShape := []int{q.seq, q.batch, q.in}
	sShape := []int{q.dirs, q.batch, H}
	if layout == 1 {
		x = swap01(x, q.seq, q.batch, q.in)
		xShape = []int{q.batch, q.seq, q.in}
		if h0 != nil {
			h0 = swap01(h0, q.dirs, q.batch, H)
		}
		if c0 != nil {
			c0 = swap01(c0, q.dirs, q.batch, H)
		}
		sShape = []int{q.batch, q.dirs, H}
		wantH = swap01(wantH, q.dirs, q.batch, H)
		wantC = swap01(wantC, q.dirs, q.batch, H)
		// Y [seq][dirs][batch][H] -> [batch][seq][dirs][H]
		yl := make([]float64, len(wantY))
		for s := 0; s < q.seq; s++ {
			for d := 0; d < q.dirs; d++ {
				for b := 0; b < q.batch; b++ {
					copy(yl[((b*q.seq+s)*q.dirs+d)*H:][:H], wantY[((s*q.dirs+d)*q.batch+b)*H:][:H])
				}
			}
		}
		wantY = yl
		attrs = append(attrs, nnInt("layout", 1))
	}
	var lens *tensors.Tensor
	if q.lens != nil {
		l := make([]int32, len(q.lens))
		for i, v := range q.lens {
			l[i] = int32(v)
		}
		lens = seqMust(tensors.New([]int{len(l)}, l))
	}
	in := []*tensors.Tensor{
		seqMust(tensors.New(xShape, x)), seqMust(tensors.New([]int{q.dirs, G * H, q.in}, q.w)), seqMust(tensors.New([]int{q.dirs, G * H, H}, q.r)),
		tensorOrNil(q.b, q.dirs, 2*G*H), lens, tensorOrNil(h0, sShape...),
	}
	names := []string{"X", "W", "R", "B", "L", "H0"}
	if q.kind == "LSTM" {
		in = append(in, tensorOrNil(c0, sShape...), tensorOrNil(q.p, q.dirs, 3*H))
		names = append(names, "C0", "P")
	}
	for i := range in {
		if in[i] == nil {
			names[i] = ""
		}
	}
	for len(names) > 3 && names[len(names)-1] == "" {
		names, in = names[:len(names)-1], in[:len(in)-1]
	}
	dir := "forward"
	if q.dirs == 2 {
		dir = "bidirectional"
	} else if q.reverse {
		dir = "reverse"
	}
	attrs = append(attrs, nnInt("hidden_size", int64(H)), nnStr("direction", dir))
	// Opset 14 (the layout of the case), then, with layout 0, every older
	// version of the operator: the same equations on the same weights.
	// Versions before 7 also take output_sequence; GRU before 3 has no
	// linear_before_reset.
	type run struct {
		opset int
		attrs []*onnxpb.AttributeProto
	}
	runs := []run{{14, attrs}}
	if layout == 0 {
		for _, opset := range []int{1, 3, 6, 7} {
			if opset == 3 && q.kind != "GRU" || opset < 3 && q.kind == "GRU" && q.lbr {
				continue
			}
			if opset < 3 && q.kind == "GRU" && (len(outs) < 2 || outs[1] == "") {
				continue // GRU-1 requires Y_h (TestRecurrentOldVersions)
			}
			var old []*onnxpb.AttributeProto
			for _, a := range attrs {
				if a.GetName() == "linear_before_reset" && opset < 3 {
					continue
				}
				old = append(old, a)
			}
			if opset < 7 && outs[0] != "" {
				old = append(old, nnInt("output_sequence", int64(opset%2)))
			}
			runs = append(runs, run{opset, old})
		}
	}
	for _, ru := range runs {
		recRun(t, fmt.Sprintf("%s opset %d", name, ru.opset), q, layout, in, names, outs, ru.opset, ru.attrs, wantY, wantH, wantC, sShape)
	}
}

// recRun runs one recurrent node at an opset in float64 and float32 (with
// R an input, and with R a constant, whose transposed weights are packed
// at load) and compares its outputs with the reference's.
func recRun(t *testing.T, name string, q refRec, layout int, in []*tensors.Tensor, names, outs []string, opset int, attrs []*onnxpb.AttributeProto, wantY, wantH, wantC []float64, sShape []int) {
	t.Helper()
	H := q.hid
	np := node(q.kind, names, outs, attrs...)
	for _, dt := range []string{"float64", "float32", "float32 constant R"} {
		args := in
		if dt != "float64" {
			args = make([]*tensors.Tensor, len(in))
			for i, v := range in {
				if v != nil && v.DType() == tensors.Float64 {
					args[i] = nnTo32(v)
				} else {
					args[i] = v
				}
			}
		}
		var got []*tensors.Tensor
		var err error
		if dt == "float32 constant R" { // and W
			r := args[2]
			var c *Compiled
			if c, err = Compile(np, Env{Opset: opset, Const: func(n string) *tensors.Tensor {
				if n == "R" {
					return r
				}
				if n == "W" {
					return args[1]
				}
				return nil
			}}); err == nil {
				got, err = c.Kernel(args)
			}
		} else {
			got, err = runNode(t, np, opset, args...)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", name, dt, err)
		}
		tol := 1e-12
		if dt != "float64" {
			tol = 1e-5
		}
		yShape := []int{q.seq, q.dirs, q.batch, H}
		if layout == 1 {
			yShape = []int{q.batch, q.seq, q.dirs, H}
		}
		for i, o := range outs {
			if o == "" {
				continue
			}
			switch i {
			case 0:
				nnClose(t, name+" "+dt+" Y", got[0], yShape, wantY, tol)
			case 1:
				nnClose(t, name+" "+dt+" Y_h", got[1], sShape, wantH, tol)
			case 2:
				nnClose(t, name+" "+dt+" Y_c", got[2], sShape, wantC, tol)
			}
		}
	}
}

func newRef(kind string, seq, batch, in, hid, dirs int, seed int64) refRec {
	G := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
	return refRec{
		kind: kind, seq: seq, batch: batch, in: in, hid: hid, dirs: dirs,
		f: refSigmoid, g: math.Tanh, h: math.Tanh,
		x: refData(seed, seq*batch*in), w: refData(seed+1, dirs*G*hid*in), r: refData(seed+2, dirs*G*hid*hid),
	}
}

func TestLSTMReference(t *testing.T) {
	q := newRef("LSTM", 5, 3, 4, 3, 2, 1)
	q.b, q.p = refData(10, 2*8*3), refData(11, 2*3*3)
	q.h0, q.c0 = refData(12, 2*3*3), refData(13, 2*3*3)
	q.lens = []int{5, 2, 0}
	for layout := 0; layout <= 1; layout++ {
		recCase(t, "bidir lens", q, layout, []string{"Y", "Y_h", "Y_c"})
		recCase(t, "bidir Y_h only", q, layout, []string{"", "Y_h"})
		recCase(t, "bidir Y_c only", q, layout, []string{"", "", "Y_c"})
	}
	r := newRef("LSTM", 4, 2, 3, 2, 1, 2)
	r.reverse, r.inputForget, r.clip = true, true, f32(0.5)
	recCase(t, "reverse input_forget clip", r, 0, []string{"Y", "Y_h"}, nnInt("input_forget", 1), nnFloat("clip", 0.5))
	s := newRef("LSTM", 3, 2, 3, 2, 1, 3)
	s.f, s.g = func(v float64) float64 { return math.Max(0, math.Min(1, f32(0.3)*v+f32(0.4))) }, func(v float64) float64 { return f32(0.7) * v }
	s.h = func(v float64) float64 { return f32(1.5) * math.Tanh(f32(0.5)*v) }
	recCase(t, "activations", s, 1, []string{"Y"},
		attr("activations", onnxpb.AttributeProto_STRINGS, func(a *onnxpb.AttributeProto) {
			a.Strings = [][]byte{[]byte("HardSigmoid"), []byte("Affine"), []byte("ScaledTanh")}
		}),
		attr("activation_alpha", onnxpb.AttributeProto_FLOATS, func(a *onnxpb.AttributeProto) { a.Floats = []float32{0.3, 0.7, 1.5} }),
		attr("activation_beta", onnxpb.AttributeProto_FLOATS, func(a *onnxpb.AttributeProto) { a.Floats = []float32{0.4, 0, 0.5} }))
}

func TestGRUReference(t *testing.T) {
	for _, lbr := range []bool{false, true} {
		q := newRef("GRU", 4, 3, 2, 3, 2, 4)
		q.b, q.h0, q.lbr = refData(20, 2*2*9), refData(21, 2*3*3), lbr
		q.lens = []int{1, 4, 3}
		a := nnInt("linear_before_reset", map[bool]int64{false: 0, true: 1}[lbr])
		recCase(t, "bidir", q, 0, []string{"Y", "Y_h"}, a)
		recCase(t, "bidir layout 1", q, 1, []string{"", "Y_h"}, a)
		r := newRef("GRU", 3, 2, 2, 2, 1, 5)
		r.reverse, r.lbr = true, lbr
		recCase(t, "reverse", r, 0, []string{"Y"}, a)
	}
}

func TestRNNReference(t *testing.T) {
	q := newRef("RNN", 4, 2, 3, 3, 2, 6)
	q.b = refData(30, 2*2*3)
	q.f = func(v float64) float64 {
		if v < 0 {
			return f32(0.1) * v
		}
		return v
	}
	recCase(t, "leaky bidir", q, 1, []string{"Y", "Y_h"},
		attr("activations", onnxpb.AttributeProto_STRINGS, func(a *onnxpb.AttributeProto) {
			a.Strings = [][]byte{[]byte("LeakyRelu"), []byte("LeakyRelu")}
		}),
		attr("activation_alpha", onnxpb.AttributeProto_FLOATS, func(a *onnxpb.AttributeProto) { a.Floats = []float32{0.1, 0.1} }))
	r := newRef("RNN", 3, 2, 2, 2, 1, 7)
	r.f, r.clip = math.Tanh, f32(0.3)
	recCase(t, "clip", r, 0, []string{"Y", "Y_h"}, nnFloat("clip", 0.3))
}

func TestRecurrentErrors(t *testing.T) {
	x := nnTo32(nnRand(1, 2, 1, 3))
	w := nnTo32(nnRand(2, 1, 8, 3))
	r := nnTo32(nnRand(3, 1, 8, 2))
	np := node("LSTM", []string{"X", "W", "R"}, []string{"Y"}, nnInt("hidden_size", 2),
		attr("activations", onnxpb.AttributeProto_STRINGS, func(a *onnxpb.AttributeProto) {
			a.Strings = [][]byte{[]byte("Sigmoid"), []byte("Bogus"), []byte("Tanh")}
		}))
	if _, err := runNode(t, np, 14, x, w, r); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("unknown activation: got %v, want unsupported", err)
	}
	np = node("LSTM", []string{"X", "W", "R"}, []string{"Y"}, nnInt("hidden_size", 3))
	if _, err := runNode(t, np, 14, x, w, r); err == nil || !strings.Contains(err.Error(), "hidden_size") {
		t.Errorf("hidden_size mismatch: got %v", err)
	}
	np = node("GRU", []string{"X", "W", "R"}, []string{"Y"})
	if _, err := runNode(t, np, 14, x, w, r); err == nil || !strings.Contains(err.Error(), "W") {
		t.Errorf("GRU with LSTM weights: got %v", err)
	}
	np = node("LSTM", []string{"X", "W", "R", "", "L"}, []string{"Y"})
	if _, err := runNode(t, np, 14, x, w, r, nil, seqMust(tensors.New([]int{1}, []int32{3}))); err == nil || !strings.Contains(err.Error(), "sequence_lens") {
		t.Errorf("long sequence_lens: got %v", err)
	}
}

// TestRecurrentOldVersions checks what only the versions before 7 have:
// output_sequence (0 or 1, nothing else), GRU-1's required Y_h, its lack of
// linear_before_reset and its misspelt default direction "foward".
func TestRecurrentOldVersions(t *testing.T) {
	x := nnTo32(nnRand(1, 2, 1, 3))
	w := nnTo32(nnRand(2, 1, 6, 3))
	r := nnTo32(nnRand(3, 1, 6, 2))
	in := []string{"X", "W", "R"}
	np := node("GRU", in, []string{"Y", "Y_h"}, nnInt("hidden_size", 2), nnInt("output_sequence", 2))
	if _, err := runNode(t, np, 1, x, w, r); err == nil || !strings.Contains(err.Error(), "output_sequence") {
		t.Errorf("output_sequence 2: got %v", err)
	}
	np = node("GRU", in, []string{"Y"}, nnInt("hidden_size", 2))
	if _, err := runNode(t, np, 1, x, w, r); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("GRU-1 without Y_h: got %v", err) // Y_h is required
	}
	np = node("GRU", in, []string{"Y", "Y_h"}, nnInt("hidden_size", 2), nnInt("linear_before_reset", 1))
	if _, err := runNode(t, np, 1, x, w, r); err == nil || !strings.Contains(err.Error(), "linear_before_reset") {
		t.Errorf("GRU-1 with linear_before_reset: got %v", err)
	}
	// "foward" is forward before version 7 and an error from 7 on.
	fwd, err := runNode(t, node("GRU", in, []string{"Y", "Y_h"}, nnInt("hidden_size", 2)), 1, x, w, r)
	if err != nil {
		t.Fatal(err)
	}
	foward, err := runNode(t, node("GRU", in, []string{"Y", "Y_h"}, nnInt("hidden_size", 2), nnStr("direction", "foward")), 1, x, w, r)
	if err != nil {
		t.Fatalf("direction foward at opset 1: %v", err)
	}
	a, b := tensors.Data[float32](fwd[0]), tensors.Data[float32](foward[0])
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("direction foward differs from forward at element %d: %g, %g", i, b[i], a[i])
		}
	}
	np = node("GRU", in, []string{"Y", "Y_h"}, nnInt("hidden_size", 2), nnStr("direction", "foward"))
	if _, err := runNode(t, np, 7, x, w, r); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("direction foward at opset 7: got %v, want unsupported", err)
	}
	// output_sequence is not an attribute of version 7.
	np = node("LSTM", in[:3], []string{"Y"}, nnInt("output_sequence", 1))
	if _, err := runNode(t, np, 7, x, nnTo32(nnRand(2, 1, 8, 3)), r); err == nil || !strings.Contains(err.Error(), "output_sequence") {
		t.Errorf("output_sequence at opset 7: got %v", err)
	}
}

// TestRecurrentLargeReference checks the sizes that take the parallel
// paths: the directions of a bidirectional layer on separate goroutines,
// and per-step products split by columns (GRU with 300 hidden units).
func TestRecurrentLargeReference(t *testing.T) {
	q := newRef("LSTM", 6, 5, 20, 40, 2, 40)
	q.b = refData(41, 2*8*40)
	q.lens = []int{6, 3, 6, 1, 0}
	recCase(t, "large bidir LSTM", q, 0, []string{"Y", "Y_h", "Y_c"})
	u := newRef("LSTM", 7, 4, 9, 33, 2, 42)
	recCase(t, "large bidir LSTM uniform", u, 1, []string{"Y", "Y_h"})
	for _, lbr := range []bool{false, true} {
		g := newRef("GRU", 3, 7, 5, 300, 2, 43)
		g.b, g.lbr = refData(44, 2*6*300), lbr
		a := nnInt("linear_before_reset", map[bool]int64{false: 0, true: 1}[lbr])
		recCase(t, "large bidir GRU", g, 0, []string{"Y", "Y_h"}, a)
		g.dirs = 1
		g.w, g.r, g.b = g.w[:3*300*5], g.r[:3*300*300], g.b[:6*300]
		recCase(t, "large forward GRU", g, 0, []string{"Y", "Y_h"}, a)
	}
}
