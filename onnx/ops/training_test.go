package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// trainingNode builds an optimizer node of the training domain for k
// tensors with nState state tensors each.
func trainingNode(op string, k, nState int, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	in := []string{"R", "T"}
	var out []string
	groups := append([]string{"X", "G"}, []string{"S", "U"}[:nState]...)
	for _, g := range groups {
		for i := 1; i <= k; i++ {
			in = append(in, fmt.Sprintf("%s%d", g, i))
		}
	}
	for _, g := range append([]string{"X"}, groups[2:]...) {
		for i := 1; i <= k; i++ {
			out = append(out, fmt.Sprintf("%s%d_new", g, i))
		}
	}
	np := node(op, in, out, attrs...)
	np.Domain = TrainingDomain
	return np
}

// trainingRef computes an optimizer's outputs from the pseudo code of the
// ONNX specification, written on whole vectors.
func trainingRef(op string, attrs map[string]float64, nesterov bool, r float64, t int64, x, g []float64, states [][]float64) [][]float64 {
	n := len(x)
	vec := func(f func(i int) float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	gr := vec(func(i int) float64 { return attrs["norm_coefficient"]*x[i] + g[i] })
	switch op {
	case "Adagrad":
		rr := r / (1 + float64(t)*attrs["decay_factor"])
		hNew := vec(func(i int) float64 { return states[0][i] + gr[i]*gr[i] })
		xNew := vec(func(i int) float64 { return x[i] - rr*gr[i]/(math.Sqrt(hNew[i])+attrs["epsilon"]) })
		return [][]float64{xNew, hNew}
	case "Momentum":
		b := attrs["beta"]
		if t == 0 {
			b = 1
		}
		vNew := vec(func(i int) float64 { return attrs["alpha"]*states[0][i] + b*gr[i] })
		if nesterov {
			return [][]float64{vec(func(i int) float64 { return x[i] - r*(gr[i]+attrs["alpha"]*vNew[i]) }), vNew}
		}
		return [][]float64{vec(func(i int) float64 { return x[i] - r*vNew[i] }), vNew}
	default: // Adam
		a, b := attrs["alpha"], attrs["beta"]
		vNew := vec(func(i int) float64 { return a*states[0][i] + (1-a)*gr[i] })
		hNew := vec(func(i int) float64 { return b*states[1][i] + (1-b)*gr[i]*gr[i] })
		rr := r
		if t > 0 {
			rr = r * math.Sqrt(1-math.Pow(b, float64(t))) / (1 - math.Pow(a, float64(t)))
		}
		xNew := vec(func(i int) float64 {
			return (1 - attrs["norm_coefficient_post"]) * (x[i] - rr*vNew[i]/(math.Sqrt(hNew[i])+attrs["epsilon"]))
		})
		return [][]float64{xNew, vNew, hNew}
	}
}

func TestTrainingOptimizers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	defaults := map[string]map[string]float64{
		"Adagrad":  {"decay_factor": 0, "epsilon": 1e-6, "norm_coefficient": 0},
		"Adam":     {"alpha": 0.9, "beta": 0.999, "epsilon": 1e-6, "norm_coefficient": 0, "norm_coefficient_post": 0},
		"Momentum": {},
	}
	nStates := map[string]int{"Adagrad": 1, "Adam": 2, "Momentum": 1}
	for trial := 0; trial < 60; trial++ {
		op := []string{"Adagrad", "Adam", "Momentum"}[trial%3]
		attrs := map[string]float64{}
		for k, v := range defaults[op] {
			attrs[k] = float64(float32(v)) // attributes are float32
		}
		var protoAttrs []*onnxpb.AttributeProto
		set := func(name string, v float32) {
			attrs[name] = float64(v)
			protoAttrs = append(protoAttrs, nnFloat(name, v))
		}
		nesterov := false
		switch op {
		case "Adagrad":
			if trial%2 == 0 {
				set("decay_factor", 0.25)
				set("epsilon", 1e-3)
				set("norm_coefficient", 0.125)
			}
		case "Adam":
			if trial%2 == 0 {
				set("alpha", 0.75)
				set("beta", 0.5)
				set("epsilon", 1e-2)
				set("norm_coefficient", 0.25)
				set("norm_coefficient_post", 0.125)
			}
		case "Momentum":
			set("alpha", 0.75)
			set("beta", 0.5)
			set("norm_coefficient", float32(trial%2)*0.25)
			nesterov = trial%4 < 2
			mode := "standard"
			if nesterov {
				mode = "nesterov"
			}
			protoAttrs = append(protoAttrs, nnStr("mode", mode))
		}
		k := 1 + trial%2
		ns := nStates[op]
		dt := tensors.Float32
		if trial%5 == 0 {
			dt = tensors.Float64
		}
		rate := 0.125 * float64(1+r.IntN(4))
		step := int64(trial / 3 % 3)
		in := []*tensors.Tensor{tensors.Scalar[float32](float32(rate)), tensors.Scalar(step)}
		if trial%7 == 0 {
			in[0] = tensors.Scalar(rate)
		}
		vals := make([][][]float64, k) // per tensor: x, g, states...
		shapes := [][]int{{2, 3}, {4}}
		for i := 0; i < k; i++ {
			vals[i] = make([][]float64, 2+ns)
		}
		for j := 0; j < 2+ns; j++ {
			for i := 0; i < k; i++ {
				n := seqMust(tensors.NumElements(shapes[i]))
				v := make([]float64, n)
				for e := range v {
					v[e] = float64(r.IntN(33)-16) / 8
					if j >= 2 && (op == "Adagrad" || j == 3) {
						v[e] = math.Abs(v[e]) // squared gradients are not negative
					}
				}
				vals[i][j] = v
				if dt == tensors.Float64 {
					in = append(in, seqMust(tensors.New(shapes[i], v)))
				} else {
					v32 := make([]float32, n)
					for e := range v {
						v32[e] = float32(v[e])
					}
					in = append(in, seqMust(tensors.New(shapes[i], v32)))
				}
			}
		}
		out, err := runNode(t, trainingNode(op, k, ns, protoAttrs...), 1, in...)
		if err != nil {
			t.Fatalf("trial %d %s: %v", trial, op, err)
		}
		if len(out) != k*(1+ns) {
			t.Fatalf("trial %d %s: %d outputs, want %d", trial, op, len(out), k*(1+ns))
		}
		for i := 0; i < k; i++ {
			want := trainingRef(op, attrs, nesterov, rate, step, vals[i][0], vals[i][1], vals[i][2:])
			for j, w := range want {
				got := out[j*k+i]
				what := fmt.Sprintf("trial %d %s (%v, T=%d, k=%d) output %d of tensor %d", trial, op, attrs, step, k, j, i)
				if got.DType() != dt || !tensors.SameShape(got.Shape(), shapes[i]) {
					t.Errorf("%s: got %v, want %v%v", what, got, dt, shapes[i])
					continue
				}
				gv, _ := tensors.AsFloat64s(got)
				tol := 1e-12
				if dt == tensors.Float32 {
					tol = 1e-6
				}
				for e := range w {
					if !(math.Abs(gv[e]-w[e]) <= tol*(1+math.Abs(w[e]))) { // NaN fails too
						t.Errorf("%s: element %d is %g, want %g", what, e, gv[e], w[e])
						break
					}
				}
			}
		}
	}
}

