package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sequential is a stack of layers, each feeding the next, like
// keras.Sequential.
type Sequential struct {
	// Input is the per-sample input shape, e.g. [1, 28, 28].
	Input []int
	// Layers in order; their names are set by NewSequential.
	Layers []Layer
	// Dtype is tensor.Float32 or tensor.Float64.
	Dtype tensor.Dtype

	shapes [][]int // per-sample output shape of each layer
}

// snakeNames are Keras's default name prefixes for each layer kind.
var snakeNames = map[string]string{
	"Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d", "Flatten": "flatten",
	"Dense": "dense", "ReLU": "re_lu", "Softmax": "softmax",
}

// NewSequential checks that the layers fit together for a per-sample input
// shape, names them as Keras would (conv2d, conv2d_1, dense, ...) and
// creates their parameters, zeroed; call Init to draw initial values.
func NewSequential(dt tensor.Dtype, input []int, ls ...Layer) (*Sequential, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("layers: dtype %v not supported (float32 or float64)", dt)
	}
	m := &Sequential{Input: append([]int(nil), input...), Layers: ls, Dtype: dt}
	for _, d := range input {
		if d <= 0 {
			return nil, fmt.Errorf("layers: input shape %v has a non-positive dimension", input)
		}
	}
	seen := map[string]int{}
	shape := m.Input
	for i, l := range ls {
		if l == nil {
			return nil, fmt.Errorf("layers: layer %d is nil", i)
		}
		prefix := snakeNames[l.Kind()]
		name := prefix
		if n := seen[prefix]; n > 0 {
			name = fmt.Sprintf("%s_%d", prefix, n)
		}
		seen[prefix]++
		l.base().name = name
		out, err := l.OutputShape(shape)
		if err != nil {
			return nil, fmt.Errorf("layers: layer %d %q (%s) with input %v: %w", i, name, l.Kind(), shape, err)
		}
		if err := l.build(shape, dt); err != nil {
			return nil, fmt.Errorf("layers: layer %q (%s): %w", name, l.Kind(), err)
		}
		m.shapes = append(m.shapes, out)
		shape = out
	}
	return m, nil
}

// LeNet returns the reference Keras LeNet for 28×28 grey images and ten
// classes, with parameters zeroed (call Init):
//
//	Conv2D(20, 5×5, same, relu) → MaxPool 2×2 → Conv2D(50, 5×5, same, relu)
//	→ MaxPool 2×2 → Flatten → Dense(500, relu) → Dense(10) → Softmax
func LeNet(dt tensor.Dtype) (*Sequential, error) {
	return LeNetFor(dt, []int{1, 28, 28}, 10)
}

// LeNetFor returns the same LeNet for inputs of shape [channels, height,
// width] and classes classes, as the Keras script's lenet(input_shape,
// num_classes) builds it: the input size of Dense(500) follows the shape
// (50 × ⌊⌊h/2⌋/2⌋ × ⌊⌊w/2⌋/2⌋) and the last Dense has classes units.
func LeNetFor(dt tensor.Dtype, input []int, classes int) (*Sequential, error) {
	if len(input) != 3 || input[0] < 1 || input[1] < 4 || input[2] < 4 {
		return nil, fmt.Errorf("layers: LeNet input %v, want [channels, height, width] with at least 1 channel and 4×4 pixels", input)
	}
	if classes < 2 {
		return nil, fmt.Errorf("layers: LeNet with %d classes, want at least 2", classes)
	}
	return NewSequential(dt, append([]int(nil), input...),
		&Conv2D{Filters: 20, Kernel: [2]int{5, 5}, Padding: "same", Activation: "relu"},
		&MaxPool2D{Pool: [2]int{2, 2}},
		&Conv2D{Filters: 50, Kernel: [2]int{5, 5}, Padding: "same", Activation: "relu"},
		&MaxPool2D{Pool: [2]int{2, 2}},
		&Flatten{},
		&Dense{Units: 500, Activation: "relu"},
		&Dense{Units: classes},
		&Softmax{},
	)
}

