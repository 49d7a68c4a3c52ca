package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/onnxkit/onnxkit/trainer/imagefolder"
)

type predictFlags struct {
	top    int
	scale  int
	layout string
}

func newPredictCmd() *cobra.Command {
	var f predictFlags
	cmd := &cobra.Command{
		Use:   "predict MODEL IMAGE...",
		Short: "Classify pictures (PNG, JPEG, GIF) with an ONNX image classifier",
		Long: `Decode each picture, prepare it the way the model was trained and print its top
classes with their names and probabilities.

A model exported by onnxkit train records its input size, channels, pixel scale,
layout and class names in its metadata, and predict follows them. For other
models the input's shape gives size, channels and layout ([N,C,H,W], [N,H,W,C],
[N,H,W], [N,784]: 28x28 grey), --scale and --layout say the rest, and classes
are numbered ("0".."9" for MNIST). Pictures are resized (bilinear) to the
model's size, composited on black, and made grey for one-channel models.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPredict(cmd.OutOrStdout(), args[0], args[1:], f, cmd.Flags().Changed("scale"))
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.top, "top", 3, "number of classes to print per picture")
	fl.IntVar(&f.scale, "scale", 1, "pixel scale when the model does not record it: 1 feeds [0,1], 255 raw pixels 0..255")
	fl.StringVar(&f.layout, "layout", layoutAuto, "input layout when the model does not record it: auto, nchw, nhwc, nhw or flat")
	return cmd
}

func runPredict(w io.Writer, path string, images []string, f predictFlags, scaleSet bool) error {
	if f.top < 1 {
		return usageError{fmt.Errorf("--top %d: want at least 1", f.top)}
	}
	if scaleSet && f.scale != 1 && f.scale != 255 {
		return usageError{fmt.Errorf("--scale %d: want 1 or 255", f.scale)}
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	feed, err := newImageFeed(m, path, f.scale, scaleSet, f.layout)
	if err != nil {
		return err
	}
	size := feed.channels * feed.height * feed.width
	x := make([]float32, 0, len(images)*size)
	for _, p := range images {
		img, err := imagefolder.Open(p, 0)
		if err != nil {
			return err
		}
		x = append(x, imagefolder.Pixels(img, feed.channels, feed.height, feed.width)...)
	}
	probs, err := feed.scores(m, x, len(images))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, p := range images {
		row := probs[i]
		order := make([]int, len(row))
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		fmt.Fprintln(w, p)
		for rank, c := range order[:min(f.top, len(order))] {
			fmt.Fprintf(w, "  %d. %-12s %.4f\n", rank+1, feed.className(c), row[c])
		}
	}
	return nil
}
