package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

// layoutShape returns the input shape of n images in a layout.
func layoutShape(layout string, n int) []int {
	switch layout {
	case layoutNCHW:
		return []int{n, 1, 28, 28}
	case layoutNHWC:
		return []int{n, 28, 28, 1}
	case layoutFlat:
		return []int{n, 784}
	}
	return []int{n, 28, 28}
}

// dimIs reports whether a static dimension may be size.
func dimIs(d tensors.Dim, size int) bool { return !d.Known() || d.Size == size }

// guessLayout picks the layout that fits an input's declared shape.
func guessLayout(name string, t tensors.Type) (string, error) {
	fail := func() (string, error) {
		return "", fmt.Errorf("input %q has shape %s, which is not a batch of 28x28 MNIST images in a layout onnxkit knows (nchw, nhwc, flat, nhw); give --layout to feed it anyway",
			name, formatDims(t))
	}
	if !t.RankKnown {
		return "", fmt.Errorf("input %q has no declared shape; give --layout (nchw, nhwc, flat or nhw)", name)
	}
	d := t.Dims
	switch len(d) {
	case 2:
		if dimIs(d[1], 784) {
			return layoutFlat, nil
		}
	case 3:
		if dimIs(d[1], 28) && dimIs(d[2], 28) {
			return layoutNHW, nil
		}
	case 4:
		nchw := dimIs(d[1], 1) && dimIs(d[2], 28) && dimIs(d[3], 28)
		nhwc := dimIs(d[1], 28) && dimIs(d[2], 28) && dimIs(d[3], 1)
		switch {
		case nchw && nhwc:
			return "", fmt.Errorf("input %q has shape %s: nchw or nhwc? give --layout", name, formatDims(t))
		case nchw:
			return layoutNCHW, nil
		case nhwc:
			return layoutNHWC, nil
		}
	}
	return fail()
}

// mnistFeed feeds MNIST test images to a model's single image input, in
// the input's layout, and reads the class scores back. eval, compare and
// verify share it.
type mnistFeed struct {
	in     onnx.ValueInfo
	layout string
	output string
	scale  int
	batch  int
	fixed  bool // the input has a fixed batch size; short batches are padded
}

// newMNISTFeed checks that m takes one batch of images and picks the
// layout (guessed from the input's shape for "auto") and the output.
func newMNISTFeed(m *onnx.Model, path, layout, output string, scale, batch int) (*mnistFeed, error) {
	ins := realInputs(m)
	if len(ins) != 1 {
		return nil, fmt.Errorf("%s has %d inputs to feed (%s); MNIST images go to a model with a single image input", path, len(ins), valueNames(ins))
	}
	in := ins[0]
	if in.Type.DType != tensors.Undefined && in.Type.DType != tensors.Float32 && in.Type.DType != tensors.Float64 {
		return nil, fmt.Errorf("input %q takes %v; MNIST images are fed as float32 or float64", in.Name, in.Type.DType)
	}
	if layout == layoutAuto {
		var err error
		if layout, err = guessLayout(in.Name, in.Type); err != nil {
			return nil, err
		}
	}
	if output == "" {
		outs := m.Outputs()
		if len(outs) != 1 {
			return nil, usageError{fmt.Errorf("%s has %d outputs; pick the class scores with --output (outputs: %s)", path, len(outs), valueNames(outs))}
		}
		output = outs[0].Name
	} else if _, ok := m.ValueType(output); !ok {
		return nil, fmt.Errorf("--output %q: %s has no such value (outputs: %s)", output, path, valueNames(m.Outputs()))
	}
	f := &mnistFeed{in: in, layout: layout, output: output, scale: scale, batch: batch}
	if f.fixed = in.Type.RankKnown && len(in.Type.Dims) > 0 && in.Type.Dims[0].Known(); f.fixed {
		f.batch = in.Type.Dims[0].Size
		if f.batch == 0 {
			return nil, fmt.Errorf("input %q has a batch dimension of 0", in.Name)
		}
	}
	return f, nil
}

// each calls fn with every batch of test images: the first image's index,
// the number of images n, and the input tensor (rows ≥ n rows when the
// batch size is fixed: the rest is blank).
func (f *mnistFeed) each(test *mnist.Set, fn func(from, n, rows int, x *tensors.Tensor) error) error {
	if test.Rows != 28 || test.Cols != 28 {
		return fmt.Errorf("MNIST test images are %dx%d, want 28x28", test.Rows, test.Cols)
	}
	for from := 0; from < test.N; from += f.batch {
		n := min(f.batch, test.N-from)
		rows := n
		if f.fixed {
			rows = f.batch
		}
		x, err := imageBatch(test.Images[from*784:(from+n)*784], rows, f.layout, f.in.Type.DType, f.scale)
		if err != nil {
			return err
		}
		if err := fn(from, n, rows, x); err != nil {
			return fmt.Errorf("images %d to %d: %w", from, from+n-1, err)
		}
	}
	return nil
}

