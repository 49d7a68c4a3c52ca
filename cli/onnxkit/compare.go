package main

import (
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"
)

type compareFlags struct {
	data         string
	limit, batch int
	scale        int
}

func newCompareCmd() *cobra.Command {
	var f compareFlags
	cmd := &cobra.Command{
		Use:   "compare A.onnx B.onnx",
		Short: "Run two MNIST models on the same test images and compare them",
		Long: `Run both models on MNIST test images, each fed in its own input layout (guessed from
its input shape: [N,1,28,28], [N,28,28,1], [N,784] or [N,28,28]), and print the accuracy of
each, how often their predicted classes agree, and the largest difference between their
outputs (meaningful when both output the same kind of scores, e.g. probabilities).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.OutOrStdout(), args[0], args[1], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "directory with MNIST-format IDX files (default: the embedded MNIST)")
	fl.IntVar(&f.limit, "limit", 0, "compare on the first N test images only (0 = all)")
	fl.IntVar(&f.batch, "batch", 256, "images per run (models with a fixed batch size use theirs)")
	fl.IntVar(&f.scale, "scale", 1, "1 feeds pixels in [0,1], 255 raw pixels 0..255 (both models)")
	return cmd
}

func runCompare(w io.Writer, pathA, pathB string, f compareFlags) error {
	if _, err := checkFeedFlags(f.limit, f.batch, f.scale, layoutAuto); err != nil {
		return err
	}
	test, err := loadTestImages(f.data, f.limit)
	if err != nil {
		return err
	}
	var preds [2][]int
	var scores [2][][]float64
	for i, path := range []string{pathA, pathB} {
		m, err := loadModel(path)
		if err != nil {
			return err
		}
		feed, err := newMNISTFeed(m, path, layoutAuto, "", f.scale, f.batch)
		if err != nil {
			return err
		}
		if preds[i], scores[i], err = feed.predict(m, test); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		correct := 0
		for j, p := range preds[i] {
			if p == int(test.Labels[j]) {
				correct++
			}
		}
		fmt.Fprintf(w, "%s: input %s\n  test accuracy %.4f (%d/%d)\n", path, feed.describe(), float64(correct)/float64(test.N), correct, test.N)
	}
	agree := 0
	maxDiff := 0.0
	sameWidth := true
	for j := range preds[0] {
		if preds[0][j] == preds[1][j] {
			agree++
		}
		a, b := scores[0][j], scores[1][j]
		if len(a) != len(b) {
			sameWidth = false
			continue
		}
		for k := range a {
			maxDiff = max(maxDiff, math.Abs(a[k]-b[k]))
		}
	}
	fmt.Fprintf(w, "Argmax agreement: %d/%d (%.4f)\n", agree, test.N, float64(agree)/float64(test.N))
	if sameWidth {
		fmt.Fprintf(w, "Max output difference: %.3g\n", maxDiff)
	} else {
		fmt.Fprintln(w, "Max output difference: n/a (the models output different numbers of scores)")
	}
	return nil
}
