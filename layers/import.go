package layers

import (
	"errors"
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx"
	pb "github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// ErrNotSequential is wrapped by FromONNX errors about graphs that are not
// a chain of the layers this package has.
var ErrNotSequential = errors.New("not a Sequential model onnxkit can train")

// FromONNX turns an ONNX export of a Keras (tf2onnx, keras2onnx) or
// PyTorch Sequential model into a trainable float32 Sequential with the
// same weights. It follows the graph from its input to its output and
// recognises the patterns exporters write:
//
//   - input adapters: NHWC input with a Transpose (0, 3, 1, 2) or, for one
//     channel, a Reshape to [-1, 1, H, W]; an [N, H, W] input with an
//     Unsqueeze or such a Reshape; NCHW and flat [N, K] inputs as they are;
//   - Conv with its bias as input or as a following Add, auto_pad or
//     explicit pads equal to Keras "same" or "valid" → Conv2D;
//   - MaxPool → MaxPool2D; Relu after a layer → its activation;
//   - Flatten or Reshape to [N, K] (constant or computed shape) → Flatten;
//     after a Transpose (0, 2, 3, 1) the flatten is Keras's (h, w, c) order,
//     and the rows of the next Dense kernel are permuted to onnxkit's
//     (c, h, w) order so that the model computes the same function;
//   - MatMul + Add, or Gemm (transB 0 or 1) → Dense; Softmax → Softmax;
//   - Identity and Dropout are dropped.
//
// The returned ExportOptions reproduce the source's input and output names
// and input layout, so ToONNX(model, opt) keeps the file's signature.
func FromONNX(m *onnx.Model) (*Sequential, ExportOptions, error) {
	im := &importer{m: m, g: m.Proto().GetGraph(), consumers: map[string][]*pb.NodeProto{}}
	opt, err := im.run()
	if err != nil {
		return nil, ExportOptions{}, fmt.Errorf("layers: import %s: %w", m.Name(), err)
	}
	seq, err := NewSequential(tensor.Float32, im.input, im.layers...)
	if err != nil {
		return nil, ExportOptions{}, fmt.Errorf("layers: import %s: %w", m.Name(), err)
	}
	for i, l := range im.layers {
		if w := im.weights[i]; w != nil {
			ps := l.Params()
			for j, data := range w {
				dst := ps[j].Value.Data().([]float32)
				if len(dst) != len(data) {
					return nil, ExportOptions{}, fmt.Errorf("layers: import %s: layer %s: %s has %d values, the file %d", m.Name(), l.Name(), ps[j].Name, len(dst), len(data))
				}
				copy(dst, data)
			}
		}
	}
	return seq, opt, nil
}

type importer struct {
	m         *onnx.Model
	g         *pb.GraphProto
	consumers map[string][]*pb.NodeProto

	input   []int // per-sample NCHW (or flat) input shape
	shape   []int // per-sample shape of the current tensor, NCHW order
	layers  []Layer
	weights [][][]float32 // per layer: kernel, bias (nil: none)
	// kerasFlatten marks a Transpose (0, 2, 3, 1) seen after the last
	// spatial layer: the next flatten is in (h, w, c) order.
	kerasFlatten bool
	// permuteRows is set by a Keras-order flatten for the next Dense.
	permuteRows []int
}

func (im *importer) fail(n *pb.NodeProto, format string, args ...any) error {
	return fmt.Errorf("node %q (%s): %s: %w", n.GetName(), n.GetOpType(), fmt.Sprintf(format, args...), ErrNotSequential)
}

// next returns the one node that consumes tensor name, ignoring Shape nodes
// (tf2onnx's dynamic flatten reads the shape of the tensor it flattens).
func (im *importer) next(name string) (*pb.NodeProto, error) {
	var out []*pb.NodeProto
	for _, n := range im.consumers[name] {
		if n.GetOpType() != "Shape" {
			out = append(out, n)
		}
	}
	switch len(out) {
	case 0:
		return nil, fmt.Errorf("tensor %q feeds no node and is not the graph output: %w", name, ErrNotSequential)
	case 1:
		return out[0], nil
	}
	return nil, fmt.Errorf("tensor %q feeds %d nodes (a branch; only chains of layers import): %w", name, len(out), ErrNotSequential)
}

// constant returns an initializer's or Constant node's value as float32s
// (or int64s converted), with its shape.
func (im *importer) constant(name string) (*tensors.Tensor, error) {
	if t, err := im.m.Initializer(name); err == nil {
		return t, nil
	}
	for _, n := range im.g.GetNode() {
		if n.GetOpType() == "Constant" && len(n.GetOutput()) == 1 && n.GetOutput()[0] == name {
			for _, a := range n.GetAttribute() {
				if a.GetName() == "value" && a.GetT() != nil {
					return tensors.FromProto(a.GetT())
				}
			}
		}
	}
	return nil, fmt.Errorf("tensor %q is not a constant (an initializer or Constant node)", name)
}

func floats(t *tensors.Tensor) ([]float32, error) {
	switch t.DType() {
	case tensors.Float32:
		return slices.Clone(tensors.Data[float32](t)), nil
	case tensors.Float64:
		d := tensors.Data[float64](t)
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("weights of type %v, want float32", t.DType())
}

func (im *importer) attrs(n *pb.NodeProto) (*ops.Attrs, error) {
	a, err := ops.NewAttrs(n.GetAttribute(), tensors.FromProto)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", n.GetName(), n.GetOpType(), err)
	}
	return a, nil
}

func (im *importer) add(l Layer, w ...[]float32) {
	im.layers = append(im.layers, l)
	if len(w) == 0 {
		w = nil
	}
	im.weights = append(im.weights, w)
}

func (im *importer) last() Layer {
	if len(im.layers) == 0 {
		return nil
	}
	return im.layers[len(im.layers)-1]
}

func (im *importer) run() (ExportOptions, error) {
	var opt ExportOptions
	if im.g == nil {
		return opt, fmt.Errorf("model has no graph")
	}
	for _, n := range im.g.GetNode() {
		for _, in := range n.GetInput() {
			if in != "" {
				im.consumers[in] = append(im.consumers[in], n)
			}
		}
	}
	opt.Opset = im.m.Opset("")
	if opt.Opset < MinOpset {
		opt.Opset = 13
	}
	opt.Opset = min(opt.Opset, MaxOpset)
	var in onnx.ValueInfo
	count := 0
	for _, v := range im.m.Inputs() {
		if !v.HasDefault {
			in = v
			count++
		}
	}
	outs := im.m.Outputs()
	if count != 1 || len(outs) != 1 {
		return opt, fmt.Errorf("%d inputs and %d outputs, want one of each: %w", count, len(outs), ErrNotSequential)
	}
	opt.InputName, opt.OutputName = in.Name, outs[0].Name
	dims := make([]int, 0, len(in.Type.Dims))
	for i, d := range in.Type.Dims {
		if i == 0 {
			continue // batch
		}
		if !d.Known() {
			return opt, fmt.Errorf("input %q has an unknown dimension %d: %w", in.Name, i, ErrNotSequential)
		}
		dims = append(dims, d.Size)
	}
	cur, err := im.adaptInput(in.Name, dims, &opt)
	if err != nil {
		return opt, err
	}
	im.input = slices.Clone(im.shape)
	for cur != outs[0].Name {
		n, err := im.next(cur)
		if err != nil {
			return opt, err
		}
		if len(n.GetOutput()) == 0 {
			return opt, im.fail(n, "no output")
		}
		if err := im.layer(n, cur); err != nil {
			return opt, err
		}
		cur = n.GetOutput()[0]
	}
	if len(im.layers) == 0 {
		return opt, fmt.Errorf("no layers between input and output: %w", ErrNotSequential)
	}
	return opt, nil
}

// adaptInput recognises the input layout and the nodes that turn it into
// NCHW, and returns the tensor the first layer reads.
func (im *importer) adaptInput(name string, dims []int, opt *ExportOptions) (string, error) {
	switch len(dims) {
	case 1:
		im.shape = dims
		opt.Layout = NCHW
		return name, nil
	case 2, 3:
	default:
		return "", fmt.Errorf("input %q of rank %d, want 2 to 4: %w", name, len(dims)+1, ErrNotSequential)
	}
	n, err := im.next(name)
	if err != nil {
		return "", err
	}
	if len(dims) == 2 { // [N, H, W]: one channel added by Unsqueeze or Reshape
		im.shape = []int{1, dims[0], dims[1]}
		opt.Layout = NHW
		switch n.GetOpType() {
		case "Unsqueeze":
			// NHWC [N, H, W, 1] (axis 3 or -1) or NCHW [N, 1, H, W] (axis 1).
			out := n.GetOutput()[0]
			nn, err := im.next(out)
			if err != nil {
				return "", err
			}
			if isToNCHW(im, nn) {
				return nn.GetOutput()[0], nil
			}
			return out, nil
		case "Reshape":
			return n.GetOutput()[0], nil
		}
		return name, nil
	}
	// Rank 4: NCHW as it is, or NHWC with an adapter.
	if isToNCHW(im, n) {
		im.shape = []int{dims[2], dims[0], dims[1]}
		opt.Layout = NHWC
		return n.GetOutput()[0], nil
	}
	im.shape = dims
	opt.Layout = NCHW
	return name, nil
}

// isToNCHW reports whether n turns an NHWC tensor into NCHW: a Transpose
// (0, 3, 1, 2), or a Reshape to [-1, 1, H, W] of a one-channel image.
func isToNCHW(im *importer, n *pb.NodeProto) bool {
	switch n.GetOpType() {
	case "Transpose":
		a, err := im.attrs(n)
		return err == nil && slices.Equal(a.Ints("perm", nil), []int{0, 3, 1, 2})
	case "Reshape":
		if len(n.GetInput()) < 2 {
			return false
		}
		t, err := im.constant(n.GetInput()[1])
		if err != nil {
			return false
		}
		v, err := tensors.AsInt64s(t)
		return err == nil && len(v) == 4 && v[1] == 1
	}
	return false
}

func (im *importer) layer(n *pb.NodeProto, cur string) error {
	a, err := im.attrs(n)
	if err != nil {
		return err
	}
	switch n.GetOpType() {
	case "Identity", "Dropout":
		return nil
	case "Transpose":
		if len(im.shape) == 3 && slices.Equal(a.Ints("perm", nil), []int{0, 2, 3, 1}) {
			im.kerasFlatten = true
			return nil
		}
		return im.fail(n, "transpose %v inside the model", a.Ints("perm", nil))
	case "Flatten", "Reshape":
		if len(im.shape) != 3 {
			if n.GetOpType() == "Flatten" && len(im.shape) == 1 {
				return nil // already flat
			}
			return im.fail(n, "reshape of a %v tensor: only a flatten of an image is supported", im.shape)
		}
		if n.GetOpType() == "Flatten" && a.Int("axis", 1) != 1 {
			return im.fail(n, "flatten axis %d, want 1", a.Int("axis", 1))
		}
		if n.GetOpType() == "Reshape" {
			if t, err := im.constant(n.GetInput()[1]); err == nil {
				v, _ := tensors.AsInt64s(t)
				if len(v) != 2 {
					return im.fail(n, "reshape to %v, want [N, K]", v)
				}
			}
		}
		c, h, w := im.shape[0], im.shape[1], im.shape[2]
		if im.kerasFlatten {
			// Row (h, w, c) of the next Dense kernel in the file is row
			// (c, h, w) of onnxkit's.
			im.permuteRows = make([]int, c*h*w)
			for ci := 0; ci < c; ci++ {
				for hi := 0; hi < h; hi++ {
					for wi := 0; wi < w; wi++ {
						im.permuteRows[(ci*h+hi)*w+wi] = (hi*w+wi)*c + ci
					}
				}
			}
			im.kerasFlatten = false
		}
		im.add(&Flatten{})
		im.shape = []int{c * h * w}
		return nil
	case "Conv":
		return im.conv(n, a)
	case "MaxPool":
		return im.maxPool(n, a)
	case "MatMul", "Gemm":
		return im.dense(n, a, cur)
	case "Add":
		return im.bias(n, cur)
	case "Relu":
		switch l := im.last().(type) {
		case *Conv2D:
			if l.Activation == "" {
				l.Activation = "relu"
				return nil
			}
		case *Dense:
			if l.Activation == "" {
				l.Activation = "relu"
				return nil
			}
		}
		im.add(&ReLU{})
		return nil
	case "Softmax":
		if len(im.shape) != 1 {
			return im.fail(n, "softmax over a %v tensor, want [N, K]", im.shape)
		}
		if ax := a.Int("axis", -1); ax != -1 && ax != 1 {
			return im.fail(n, "softmax axis %d, want the last", ax)
		}
		im.add(&Softmax{})
		return nil
	}
	return im.fail(n, "operator not supported in a Sequential import (Conv, MaxPool, Relu, Flatten/Reshape, MatMul+Add, Gemm, Softmax, Identity, Dropout are)")
}

// samePadding tells whether pads (begin..., end...) are Keras "same" or
// "valid" for input size in, kernel k and stride s on both axes.
func samePadding(pads []int, h, w, kh, kw, sh, sw int) (string, bool) {
	if len(pads) == 0 || slices.Equal(pads, []int{0, 0, 0, 0}) {
		return "valid", true
	}
	t, b := samePads(h, kh, sh)
	l, r := samePads(w, kw, sw)
	if slices.Equal(pads, []int{t, l, b, r}) {
		return "same", true
	}
	return "", false
}

func (im *importer) padding(n *pb.NodeProto, a *ops.Attrs, kh, kw, sh, sw int) (string, error) {
	switch a.Str("auto_pad", "NOTSET") {
	case "VALID":
		return "valid", nil
	case "SAME_UPPER":
		return "same", nil
	case "NOTSET":
		if p, ok := samePadding(a.Ints("pads", nil), im.shape[1], im.shape[2], kh, kw, sh, sw); ok {
			return p, nil
		}
		return "", im.fail(n, "pads %v are neither Keras same nor valid", a.Ints("pads", nil))
	}
	return "", im.fail(n, "auto_pad %s not supported", a.Str("auto_pad", ""))
}

func ones(v []int) bool {
	for _, x := range v {
		if x != 1 {
			return false
		}
	}
	return true
}

func (im *importer) conv(n *pb.NodeProto, a *ops.Attrs) error {
	if len(im.shape) != 3 {
		return im.fail(n, "convolution of a %v tensor, want [C, H, W]", im.shape)
	}
	if a.Int("group", 1) != 1 || !ones(a.Ints("dilations", nil)) {
		return im.fail(n, "group %d or dilations %v: only plain convolutions import", a.Int("group", 1), a.Ints("dilations", nil))
	}
	wt, err := im.constant(n.GetInput()[1])
	if err != nil {
		return im.fail(n, "%v", err)
	}
	ws := wt.Shape()
	if len(ws) != 4 || ws[1] != im.shape[0] {
		return im.fail(n, "kernel shape %v for a %v input", ws, im.shape)
	}
	st := a.Ints("strides", []int{1, 1})
	if len(st) != 2 {
		return im.fail(n, "strides %v", st)
	}
	pad, err := im.padding(n, a, ws[2], ws[3], st[0], st[1])
	if err != nil {
		return err
	}
	w, err := floats(wt)
	if err != nil {
		return im.fail(n, "%v", err)
	}
	b := make([]float32, ws[0])
	if len(n.GetInput()) > 2 && n.GetInput()[2] != "" {
		bt, err := im.constant(n.GetInput()[2])
		if err != nil {
			return im.fail(n, "%v", err)
		}
		if b, err = floats(bt); err != nil || len(b) != ws[0] {
			return im.fail(n, "bias of %d values for %d filters", len(b), ws[0])
		}
	}
	l := &Conv2D{Filters: ws[0], Kernel: [2]int{ws[2], ws[3]}, Strides: [2]int{st[0], st[1]}, Padding: pad}
	out, err := l.OutputShape(im.shape)
	if err != nil {
		return im.fail(n, "%v", err)
	}
	im.add(l, w, b)
	im.shape = out
	return nil
}

func (im *importer) maxPool(n *pb.NodeProto, a *ops.Attrs) error {
	if len(im.shape) != 3 {
		return im.fail(n, "pooling of a %v tensor", im.shape)
	}
	k := a.Ints("kernel_shape", nil)
	st := a.Ints("strides", []int{1, 1})
	if len(k) != 2 || len(st) != 2 || a.Int("ceil_mode", 0) != 0 || !ones(a.Ints("dilations", nil)) || a.Int("storage_order", 0) != 0 {
		return im.fail(n, "kernel %v, strides %v, ceil_mode or dilations not supported", k, st)
	}
	pad, err := im.padding(n, a, k[0], k[1], st[0], st[1])
	if err != nil {
		return err
	}
	l := &MaxPool2D{Pool: [2]int{k[0], k[1]}, Strides: [2]int{st[0], st[1]}, Padding: pad}
	out, err := l.OutputShape(im.shape)
	if err != nil {
		return im.fail(n, "%v", err)
	}
	im.add(l)
	im.shape = out
	return nil
}

func (im *importer) dense(n *pb.NodeProto, a *ops.Attrs, cur string) error {
	if len(im.shape) != 1 {
		return im.fail(n, "dense layer on a %v tensor; flatten first", im.shape)
	}
	if n.GetInput()[0] != cur {
		return im.fail(n, "the weights are the first operand")
	}
	wt, err := im.constant(n.GetInput()[1])
	if err != nil {
		return im.fail(n, "%v", err)
	}
	ws := wt.Shape()
	w, err := floats(wt)
	if err != nil || len(ws) != 2 {
		return im.fail(n, "weights of shape %v: %v", ws, err)
	}
	in, out := ws[0], ws[1]
	var b []float32
	if n.GetOpType() == "Gemm" {
		if a.Int("transA", 0) != 0 || a.Float("alpha", 1) != 1 || a.Float("beta", 1) != 1 {
			return im.fail(n, "transA, alpha or beta other than 0, 1, 1")
		}
		if a.Int("transB", 0) == 1 {
			in, out = ws[1], ws[0]
			t := make([]float32, len(w))
			for i := 0; i < out; i++ {
				for j := 0; j < in; j++ {
					t[j*out+i] = w[i*in+j]
				}
			}
			w = t
		}
		if len(n.GetInput()) > 2 && n.GetInput()[2] != "" {
			bt, err := im.constant(n.GetInput()[2])
			if err != nil {
				return im.fail(n, "%v", err)
			}
			if b, err = floats(bt); err != nil || len(b) != out {
				return im.fail(n, "bias of %d values for %d units", len(b), out)
			}
		}
	}
	if in != im.shape[0] {
		return im.fail(n, "weights %v for %d inputs", ws, im.shape[0])
	}
	if p := im.permuteRows; p != nil {
		if len(p) != in {
			return im.fail(n, "internal: row permutation of %d for %d inputs", len(p), in)
		}
		t := make([]float32, len(w))
		for r, src := range p {
			copy(t[r*out:(r+1)*out], w[src*out:(src+1)*out])
		}
		w = t
		im.permuteRows = nil
	}
	if b == nil {
		b = make([]float32, out)
	}
	im.add(&Dense{Units: out}, w, b)
	im.shape = []int{out}
	return nil
}

// bias folds an Add of a constant into the bias of the layer before it.
func (im *importer) bias(n *pb.NodeProto, cur string) error {
	other := n.GetInput()[1]
	if other == cur {
		other = n.GetInput()[0]
	}
	bt, err := im.constant(other)
	if err != nil {
		return im.fail(n, "%v", err)
	}
	b, err := floats(bt)
	if err != nil {
		return im.fail(n, "%v", err)
	}
	i := len(im.layers) - 1
	switch l := im.last().(type) {
	case *Conv2D:
		if len(b) != l.Filters || l.Activation != "" || !allZero(im.weights[i][1]) {
			return im.fail(n, "add of %v after a convolution that has a bias or activation", bt.Shape())
		}
		im.weights[i][1] = b
		return nil
	case *Dense:
		if len(b) != l.Units || l.Activation != "" || !allZero(im.weights[i][1]) {
			return im.fail(n, "add of %v after a dense layer that has a bias or activation", bt.Shape())
		}
		im.weights[i][1] = b
		return nil
	}
	return im.fail(n, "add not after a convolution or dense layer")
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
