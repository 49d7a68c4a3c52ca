package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// imageFeed prepares pictures for an image classifier's single input: the
// size, channels, pixel scale and layout it was trained with, read from
// the metadata onnxkit exports, else from flags and the input's shape.
type imageFeed struct {
	input            string
	dtype            tensors.DType
	channels, height int
	width            int
	scale            int    // 1: [0,1]; 255: raw 0..255
	layout           string // nchw, nhwc, nhw or flat
	fixedBatch       int    // > 0 when the input's batch size is fixed
	output           string
	classes          []string // class names, label order (may be nil)
	fromMetadata     bool
}

// newImageFeed works out how to feed pictures to m. scale and layout are
// the --scale and --layout flags ("changed" says whether they were given;
// given flags win over metadata).
func newImageFeed(m *onnx.Model, path string, scale int, scaleSet bool, layout string) (*imageFeed, error) {
	ins := realInputs(m)
	if len(ins) != 1 {
		return nil, fmt.Errorf("%s has %d inputs to feed (%s); pictures go to a model with a single image input", path, len(ins), valueNames(ins))
	}
	in := ins[0]
	if in.Type.DType != tensors.Undefined && in.Type.DType != tensors.Float32 && in.Type.DType != tensors.Float64 {
		return nil, fmt.Errorf("%s: input %q takes %v; pictures are fed as float32 or float64", path, in.Name, in.Type.DType)
	}
	outs := m.Outputs()
	if len(outs) != 1 {
		return nil, fmt.Errorf("%s has %d outputs; want one output of class scores", path, len(outs))
	}
	f := &imageFeed{input: in.Name, dtype: in.Type.DType, output: outs[0].Name, scale: 1}
	if in.Type.RankKnown && len(in.Type.Dims) > 0 && in.Type.Dims[0].Known() {
		f.fixedBatch = in.Type.Dims[0].Size
	}
	meta := metadataOf(m)
	if s, ok := meta[metaClasses]; ok {
		if err := json.Unmarshal([]byte(s), &f.classes); err != nil {
			return nil, fmt.Errorf("%s: metadata %s is not a JSON list of names: %v", path, metaClasses, err)
		}
	}
	atoi := func(key string) int {
		n, err := strconv.Atoi(meta[key])
		if err != nil {
			return 0
		}
		return n
	}
	if c, h, w := atoi(metaChannels), atoi(metaHeight), atoi(metaWidth); (c == 1 || c == 3) && h > 0 && w > 0 && h <= 4096 && w <= 4096 {
		f.channels, f.height, f.width, f.fromMetadata = c, h, w, true
		f.layout = meta[metaLayout]
		if meta[metaScale] == "255" {
			f.scale = 255
		}
	}
	if scaleSet {
		if scale != 1 && scale != 255 {
			return nil, usageError{fmt.Errorf("--scale %d: want 1 or 255", scale)}
		}
		f.scale = scale
	}
	if layout != "" && layout != layoutAuto {
		f.layout = layout
	}
	if !f.fromMetadata || f.layout == "" {
		if err := f.fromShape(in, f.layout); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	switch f.layout {
	case layoutNCHW, layoutNHWC, layoutNHW, layoutFlat:
	default:
		return nil, usageError{fmt.Errorf("layout %q: want nchw, nhwc, nhw or flat", f.layout)}
	}
	if (f.layout == layoutNHW || f.layout == layoutFlat) && f.channels != 1 {
		return nil, fmt.Errorf("%s: layout %s holds one channel, the model takes %d", path, f.layout, f.channels)
	}
	return f, nil
}

// fromShape infers size, channels and layout from the input's declared
// shape: [N,C,H,W] or [N,H,W,C] with 1 or 3 channels, [N,H,W] grey, or
// [N,784] for a flat 28x28 MNIST model. Unknown sizes are MNIST's.
func (f *imageFeed) fromShape(in onnx.ValueInfo, layout string) error {
	if !in.Type.RankKnown {
		return fmt.Errorf("input %q has no declared shape; give --layout", in.Name)
	}
	d := in.Type.Dims
	size := func(i, def int) int {
		if i < len(d) && d[i].Known() && d[i].Size > 0 {
			return d[i].Size
		}
		return def
	}
	isCh := func(i int) bool { return i < len(d) && d[i].Known() && (d[i].Size == 1 || d[i].Size == 3) }
	if layout == "" {
		switch {
		case len(d) == 4 && isCh(1) && !(isCh(3) && size(1, 0) == 3):
			layout = layoutNCHW
		case len(d) == 4 && isCh(3):
			layout = layoutNHWC
		case len(d) == 3:
			layout = layoutNHW
		case len(d) == 2:
			layout = layoutFlat
		default:
			return fmt.Errorf("input %q has shape %s, not a batch of images in a layout onnxkit knows (nchw, nhwc, nhw, flat); give --layout", in.Name, formatDims(in.Type))
		}
	}
	f.layout = layout
	switch layout {
	case layoutNCHW:
		f.channels, f.height, f.width = size(1, 1), size(2, 28), size(3, 28)
	case layoutNHWC:
		f.channels, f.height, f.width = size(3, 1), size(1, 28), size(2, 28)
	case layoutNHW:
		f.channels, f.height, f.width = 1, size(1, 28), size(2, 28)
	case layoutFlat:
		n := size(1, 784)
		side := int(math.Round(math.Sqrt(float64(n))))
		if side*side != n {
			return fmt.Errorf("input %q takes %d values, not a square grey image", in.Name, n)
		}
		f.channels, f.height, f.width = 1, side, side
	default:
		return usageError{fmt.Errorf("--layout %q: want nchw, nhwc, nhw or flat", layout)}
	}
	if f.channels != 1 && f.channels != 3 {
		return fmt.Errorf("input %q has %d channels; pictures have 1 or 3", in.Name, f.channels)
	}
	return nil
}

// shape is the input shape of n images.
func (f *imageFeed) shape(n int) []int {
	switch f.layout {
	case layoutNHWC:
		return []int{n, f.height, f.width, f.channels}
	case layoutNHW:
		return []int{n, f.height, f.width}
	case layoutFlat:
		return []int{n, f.height * f.width}
	}
	return []int{n, f.channels, f.height, f.width}
}

// tensor makes the input of n channels-first images scaled to [0,1]
// (padded with blank rows to a fixed batch size).
func (f *imageFeed) tensor(chw []float32, n int) (*tensors.Tensor, int, error) {
	rows := n
	if f.fixedBatch > 0 {
		if n > f.fixedBatch {
			return nil, 0, fmt.Errorf("%d images for a model with a fixed batch of %d", n, f.fixedBatch)
		}
		rows = f.fixedBatch
	}
	in := []int{f.channels, f.height, f.width}
	lay := layers.NCHW
	if f.layout == layoutNHWC {
		lay = layers.NHWC
	}
	v := toLayout(chw, n, in, lay)
	v = append(v, make([]float32, (rows-n)*f.channels*f.height*f.width)...)
	if f.scale == 255 {
		for i, p := range v {
			v[i] = float32(math.Round(float64(p) * 255))
		}
	}
	if f.dtype == tensors.Float64 {
		v64 := make([]float64, len(v))
		for i, p := range v {
			v64[i] = float64(p)
		}
		t, err := tensors.New(f.shape(rows), v64)
		return t, rows, err
	}
	t, err := tensors.New(f.shape(rows), v)
	return t, rows, err
}

// className is the name of class i: from the metadata, else its index.
func (f *imageFeed) className(i int) string {
	if i < len(f.classes) {
		return f.classes[i]
	}
	return strconv.Itoa(i)
}

// toLayout copies n channels-first images of shape in ([C, H, W]) into
// the order of layout: NHWC interleaves the channels, other layouts keep
// the order (with one channel every layout holds the same values).
func toLayout(chw []float32, n int, in []int, layout layers.Layout) []float32 {
	out := make([]float32, len(chw))
	if layout != layers.NHWC || len(in) != 3 || in[0] == 1 {
		copy(out, chw)
		return out
	}
	c, plane := in[0], in[1]*in[2]
	for i := 0; i < n; i++ {
		src, dst := chw[i*c*plane:(i+1)*c*plane], out[i*c*plane:(i+1)*c*plane]
		for ch := 0; ch < c; ch++ {
			for p := 0; p < plane; p++ {
				dst[p*c+ch] = src[ch*plane+p]
			}
		}
	}
	return out
}

// scores runs the model on n images and returns each image's class
// scores, made probabilities with a softmax when they are not already.
func (f *imageFeed) scores(m *onnx.Model, chw []float32, n int) ([][]float64, error) {
	var out [][]float64
	size := f.channels * f.height * f.width
	batch := 64
	if f.fixedBatch > 0 {
		batch = f.fixedBatch
	}
	for from := 0; from < n; from += batch {
		k := min(batch, n-from)
		x, rows, err := f.tensor(chw[from*size:(from+k)*size], k)
		if err != nil {
			return nil, err
		}
		res, err := m.RunTensorsContext(runCtx, map[string]*tensors.Tensor{f.input: x}, f.output)
		if err != nil {
			return nil, err
		}
		t := res[f.output]
		if t.Len() == 0 || t.Rank() == 0 || t.Shape()[0] != rows || t.Len()%rows != 0 {
			return nil, fmt.Errorf("output %q has shape %s for %d images; want [%d, classes]", f.output, tensors.FormatShape(t.Shape()), rows, rows)
		}
		v, err := tensors.AsFloat64s(t)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", f.output, err)
		}
		classes := t.Len() / rows
		for i := 0; i < k; i++ {
			out = append(out, probabilities(v[i*classes:(i+1)*classes]))
		}
	}
	return out, nil
}

// probabilities returns row as is when it already sums to 1 with no
// negative entry (a softmax output), otherwise its softmax (logits).
func probabilities(row []float64) []float64 {
	sum, neg := 0.0, false
	for _, v := range row {
		sum += v
		neg = neg || v < 0
	}
	if !neg && math.Abs(sum-1) < 1e-3 {
		return row
	}
	mx := math.Inf(-1)
	for _, v := range row {
		mx = max(mx, v)
	}
	out := make([]float64, len(row))
	var z float64
	for i, v := range row {
		out[i] = math.Exp(v - mx)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}
