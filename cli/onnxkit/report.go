package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"github.com/onnxkit/onnxkit/report"
	"github.com/onnxkit/onnxkit/trainer"
	"github.com/onnxkit/onnxkit/trainer/imagefolder"
	"github.com/onnxkit/onnxkit/trainer/mnist"
	"github.com/onnxkit/onnxkit/trainer/tensorboard"
)

type reportFlags struct {
	logdir, data, out, layout string
	image, limit, scale       int
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report MODEL -o report.html",
		Short: "Write one self-contained HTML page showing what an image classifier learned",
		Long: `Write an HTML report of an image classifier: the Keras-style summary of its nodes,
its training curves (loss and accuracy per epoch, training and validation, from
the TensorBoard event files in --logdir), every convolution's kernels as a grid
of small images, the feature maps of every convolution and pooling layer for
one test image (--image N), the confusion matrix on the test set and the most
confidently wrong test images. Images are inlined, so the page is one file.

The test set is the test folder of an image folder or the IDX files in --data,
or by default the embedded MNIST test set when the model takes 28x28 grey
images. Parts that do not apply to a model are left out with a note.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.out == "" {
				return usageError{errors.New("give the output file with -o report.html")}
			}
			if f.image < 0 || f.limit < 0 {
				return usageError{fmt.Errorf("--image %d and --limit %d must not be negative", f.image, f.limit)}
			}
			if err := checkWritable(f.out); err != nil {
				return err
			}
			m, err := loadModel(args[0])
			if err != nil {
				return err
			}
			feed, err := newImageFeed(m, args[0], f.scale, cmd.Flags().Changed("scale"), f.layout)
			if err != nil {
				return err
			}
			test, note, err := reportTestSet(feed, f.data, f.limit)
			if err != nil {
				return err
			}
			r, err := buildReport(m, args[0], feed, f.logdir, test, note, f.image)
			if err != nil {
				return err
			}
			return writeReport(cmd.OutOrStdout(), r, f.out)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "", "HTML file to write")
	fl.StringVar(&f.logdir, "logdir", "", "TensorBoard log directory of the training run (train/ and validation/ event files)")
	fl.StringVar(&f.data, "data", "", "test data: an image folder (DIR/test/<class>/...) or IDX files; default: the embedded MNIST test set for 28x28 grey models")
	fl.IntVar(&f.image, "image", 0, "index of the test image whose feature maps are shown")
	fl.IntVar(&f.limit, "limit", 0, "use the first N test images only (0 = all)")
	fl.IntVar(&f.scale, "scale", 1, "pixel scale when the model does not record it: 1 feeds [0,1], 255 raw pixels 0..255")
	fl.StringVar(&f.layout, "layout", layoutAuto, "input layout when the model does not record it: auto, nchw, nhwc, nhw or flat")
	return cmd
}

// testImages are test pictures prepared for a model: channels first,
// scaled to [0,1], with labels in the model's class order.
type testImages struct {
	x       []float32
	labels  []int
	files   []string // may be nil
	classes []string // names of the labels
	n       int
}

// reportTestSet reads the test set for a report, or says why there is none.
func reportTestSet(feed *imageFeed, dir string, limit int) (*testImages, string, error) {
	if dir != "" && imagefolder.IsImageFolder(dir) {
		if _, err := os.Stat(filepath.Join(dir, imagefolder.TestDir)); err != nil {
			return nil, fmt.Sprintf("%s has no test folder: no confusion matrix or feature maps.", dir), nil
		}
		_, test, err := imagefolder.Load(dir, imagefolder.Options{Width: feed.width, Height: feed.height, Channels: feed.channels})
		if err != nil {
			return nil, "", err
		}
		t := &testImages{x: test.X, labels: test.Labels, files: test.Files, classes: test.Classes, n: test.Len()}
		if feed.classes != nil { // the model's order
			index := map[string]int{}
			for i, c := range feed.classes {
				index[c] = i
			}
			for i, l := range t.labels {
				j, ok := index[test.Classes[l]]
				if !ok {
					return nil, "", fmt.Errorf("%s: class %q is not one of the model's classes (%s)", test.Files[i], test.Classes[l], strings.Join(feed.classes, ", "))
				}
				t.labels[i] = j
			}
			t.classes = feed.classes
		}
		return t.limit(limit), "", nil
	}
	if feed.channels != 1 || feed.height != 28 || feed.width != 28 {
		if dir == "" {
			return nil, fmt.Sprintf("The model takes %dx%d images with %d channels; give --data DIR with a test folder for test results.", feed.width, feed.height, feed.channels), nil
		}
		return nil, "", fmt.Errorf("%s holds 28x28 grey IDX images; the model takes %dx%d with %d channels", dir, feed.width, feed.height, feed.channels)
	}
	_, test, err := mnist.Load(dir)
	if err != nil {
		return nil, "", err
	}
	x, labels := trainer.Flatten(test)
	t := &testImages{x: x, labels: labels, n: test.Len()}
	return t.limit(limit), "", nil
}

func (t *testImages) limit(n int) *testImages {
	if n <= 0 || n >= t.n {
		return t
	}
	size := len(t.x) / t.n
	t.x, t.labels, t.n = t.x[:n*size], t.labels[:n], n
	if t.files != nil {
		t.files = t.files[:n]
	}
	return t
}

// testImagesOf prepares a trainer.Dataset (already in the model's shape).
func testImagesOf(d trainer.Dataset, classes []string) *testImages {
	x, labels := trainer.Flatten(d)
	t := &testImages{x: x, labels: labels, classes: classes, n: d.Len()}
	if s, ok := d.(*imagefolder.Set); ok {
		t.files = s.Files
	}
	return t
}

// writeReport renders r and writes it to path atomically.
func writeReport(w io.Writer, r *report.Report, path string) error {
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	fmt.Fprintf(w, "Wrote %s (%d KiB)\n", path, (b.Len()+1023)/1024)
	return nil
}

// trainReport writes train --report from the trained model, in memory.
func trainReport(w io.Writer, f trainFlags, model *layers.Sequential, exp layers.ExportOptions, meta map[string]string, test trainer.Dataset) error {
	exp.Metadata = meta
	mp, err := layers.ToONNX(model, exp)
	if err != nil {
		return err
	}
	name := f.out
	if name == "" {
		name = "trained model"
	}
	m, err := onnx.FromProto(name, mp)
	if err != nil {
		return fmt.Errorf("report %s: %w", f.report, err)
	}
	feed, err := newImageFeed(m, name, 1, false, layoutAuto)
	if err != nil {
		return fmt.Errorf("report %s: %w", f.report, err)
	}
	var t *testImages
	note := "No test set: no confusion matrix or feature maps."
	if test != nil {
		t, note = testImagesOf(test, feed.classes), ""
	}
	logdir := f.logdir
	r, err := buildReport(m, name, feed, logdir, t, note, 0)
	if err != nil {
		return err
	}
	return writeReport(w, r, f.report)
}

// buildReport gathers every part of the report that applies to m.
func buildReport(m *onnx.Model, path string, feed *imageFeed, logdir string, test *testImages, testNote string, image int) (*report.Report, error) {
	mp := m.Proto()
	r := &report.Report{Title: filepath.Base(path)}
	producer := strings.TrimSpace(mp.GetProducerName() + " " + mp.GetProducerVersion())
	r.Facts = append(r.Facts,
		[2]string{"File", path},
		[2]string{"Producer", producer},
		[2]string{"Opset", strconv.Itoa(m.Opset(""))},
		[2]string{"Input", fmt.Sprintf("%s: %dx%d, %d channel(s), layout %s, pixels %s", feed.input, feed.width, feed.height, feed.channels, feed.layout,
			map[int]string{1: "scaled to [0,1]", 255: "raw 0..255"}[feed.scale])},
	)
	if feed.classes != nil {
		r.Facts = append(r.Facts, [2]string{"Classes", strings.Join(feed.classes, ", ")})
	}
	for _, p := range mp.GetMetadataProps() {
		r.Metadata = append(r.Metadata, [2]string{p.GetKey(), p.GetValue()})
	}
	r.Summary = summaryOf(m)

	if logdir == "" {
		r.CurvesNote = "No training logs: give --logdir DIR (the TensorBoard folder of the training run)."
	} else if png, err := curvesPNG(logdir); err != nil {
		return nil, err
	} else {
		r.Curves = png
	}

	if err := addKernels(r, m); err != nil {
		return nil, err
	}

	if test == nil || test.n == 0 {
		r.TestNote, r.FeaturesNote = testNote, testNote
		if testNote == "" {
			r.TestNote, r.FeaturesNote = "No test images.", "No test images."
		}
		return r, nil
	}
	if image >= test.n {
		return nil, usageError{fmt.Errorf("--image %d: the test set has %d images", image, test.n)}
	}
	probs, err := feed.scores(m, test.x, test.n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	k := len(probs[0])
	classes := test.classes
	if len(classes) < k {
		classes = make([]string, k)
		for i := range classes {
			classes[i] = feed.className(i)
		}
	}
	classes = classes[:k]
	conf := &report.Confusion{Classes: classes, Counts: make([][]int, k)}
	for i := range conf.Counts {
		conf.Counts[i] = make([]int, k)
	}
	size := feed.channels * feed.height * feed.width
	type wrong struct {
		i, pred int
		p       float64
	}
	var wrongs []wrong
	for i, row := range probs {
		pred := argmax64(row)
		l := test.labels[i]
		if l < 0 || l >= k {
			return nil, fmt.Errorf("%s: test label %d, the model has %d classes", path, l, k)
		}
		conf.Counts[l][pred]++
		if pred != l {
			wrongs = append(wrongs, wrong{i, pred, row[pred]})
		}
	}
	r.Confusion = conf
	sort.SliceStable(wrongs, func(a, b int) bool { return wrongs[a].p > wrongs[b].p })
	for _, wr := range wrongs[:min(len(wrongs), 12)] {
		png, err := report.ImagePNG(test.x[wr.i*size:(wr.i+1)*size], feed.channels, feed.height, feed.width, zoomFor(feed.height, 84))
		if err != nil {
			return nil, err
		}
		mk := report.Mistake{Index: wr.i, PNG: png, True: classes[test.labels[wr.i]], Predicted: classes[wr.pred], Prob: wr.p}
		if test.files != nil {
			mk.File = filepath.Base(test.files[wr.i])
		}
		r.Mistakes = append(r.Mistakes, mk)
	}
	if len(wrongs) == 0 {
		r.TestNote = "No test image is misclassified."
	}

	x := test.x[image*size : (image+1)*size]
	in, err := report.ImagePNG(x, feed.channels, feed.height, feed.width, zoomFor(feed.height, 112))
	if err != nil {
		return nil, err
	}
	caption := fmt.Sprintf("Test image #%d: true class %s, predicted %s (%.1f%%)", image, classes[test.labels[image]], classes[argmax64(probs[image])], 100*probs[image][argmax64(probs[image])])
	if test.files != nil {
		caption += ", " + filepath.Base(test.files[image])
	}
	r.Input = &report.Figure{Caption: caption, PNG: in}
	if err := addFeatureMaps(r, m, feed, x); err != nil {
		return nil, err
	}
	return r, nil
}

// zoomFor is the zoom that draws an image of h rows about px pixels tall.
func zoomFor(h, px int) int { h = max(h, 1); return max(1, (px+h-1)/h) }

// summaryOf is the Keras-style table: one row per node with its output
// shape and the parameters it reads first.
func summaryOf(m *onnx.Model) *report.Summary {
	g := m.Proto().GetGraph()
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = t
	}
	s := &report.Summary{}
	counted := map[string]bool{}
	var total int64
	for i, n := range g.GetNode() {
		name := n.GetName()
		if name == "" {
			name = "#" + strconv.Itoa(i)
		}
		var shapes []string
		for _, o := range n.GetOutput() {
			if o == "" {
				continue
			}
			t, ok := m.ValueType(o)
			if !ok {
				shapes = append(shapes, "?")
				continue
			}
			shapes = append(shapes, formatDims(t))
		}
		var params int64
		for _, in := range n.GetInput() {
			if t, ok := inits[in]; ok && !counted[in] && isFloat(t.GetDataType()) {
				counted[in] = true
				params = satAdd(params, elements(t))
			}
		}
		total = satAdd(total, params)
		s.Rows = append(s.Rows, report.SummaryRow{Name: name, Op: opLabel(n), Shape: strings.Join(shapes, ", "), Params: thousands(params)})
	}
	s.Total = thousands(total)
	return s
}

// curvesPNG draws the loss and accuracy curves of a TensorBoard logdir.
func curvesPNG(logdir string) ([]byte, error) {
	series, err := tensorboard.ReadLogDir(logdir)
	if err != nil {
		return nil, err
	}
	byTag := map[string]*report.Panel{}
	var order []string
	for _, s := range series {
		p := byTag[s.Tag]
		if p == nil {
			title := strings.TrimPrefix(s.Tag, "epoch_")
			p = &report.Panel{Title: strings.ToUpper(title[:1]) + title[1:], XLabel: "epoch", YLabel: title, LegendBottom: strings.Contains(s.Tag, "acc")}
			byTag[s.Tag] = p
			order = append(order, s.Tag)
		}
		c := report.Curve{Name: map[string]string{tensorboard.TrainRun: "training", tensorboard.ValidationRun: "validation"}[s.Run]}
		if c.Name == "" {
			c.Name = s.Run
		}
		for i, step := range s.Steps {
			c.X = append(c.X, float64(step+1))
			c.Y = append(c.Y, s.Values[i])
		}
		p.Curves = append(p.Curves, c)
	}
	// Loss first, then accuracy, then any other series.
	rank := func(tag string) int {
		switch tag {
		case tensorboard.LossTag:
			return 0
		case tensorboard.AccuracyTag:
			return 1
		}
		return 2
	}
	sort.SliceStable(order, func(a, b int) bool { return rank(order[a]) < rank(order[b]) })
	var panels []report.Panel
	for _, tag := range order {
		panels = append(panels, *byTag[tag])
	}
	png, err := report.CurvesPNG(panels, 500*min(len(panels), 3), 380)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", logdir, err)
	}
	return png, nil
}

// addKernels draws the weights of every Conv node whose kernel is an
// initializer: one tile per (filter, input channel), or one colour tile
// per filter for a convolution of an RGB image.
func addKernels(r *report.Report, m *onnx.Model) error {
	for _, n := range m.Proto().GetGraph().GetNode() {
		if n.GetOpType() != "Conv" || len(n.GetInput()) < 2 {
			continue
		}
		wt, err := m.Initializer(n.GetInput()[1])
		if err != nil || wt.Rank() != 4 {
			continue // a kernel computed at run time
		}
		v, err := tensors.AsFloat64s(wt)
		if err != nil {
			continue
		}
		sh := wt.Shape()
		o, in, kh, kw := sh[0], sh[1], sh[2], sh[3]
		vals := make([]float32, len(v))
		for i, x := range v {
			vals[i] = float32(x)
		}
		t := report.Tiles{Values: vals, Count: o * in, Channels: 1, H: kh, W: kw, Signed: true}
		cols := in
		caption := fmt.Sprintf("%s: %d filters × %d input channels of %dx%d", nodeName(n), o, in, kh, kw)
		if in == 3 {
			t.Count, t.Channels, cols = o, 3, 10
			caption = fmt.Sprintf("%s: %d filters of %dx%d over RGB (one colour tile each)", nodeName(n), o, kh, kw)
		} else if in == 1 {
			cols = 10
			caption = fmt.Sprintf("%s: %d kernels of %dx%d", nodeName(n), o, kh, kw)
		}
		zoom := max(2, min(8, 40/max(kh, kw)))
		if t.Count > 200 {
			zoom = max(1, min(3, 10/max(kh, kw)))
		}
		png, err := report.GridPNG(t, cols, zoom)
		if err != nil {
			return err
		}
		r.Kernels = append(r.Kernels, report.Figure{Caption: caption, PNG: png})
	}
	if len(r.Kernels) == 0 {
		r.KernelsNote = "The model has no convolution with constant weights."
	}
	return nil
}

func nodeName(n *onnxpb.NodeProto) string {
	if n.GetName() != "" {
		return n.GetName()
	}
	return n.GetOutput()[0]
}

// addFeatureMaps runs the model on one image and draws the output of every
// convolution (after its Relu, when a Relu alone reads it) and pooling node.
func addFeatureMaps(r *report.Report, m *onnx.Model, feed *imageFeed, x []float32) error {
	g := m.Proto().GetGraph()
	readers := map[string][]*onnxpb.NodeProto{}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			readers[in] = append(readers[in], n)
		}
	}
	type fetch struct{ name, caption string }
	var fetches []fetch
	for _, n := range g.GetNode() {
		op := n.GetOpType()
		if op != "Conv" && op != "MaxPool" && op != "AveragePool" || len(n.GetOutput()) == 0 {
			continue
		}
		out, caption := n.GetOutput()[0], fmt.Sprintf("%s (%s)", nodeName(n), op)
		if rs := readers[out]; op == "Conv" && len(rs) == 1 && rs[0].GetOpType() == "Relu" {
			out, caption = rs[0].GetOutput()[0], fmt.Sprintf("%s (Conv + Relu)", nodeName(n))
		}
		fetches = append(fetches, fetch{out, caption})
	}
	if len(fetches) == 0 {
		r.FeaturesNote = "The model has no convolution or pooling layer."
		return nil
	}
	in, _, err := feed.tensor(x, 1)
	if err != nil {
		return err
	}
	names := make([]string, len(fetches))
	for i, f := range fetches {
		names[i] = f.name
	}
	res, err := m.RunTensorsContext(runCtx, map[string]*tensors.Tensor{feed.input: in}, names...)
	if err != nil {
		return fmt.Errorf("feature maps: %w", err)
	}
	for _, f := range fetches {
		t := res[f.name]
		if t == nil || t.Rank() != 4 {
			continue
		}
		v, err := tensors.AsFloat64s(t)
		if err != nil {
			continue
		}
		sh := t.Shape()
		c, h, w := sh[1], sh[2], sh[3]
		vals := make([]float32, c*h*w)
		for i := range vals {
			vals[i] = float32(v[i]) // the first image of the batch
		}
		png, err := report.GridPNG(report.Tiles{Values: vals, Count: c, Channels: 1, H: h, W: w}, 10, zoomFor(h, 56))
		if err != nil {
			return err
		}
		r.FeatureMaps = append(r.FeatureMaps, report.Figure{Caption: fmt.Sprintf("%s: %d maps of %dx%d", f.caption, c, h, w), PNG: png})
	}
	return nil
}
