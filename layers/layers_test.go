package layers

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestLeNetParameterCounts(t *testing.T) {
	m, err := LeNet(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"conv2d": 520, "conv2d_1": 25050, "dense": 1225500, "dense_1": 5010}
	for _, l := range m.Layers {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Size()
		}
		if n != want[l.Name()] {
			t.Errorf("layer %s (%s): %d params, want %d", l.Name(), l.Kind(), n, want[l.Name()])
		}
	}
	if got := m.NumParams(); got != 1256080 {
		t.Errorf("NumParams = %d, want 1256080", got)
	}
	s := m.Summary()
	for _, frag := range []string{
		"conv2d (Conv2D)", "(None, 20, 28, 28)", "max_pooling2d_1 (MaxPooling2D)", "(None, 50, 7, 7)",
		"flatten (Flatten)", "(None, 2450)", "dense (Dense)", "1,225,500", "dense_1 (Dense)", "(None, 10)",
		"softmax (Softmax)", "Total params: 1,256,080",
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("Summary lacks %q:\n%s", frag, s)
		}
	}
}

func TestNewSequentialErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		input  []int
		layers []Layer
		want   string
	}{
		{"dense-on-image", []int{1, 4, 4}, []Layer{&Dense{Units: 3}}, "add a Flatten"},
		{"kernel-too-big", []int{1, 4, 4}, []Layer{&Conv2D{Filters: 2, Kernel: [2]int{5, 5}}}, "larger than input"},
		{"bad-padding", []int{1, 4, 4}, []Layer{&Conv2D{Filters: 2, Kernel: [2]int{3, 3}, Padding: "full"}}, "unknown padding"},
		{"bad-activation", []int{4}, []Layer{&Dense{Units: 3, Activation: "gelu"}}, "unknown activation"},
		{"zero-input", []int{0, 4, 4}, []Layer{&Flatten{}}, "non-positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSequential(tensor.Float64, tc.input, tc.layers...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestInitIsKerasAndSeeded(t *testing.T) {
	a, _ := LeNet(tensor.Float32)
	b, _ := LeNet(tensor.Float32)
	a.Init(rand.New(rand.NewPCG(7, 0)))
	b.Init(rand.New(rand.NewPCG(7, 0)))
	for i, p := range a.Params() {
		da, db := p.Value.Data().([]float32), b.Params()[i].Value.Data().([]float32)
		for j := range da {
			if da[j] != db[j] {
				t.Fatalf("%s differs between runs with one seed", p.Name)
			}
		}
		if strings.HasSuffix(p.Name, "bias") {
			for _, v := range da {
				if v != 0 {
					t.Fatalf("%s not zero", p.Name)
				}
			}
			continue
		}
		s := p.Value.Shape()
		fanIn, fanOut := s[0], s[1]
		if len(s) == 4 { // OIHW
			fanIn, fanOut = s[1]*s[2]*s[3], s[0]*s[2]*s[3]
		}
		limit := math.Sqrt(6 / float64(fanIn+fanOut))
		var sumSq float64
		for _, v := range da {
			if math.Abs(float64(v)) > limit {
				t.Fatalf("%s: %g outside ±%g", p.Name, v, limit)
			}
			sumSq += float64(v) * float64(v)
		}
		// Uniform(−l, l) has variance l²/3.
		if v := sumSq / float64(len(da)); math.Abs(v-limit*limit/3) > 0.15*limit*limit/3 {
			t.Errorf("%s: variance %g, want about %g", p.Name, v, limit*limit/3)
		}
	}
}

// gradCheck compares the symbolic gradients of L = Σ output⊙r with central
// finite differences, in float64, for the input and every parameter.
func gradCheck(t *testing.T, m *Sequential, batch int, useLoss bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	m.Init(r)
	for _, p := range m.Params() { // non-zero biases exercise their gradient
		if strings.HasSuffix(p.Name, "bias") {
			for i, d := 0, p.Value.Data().([]float64); i < len(d); i++ {
				d[i] = r.Float64() - 0.5
			}
		}
	}
	gr, err := m.NewGraph(batch)
	if err != nil {
		t.Fatal(err)
	}
	xs := gr.Input.Shape().Clone()
	x := tensor.New(tensor.WithShape(xs...), tensor.WithBacking(randVec(r, xs.TotalSize())))
	if err := G.Let(gr.Input, x); err != nil {
		t.Fatal(err)
	}
	var loss *G.Node
	if useLoss {
		labels := make([]float64, gr.Logits.Shape().TotalSize())
		k := gr.Logits.Shape()[1]
		for i := 0; i < batch; i++ {
			labels[i*k+r.IntN(k)] = 1
		}
		y := G.NodeFromAny(gr.G, tensor.New(tensor.WithShape(batch, k), tensor.WithBacking(labels)), G.WithName("labels"))
		loss, _, err = SoftmaxCrossEntropy(gr.Logits, y)
	} else {
		os := gr.Output.Shape().Clone()
		w := G.NodeFromAny(gr.G, tensor.New(tensor.WithShape(os...), tensor.WithBacking(randVec(r, os.TotalSize()))), G.WithName("r"))
		var prod *G.Node
		if prod, err = G.HadamardProd(gr.Output, w); err == nil {
			loss, err = G.Sum(prod)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	wrt := append(G.Nodes{gr.Input}, gr.Params...)
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(gr.G)
	defer vm.Close()
	eval := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		v, err := scalarOf(loss.Value())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	eval()
	grads := make([][]float64, len(wrt))
	for i, n := range wrt {
		g, err := n.Grad()
		if err != nil {
			t.Fatalf("%s: %v", n.Name(), err)
		}
		grads[i] = append([]float64(nil), g.Data().([]float64)...)
	}
	for i, n := range wrt {
		data := n.Value().Data().([]float64)
		// Check up to 25 entries per tensor, spread over it.
		step := max(1, len(data)/25)
		for j := 0; j < len(data); j += step {
			old := data[j]
			const h = 1e-5
			data[j] = old + h
			lp := eval()
			data[j] = old - h
			lm := eval()
			data[j] = old
			num := (lp - lm) / (2 * h)
			if d := math.Abs(num - grads[i][j]); d > 1e-5*math.Max(1, math.Abs(num)) {
				t.Errorf("d/d%s[%d] = %.8g, finite difference %.8g", n.Name(), j, grads[i][j], num)
			}
		}
	}
}

func randVec(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Float64()*2 - 1
	}
	return v
}

func TestGradients(t *testing.T) {
	for _, tc := range []struct {
		name    string
		input   []int
		layers  []Layer
		useLoss bool
	}{
		{"conv2d-same-relu", []int{2, 6, 5}, []Layer{&Conv2D{Filters: 3, Kernel: [2]int{3, 3}, Padding: "same", Activation: "relu"}}, false},
		{"conv2d-valid-strided", []int{2, 7, 6}, []Layer{&Conv2D{Filters: 2, Kernel: [2]int{3, 2}, Strides: [2]int{2, 2}}}, false},
		{"maxpool2d", []int{2, 6, 6}, []Layer{&MaxPool2D{}}, false},
		{"maxpool2d-same-odd", []int{1, 5, 5}, []Layer{&MaxPool2D{Padding: "same"}}, false},
		{"flatten-dense", []int{2, 3, 3}, []Layer{&Flatten{}, &Dense{Units: 4}}, false},
		{"dense-relu", []int{5}, []Layer{&Dense{Units: 4, Activation: "relu"}}, false},
		{"relu", []int{7}, []Layer{&ReLU{}}, false},
		{"softmax", []int{6}, []Layer{&Softmax{}}, false},
		{"dense-softmax-activation-loss", []int{5}, []Layer{&Dense{Units: 4, Activation: "softmax"}}, true},
		{"mini-lenet-loss", []int{1, 8, 8}, []Layer{
			&Conv2D{Filters: 2, Kernel: [2]int{3, 3}, Padding: "same", Activation: "relu"}, &MaxPool2D{},
			&Conv2D{Filters: 3, Kernel: [2]int{3, 3}, Padding: "same", Activation: "relu"}, &MaxPool2D{},
			&Flatten{}, &Dense{Units: 5, Activation: "relu"}, &Dense{Units: 3}, &Softmax{},
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewSequential(tensor.Float64, tc.input, tc.layers...)
			if err != nil {
				t.Fatal(err)
			}
			gradCheck(t, m, 3, tc.useLoss)
		})
	}
}

func TestLeNetForShapes(t *testing.T) {
	for _, tc := range []struct {
		in      []int
		classes int
		flat    int
		params  int
	}{
		// Keras's lenet((28, 28, 1), 10).summary(): 1,256,080 parameters.
		{[]int{1, 28, 28}, 10, 50 * 7 * 7, 520 + 25050 + 2450*500 + 500 + 5010},
		// lenet((32, 32, 3), 3): Dense(500) takes 50×8×8.
		{[]int{3, 32, 32}, 3, 50 * 8 * 8, 3*25*20 + 20 + 25050 + 3200*500 + 500 + 500*3 + 3},
		// Odd sizes pool down by floor, as Keras's valid pooling does.
		{[]int{1, 30, 17}, 4, 50 * 7 * 4, 520 + 25050 + 1400*500 + 500 + 500*4 + 4},
	} {
		m, err := LeNetFor(tensor.Float32, tc.in, tc.classes)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.OutputShape(4); len(got) != 1 || got[0] != tc.flat {
			t.Errorf("%v: Flatten gives %v, want [%d]", tc.in, got, tc.flat)
		}
		if got := m.OutputShape(len(m.Layers) - 1); len(got) != 1 || got[0] != tc.classes {
			t.Errorf("%v: output %v, want [%d]", tc.in, got, tc.classes)
		}
		if got := m.NumParams(); got != tc.params {
			t.Errorf("%v: %d parameters, want %d", tc.in, got, tc.params)
		}
	}
	for _, bad := range [][]int{{28, 28}, {1, 3, 28}, {0, 28, 28}} {
		if _, err := LeNetFor(tensor.Float32, bad, 10); err == nil {
			t.Errorf("LeNetFor(%v) accepted", bad)
		}
	}
	if _, err := LeNetFor(tensor.Float32, []int{1, 28, 28}, 1); err == nil {
		t.Error("LeNetFor with one class accepted")
	}
}
