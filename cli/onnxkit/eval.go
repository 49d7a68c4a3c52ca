package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

type evalFlags struct {
	data, layout, output string
	limit, batch, scale  int
}

// Input layouts eval can feed MNIST images in.
const (
	layoutAuto = "auto"
	layoutNCHW = "nchw" // [N,1,28,28]
	layoutNHWC = "nhwc" // [N,28,28,1]
	layoutFlat = "flat" // [N,784]
	layoutNHW  = "nhw"  // [N,28,28], no channel dimension
)

func newEvalCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval MODEL",
		Short: "Measure an ONNX classifier's accuracy on the MNIST test set",
		Long: `Run an ONNX model on the MNIST test images in onnxkit and print its accuracy:
the fraction of images whose largest class score is at the label's index.

The images are fed in the layout of the model's single input: with --layout
auto, [N,1,28,28] is nchw, [N,28,28,1] nhwc, [N,784] flat and [N,28,28] nhw.
--scale 1 feeds pixels scaled to [0,1] (Keras and PyTorch exports), --scale
255 raw pixels 0 to 255 (the CNTK model-zoo mnist-8). A model with a fixed
batch dimension is fed batches of exactly that size. --output names the value
holding the class scores, which may be any value of the graph; by default the
model's single output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEval(cmd.OutOrStdout(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "directory with the MNIST test files (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) and training files; default: the embedded MNIST")
	fl.IntVar(&f.limit, "limit", 0, "evaluate the first N test images only (0 = all)")
	fl.IntVar(&f.scale, "scale", 1, "pixel scale: 1 feeds [0,1], 255 feeds raw pixels 0..255")
	fl.StringVar(&f.layout, "layout", layoutAuto, "input layout: auto, nchw ([N,1,28,28]), nhwc ([N,28,28,1]), flat ([N,784]) or nhw ([N,28,28])")
	fl.IntVar(&f.batch, "batch", 256, "images per run (ignored when the model fixes the batch size)")
	fl.StringVar(&f.output, "output", "", "value holding the class scores, [N,K] (default: the model's single output)")
	return cmd
}

func runEval(w io.Writer, path string, f evalFlags) error {
	layout, err := checkFeedFlags(f.limit, f.batch, f.scale, f.layout)
	if err != nil {
		return err
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	feed, err := newMNISTFeed(m, path, layout, f.output, f.scale, f.batch)
	if err != nil {
		return err
	}
	test, err := loadTestImages(f.data, f.limit)
	if err != nil {
		return err
	}
	start := time.Now()
	pred, scores, err := feed.predict(m, test)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	correct := 0
	for i, p := range pred {
		if p == int(test.Labels[i]) {
			correct++
		}
	}
	classes := 0
	if len(scores) > 0 {
		classes = len(scores[0])
	}
	acc := 0.0
	if test.N > 0 {
		acc = float64(correct) / float64(test.N)
	}
	fmt.Fprintf(w, "Model: %s\n", path)
	fmt.Fprintf(w, "Input: %s\n", feed.describe())
	fmt.Fprintf(w, "Output: %s (%d classes)\n", feed.output, classes)
	fmt.Fprintf(w, "Evaluated %d MNIST test images in %s (%.0f images/s)\n", test.N, elapsed.Round(time.Millisecond), float64(test.N)/max(elapsed.Seconds(), 1e-9))
	fmt.Fprintf(w, "Test accuracy: %.4f (%d/%d correct)\n", acc, correct, test.N)
	return nil
}