// scoresOf checks that an output holds [rows, classes] scores and returns
// them as float64.
func (f *mnistFeed) scoresOf(t *tensors.Tensor, rows int) ([]float64, int, error) {
	if t.Len() == 0 || t.Len()%rows != 0 || t.Rank() == 0 || t.Shape()[0] != rows {
		return nil, 0, fmt.Errorf("output %q has shape %s for a batch of %d images; want [%d, classes] (pick another value with --output)",
			f.output, tensors.FormatShape(t.Shape()), rows, rows)
	}
	v, err := tensors.AsFloat64s(t)
	if err != nil {
		return nil, 0, fmt.Errorf("output %q: %w", f.output, err)
	}
	return v, t.Len() / rows, nil
}

// predict runs m on the test images and returns the argmax class of each.
func (f *mnistFeed) predict(m *onnx.Model, test *mnist.Set) (pred []int, scores [][]float64, err error) {
	err = f.each(test, func(from, n, rows int, x *tensors.Tensor) error {
		res, err := m.RunTensorsContext(runCtx, map[string]*tensors.Tensor{f.in.Name: x}, f.output)
		if err != nil {
			return err
		}
		v, k, err := f.scoresOf(res[f.output], rows)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			row := v[i*k : (i+1)*k]
			pred = append(pred, argmax64(row))
			scores = append(scores, row)
		}
		return nil
	})
	return pred, scores, err
}

// describe is the feed's one-line summary.
func (f *mnistFeed) describe() string {
	return fmt.Sprintf("%s %s, layout %s, pixels %s, batch %d", f.in.Name, formatType(f.in.Type), f.layout,
		map[int]string{1: "scaled to [0,1]", 255: "raw 0..255"}[f.scale], f.batch)
}

// loadTestImages reads the MNIST test set (embedded, or from dir), limited
// to the first limit images when limit > 0.
func loadTestImages(dir string, limit int) (*mnist.Set, error) {
	_, test, err := mnist.Load(dir)
	if err != nil {
		return nil, err
	}
	if limit > 0 && limit < test.N {
		test = test.Slice(0, limit)
	}
	return test, nil
}

func checkFeedFlags(limit, batch, scale int, layout string) (string, error) {
	switch {
	case limit < 0:
		return "", usageError{fmt.Errorf("--limit %d: want 0 (all) or more", limit)}
	case batch <= 0:
		return "", usageError{fmt.Errorf("--batch %d: want at least 1", batch)}
	case scale != 1 && scale != 255:
		return "", usageError{fmt.Errorf("--scale %d: want 1 ([0,1] pixels) or 255 (raw pixels)", scale)}
	}
	layout = strings.ToLower(layout)
	switch layout {
	case layoutAuto, layoutNCHW, layoutNHWC, layoutFlat, layoutNHW:
		return layout, nil
	}
	return "", usageError{fmt.Errorf("--layout %q: want auto, nchw, nhwc, flat or nhw", layout)}
}

// imageBatch builds the input tensor of rows images (the pixels of the
// first len(pix)/784 of them, the rest blank) in a layout.
func imageBatch(pix []float32, rows int, layout string, dt tensors.DType, scale int) (*tensors.Tensor, error) {
	shape := layoutShape(layout, rows)
	// With one channel every layout holds the same bytes in the same order.
	if dt == tensors.Float64 {
		x, data, err := tensors.Make[float64](shape)
		if err != nil {
			return nil, err
		}
		for i, p := range pix {
			data[i] = scalePixel(p, scale)
		}
		return x, nil
	}
	x, data, err := tensors.Make[float32](shape)
	if err != nil {
		return nil, err
	}
	for i, p := range pix {
		data[i] = float32(scalePixel(p, scale))
	}
	return x, nil
}

// scalePixel turns a [0,1] pixel into the value fed to the model. Raw
// pixels are recovered exactly (they were bytes divided by 255).
func scalePixel(p float32, scale int) float64 {
	if scale == 255 {
		return math.Round(float64(p) * 255)
	}
	return float64(p)
}