// Init draws every parameter as Keras does by default: glorot-uniform
// kernels and zero biases, from r (same seed, same weights).
func (m *Sequential) Init(r *rand.Rand) {
	for _, l := range m.Layers {
		l.init(r)
	}
}

// Params returns all trainable parameters, layer by layer.
func (m *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// NumParams is the number of trainable scalars.
func (m *Sequential) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Size()
	}
	return n
}

// OutputShape is the per-sample output shape of layer i.
func (m *Sequential) OutputShape(i int) []int { return m.shapes[i] }

// Summary lays the model out as Keras's model.summary() does: one row per
// layer with its output shape (batch axis None, channels first) and
// parameter count, then the totals.
func (m *Sequential) Summary() string {
	var b strings.Builder
	line := strings.Repeat("_", 70)
	fmt.Fprintf(&b, "Model: \"sequential\"\n%s\n", line)
	fmt.Fprintf(&b, " %-33s%-26s%-10s\n", "Layer (type)", "Output Shape", "Param #")
	b.WriteString(strings.Repeat("=", 70) + "\n")
	for i, l := range m.Layers {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Size()
		}
		dims := []string{"None"}
		for _, d := range m.shapes[i] {
			dims = append(dims, fmt.Sprint(d))
		}
		shape := "(" + strings.Join(dims, ", ") + ")"
		fmt.Fprintf(&b, " %-33s%-26s%-10s\n", fmt.Sprintf("%s (%s)", l.Name(), l.Kind()), shape, commas(n))
		if i < len(m.Layers)-1 {
			b.WriteString("\n")
		}
	}
	b.WriteString(strings.Repeat("=", 70) + "\n")
	total := m.NumParams()
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: 0\n%s\n", commas(total), commas(total), line)
	return b.String()
}

// commas writes n with thousands separators, as Keras prints counts.
func commas(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Graph is a model placed in a Gorgonia graph for one batch size.
type Graph struct {
	G      *G.ExprGraph
	Input  *G.Node // [batch, Input...]
	Output *G.Node // the model's output
	// Logits is the input of a final Softmax layer (what a fused softmax
	// cross-entropy wants), or Output when the model does not end in one.
	Logits *G.Node
	// Params holds one node per model parameter, in Sequential.Params order.
	Params G.Nodes
}

// NewGraph places the model in a new graph with a batch axis of size batch.
// The parameter nodes share the model's parameter tensors.
func (m *Sequential) NewGraph(batch int) (*Graph, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("layers: batch size %d, want > 0", batch)
	}
	g := G.NewGraph()
	shape := append([]int{batch}, m.Input...)
	x := G.NewTensor(g, m.Dtype, len(shape), G.WithShape(shape...), G.WithName("input"))
	b := &builder{g: g, nodes: map[*Param]*G.Node{}}
	out, logits := x, x
	for i, l := range m.Layers {
		last := i == len(m.Layers)-1
		if d, ok := l.(*Dense); ok && last && d.Activation == "softmax" {
			// Keep the logits of Dense(..., activation="softmax") reachable.
			z, err := d.linear(b, out)
			if err != nil {
				return nil, fmt.Errorf("layers: layer %q (%s): %w", l.Name(), l.Kind(), err)
			}
			y, err := activation("softmax", z)
			if err != nil {
				return nil, fmt.Errorf("layers: layer %q (%s): %w", l.Name(), l.Kind(), err)
			}
			out, logits = y, z
			break
		}
		y, err := l.apply(b, out)
		if err != nil {
			return nil, fmt.Errorf("layers: layer %q (%s): %w", l.Name(), l.Kind(), err)
		}
		if last {
			logits = out
			if _, ok := l.(*Softmax); !ok {
				logits = y
			}
		}
		out = y
	}
	gr := &Graph{G: g, Input: x, Output: out, Logits: logits}
	for _, p := range m.Params() {
		gr.Params = append(gr.Params, b.param(p))
	}
	return gr, nil
}