// TestMomentumByHand checks one standard and one Nesterov step worked
// out by hand.
func TestMomentumByHand(t *testing.T) {
	// G_reg = 0.5*2 + 1 = 2; T = 1 so beta applies: V_new = 0.5*4 + 0.25*2 = 2.5.
	in := []*tensors.Tensor{tensors.Scalar[float32](0.1), tensors.Scalar[int64](1), tensors.Vector[float32](2), tensors.Vector[float32](1), tensors.Vector[float32](4)}
	attrs := []*onnxpb.AttributeProto{nnFloat("alpha", 0.5), nnFloat("beta", 0.25), nnFloat("norm_coefficient", 0.5)}
	out, err := runNode(t, trainingNode("Momentum", 1, 1, append(attrs, nnStr("mode", "standard"))...), 1, in...)
	if err != nil {
		t.Fatal(err)
	}
	expectTensor(t, "standard V", out[1], tensors.Float32, []int{1}, []float32{2.5})
	expectTensor(t, "standard X", out[0], tensors.Float32, []int{1}, []float32{2 - 0.1*2.5})
	// Nesterov: X_new = 2 - 0.1*(2 + 0.5*2.5) = 1.675.
	out, err = runNode(t, trainingNode("Momentum", 1, 1, append(attrs, nnStr("mode", "nesterov"))...), 1, in...)
	if err != nil {
		t.Fatal(err)
	}
	expectTensor(t, "nesterov X", out[0], tensors.Float32, []int{1}, []float32{1.675})
}

