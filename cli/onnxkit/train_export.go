package main

import (
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/trainer"
)

func newExportOptions(opset int, layout string) (layers.ExportOptions, error) {
	opt := layers.ExportOptions{Opset: opset, ProducerVersion: version()}
	if opset < layers.MinOpset || opset > layers.MaxOpset {
		return opt, fmt.Errorf("--opset %d: onnxkit exports opsets %d to %d", opset, layers.MinOpset, layers.MaxOpset)
	}
	switch l := layers.Layout(strings.ToLower(layout)); l {
	case layers.NCHW, layers.NHWC, layers.NHW:
		opt.Layout = l
	default:
		return opt, fmt.Errorf("--layout %q: want nchw, nhwc or nhw", layout)
	}
	return opt, nil
}

// version is onnxkit's module version, or "devel" in a source build.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func checkWritable(path string) error { return atomicfile.CheckWritable(path) }

// trainingMetadata records how the model was trained and how it scored,
// for the export's metadata_props.
func trainingMetadata(f trainFlags, h *trainer.History, testLoss, testAcc float64) map[string]string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	m := map[string]string{
		"onnxkit.model":            "LeNet (Keras reference: Conv2D 20 5x5 same relu, MaxPool 2, Conv2D 50 5x5 same relu, MaxPool 2, Flatten, Dense 500 relu, Dense 10, softmax)",
		"onnxkit.input":            "MNIST 28x28 grey images scaled to [0,1]",
		"onnxkit.optimizer":        "Adam lr=0.001 beta_1=0.9 beta_2=0.999 epsilon=1e-07",
		"onnxkit.loss":             "categorical_crossentropy",
		"onnxkit.epochs":           strconv.Itoa(len(h.Epochs)),
		"onnxkit.batch_size":       strconv.Itoa(f.batch),
		"onnxkit.validation_split": g(f.valSplit),
		"onnxkit.seed":             strconv.FormatUint(f.seed, 10),
		"onnxkit.train_examples":   strconv.Itoa(h.Train),
		"onnxkit.val_examples":     strconv.Itoa(h.Val),
		"onnxkit.test_loss":        g(testLoss),
		"onnxkit.test_accuracy":    g(testAcc),
		"onnxkit.training_seconds": g(h.Duration.Seconds()),
		"onnxkit.exported_at":      time.Now().UTC().Format(time.RFC3339),
		"onnxkit.interrupted":      strconv.FormatBool(h.Interrupted),
	}
	if n := len(h.Epochs); n > 0 {
		last := h.Epochs[n-1]
		m["onnxkit.final_loss"] = g(last.Loss)
		m["onnxkit.final_accuracy"] = g(last.Accuracy)
		m["onnxkit.final_val_loss"] = g(last.ValLoss)
		m["onnxkit.final_val_accuracy"] = g(last.ValAccuracy)
	}
	if f.data != "" {
		m["onnxkit.data"] = f.data
	}
	if f.initFrom != "" {
		m["onnxkit.model"] = "fine-tuned from " + filepath.Base(f.initFrom)
	}
	return m
}

// exportModel writes model to path as ONNX, atomically.
func exportModel(model *layers.Sequential, path string, opt layers.ExportOptions, meta map[string]string) error {
	opt.Metadata = meta
	opt.DocString = fmt.Sprintf("%s, trained by onnxkit on %s. Input layout %s.", meta["onnxkit.model"], meta["onnxkit.input"], opt.Layout)
	mp, err := layers.ToONNX(model, opt)
	if err != nil {
		return err
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}