func TestTrainingErrors(t *testing.T) {
	f := func(v ...float32) *tensors.Tensor { return tensors.Vector(v...) }
	r, step := tensors.Scalar[float32](0.1), tensors.Scalar[int64](0)
	mom := []*onnxpb.AttributeProto{nnFloat("alpha", 0.9), nnFloat("beta", 1), nnFloat("norm_coefficient", 0), nnStr("mode", "standard")}
	cases := []struct {
		name string
		np   *onnxpb.NodeProto
		in   []*tensors.Tensor
		want string
	}{
		{"inputs not a multiple", func() *onnxpb.NodeProto {
			np := trainingNode("Adagrad", 1, 1)
			np.Input = np.Input[:4]
			return np
		}(), nil, "not a multiple of 3"},
		{"outputs", func() *onnxpb.NodeProto {
			np := trainingNode("Adam", 2, 2)
			np.Output = np.Output[:5]
			return np
		}(), nil, "must have 6 outputs"},
		{"omitted input", func() *onnxpb.NodeProto {
			np := trainingNode("Adagrad", 1, 1)
			np.Input[3] = ""
			return np
		}(), nil, "omitted"},
		{"Momentum without mode", trainingNode("Momentum", 1, 1, mom[:3]...), nil, "mode"},
		{"Momentum without alpha", trainingNode("Momentum", 1, 1, mom[1:]...), nil, "alpha"},
		{"Momentum mode", trainingNode("Momentum", 1, 1, append(mom[:3:3], nnStr("mode", "heavy"))...), nil, "mode"},
		{"gradient shape", trainingNode("Adagrad", 1, 1), []*tensors.Tensor{r, step, f(1, 2), f(1), f(1, 2)}, `gradient "G1" is float32[1]`},
		{"state type", trainingNode("Adam", 1, 2), []*tensors.Tensor{r, step, f(1), f(1), f(1), tensors.Vector[float64](1)}, `state H "U1" is float64[1]`},
		{"integer X", trainingNode("Adagrad", 1, 1), []*tensors.Tensor{r, step, tensors.Vector[int64](1), tensors.Vector[int64](1), tensors.Vector[int64](1)}, "X1"},
		{"R not scalar", trainingNode("Adagrad", 1, 1), []*tensors.Tensor{f(1, 2), step, f(1), f(1), f(1)}, "learning rate R"},
		{"R integer", trainingNode("Adagrad", 1, 1), []*tensors.Tensor{tensors.Scalar[int64](1), step, f(1), f(1), f(1)}, "learning rate R"},
		{"T float", trainingNode("Adagrad", 1, 1), []*tensors.Tensor{r, tensors.Scalar[float32](1), f(1), f(1), f(1)}, "update count T"},
	}
	for _, c := range cases {
		in := c.in
		if in == nil {
			in = []*tensors.Tensor{r, step, f(1), f(1), f(1), f(1), f(1), f(1), f(1), f(1)}[:len(c.np.Input)]
		}
		_, err := runNode(t, c.np, 1, in...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// Gradient stays unsupported, saying why.
	g := node("Gradient", []string{"x"}, []string{"dy_dx"}, &onnxpb.AttributeProto{Name: "xs", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("x")}},
		nnStr("y", "y"))
	g.Domain = TrainingDomain
	_, err := runNode(t, g, 1, f(1))
	if !errors.Is(err, tensors.ErrUnsupported) || !strings.Contains(err.Error(), "autodiff") {
		t.Errorf("Gradient: %v, want unsupported naming autodiff", err)
	}
}
