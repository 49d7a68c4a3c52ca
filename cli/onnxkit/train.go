package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/trainer"
	"github.com/onnxkit/onnxkit/trainer/tensorboard"
)

type trainFlags struct {
	epochs, batch, limit int
	valSplit             float64
	seed                 uint64
	data, logdir, out    string
	opset                int
	layout               string
	initFrom             string
	verify               string
	imageSize, report    string
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train the Keras LeNet on MNIST in Go and export it to ONNX",
		Long: `Train the reference Keras LeNet (Conv2D 20 5x5 same relu, MaxPool 2x2, Conv2D 50 5x5
same relu, MaxPool 2x2, Flatten, Dense 500 relu, Dense 10, softmax) with Keras semantics:
Adam (lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7), categorical cross-entropy, validation on
the last --val-split of the training set, training set reshuffled every epoch. Then print
the test loss and accuracy on the test set and export the model to ONNX (--out).

With no flags it trains 12 epochs on the MNIST files embedded in onnxkit. --data DIR
takes IDX files (Fashion-MNIST too) or an image folder, DIR/train/<class>/*.png|jpg|gif
and optionally DIR/test/<class>/*: LeNet is then built for the images' shape and the
number of classes, as Keras's lenet(input_shape, num_classes), and the class names go
into the exported file. --report writes an HTML report at the end. Ctrl-C stops
after the current step and still exports the model; a second Ctrl-C aborts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.epochs, "epochs", 12, "number of passes over the training set")
	fl.IntVar(&f.batch, "batch", 128, "examples per gradient step")
	fl.Float64Var(&f.valSplit, "val-split", 0.2, "fraction of the training set held out for validation (its last part, as Keras's validation_split)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed for weight initialisation and shuffling (same seed, same numbers)")
	fl.IntVar(&f.limit, "limit", 0, "train on the first N training images only (0 = all), for smoke runs")
	fl.StringVar(&f.data, "data", "", "directory with the four MNIST-format IDX files (.gz or not), or an image folder (DIR/train/<class>/*.png|jpg|gif, optional DIR/test/<class>/*); default: the embedded MNIST")
	fl.StringVar(&f.imageSize, "image-size", "", "resize image-folder pictures to WIDTHxHEIGHT, e.g. 32x32 (default: all must share one size)")
	fl.StringVar(&f.report, "report", "", "write an HTML report of the trained model (curves, kernels, feature maps, confusion matrix) to this file")
	fl.StringVar(&f.logdir, "logdir", "logdir_lenet", "TensorBoard log directory, removed first if it exists (\"\" = no logs)")
	fl.StringVar(&f.out, "out", "lenet.onnx", "ONNX file to export the trained model to (\"\" = no export)")
	fl.IntVar(&f.opset, "opset", 13, "ONNX opset of the export (11 to 18)")
	fl.StringVar(&f.initFrom, "init-from", "", "start from the layers and weights of an ONNX file (a Keras tf2onnx/keras2onnx or PyTorch Sequential export) instead of a new LeNet: fine-tuning")
	fl.StringVar(&f.verify, "verify", "auto", "after export, run the file in onnxruntime on the test set and compare with onnxkit: auto (when onnxruntime is installed), onnxruntime (required), off")
	fl.StringVar(&f.layout, "layout", "nchw", "input layout of the export: nchw ([N,1,28,28]), nhwc ([N,28,28,1], the Keras/tf2onnx signature) or nhw ([N,28,28])")
	return cmd
}

func runTrain(cmd *cobra.Command, f trainFlags) error {
	switch {
	case f.epochs <= 0:
		return usageError{fmt.Errorf("--epochs %d: want at least 1", f.epochs)}
	case f.batch <= 0:
		return usageError{fmt.Errorf("--batch %d: want at least 1", f.batch)}
	case f.valSplit < 0 || f.valSplit >= 1 || math.IsNaN(f.valSplit):
		return usageError{fmt.Errorf("--val-split %g: want 0 <= split < 1", f.valSplit)}
	case f.limit < 0:
		return usageError{fmt.Errorf("--limit %d: want 0 (all) or more", f.limit)}
	case f.verify != "auto" && f.verify != "onnxruntime" && f.verify != "off":
		return usageError{fmt.Errorf("--verify %q: want auto, onnxruntime or off", f.verify)}
	}
	exp, err := newExportOptions(f.opset, f.layout)
	if err != nil {
		return usageError{err}
	}
	if f.out != "" {
		// Fail before hours of training, not after.
		if err := checkWritable(f.out); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if f.report != "" {
		if err := checkWritable(f.report); err != nil {
			return err
		}
	}
	data, err := loadTrainingData(f.data, f.imageSize)
	if err != nil {
		return err
	}
	train, test := data.train, data.test
	if f.limit > 0 && f.limit < train.Len() {
		train = trainer.Slice(train, 0, f.limit)
	}
	var model *layers.Sequential
	if f.initFrom != "" {
		src, err := loadOptions.Load(f.initFrom)
		if err != nil {
			return err
		}
		var sig layers.ExportOptions
		if model, sig, err = layers.FromONNX(src); err != nil {
			return err
		}
		// Keep the source's names; keep its layout too unless --layout
		// asks otherwise (nhwc keeps a Keras [N,28,28] signature as it is).
		exp.InputName, exp.OutputName = sig.InputName, sig.OutputName
		if !cmd.Flags().Changed("layout") || (exp.Layout == layers.NHWC && sig.Layout == layers.NHW) {
			exp.Layout = sig.Layout
		}
		fmt.Fprintf(out, "Initialised from %s (%s input %q)\n", f.initFrom, sig.Layout, sig.InputName)
	} else {
		if model, err = layers.LeNetFor(tensor.Float32, data.shape, data.numClasses()); err != nil {
			return err
		}
		model.Init(rand.New(rand.NewPCG(f.seed, 0)))
	}
	fmt.Fprint(out, model.Summary())
	tr, err := trainer.New(model)
	if err != nil {
		return err
	}
	var tb *tensorboard.Logger
	if f.logdir != "" {
		if tb, err = tensorboard.NewLogger(f.logdir); err != nil {
			return err
		}
		defer tb.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process the default way
	}()
	fmt.Fprintf(out, "Training on %d %s images (seed %d): %d train, %d validation\n", train.Len(), data.kind, f.seed,
		int(float64(train.Len())*(1-f.valSplit)), train.Len()-int(float64(train.Len())*(1-f.valSplit)))
	cfg := trainer.Config{
		Epochs: f.epochs, Batch: f.batch, ValSplit: f.valSplit, Seed: f.seed,
		Progress: out, Live: isTerminal(out),
	}
	if tb != nil {
		cfg.OnEpoch = func(r trainer.EpochResult) error {
			return tb.Epoch(r.Epoch, r.Loss, r.Accuracy, r.ValLoss, r.ValAccuracy)
		}
	}
	h, err := tr.Fit(ctx, train, cfg)
	if err != nil {
		return err
	}
	if h.Interrupted {
		fmt.Fprintln(out, "Interrupted: stopped after the current step.")
	}
	images := 0
	for _, e := range h.Epochs {
		images += e.Images
	}
	fmt.Fprintf(out, "Trained %d images in %s (%.0f images/s, validation included)\n", images, h.Duration.Round(time.Second), float64(images)/h.Duration.Seconds())
	testLoss, testAcc := math.NaN(), math.NaN()
	if test != nil {
		if testLoss, testAcc, err = tr.Evaluate(test, f.batch); err != nil {
			return err
		}
		fmt.Fprintln(out, "Test loss:", strconv.FormatFloat(testLoss, 'g', -1, 64))
		fmt.Fprintln(out, "Test accuracy:", strconv.FormatFloat(testAcc, 'g', -1, 64))
	} else {
		fmt.Fprintf(out, "No test set (%s has no test folder): no test metrics.\n", f.data)
	}
	meta := trainingMetadata(f, h, testLoss, testAcc)
	for k, v := range data.metadata(exp.Layout, model) {
		meta[k] = v
	}
	if test == nil {
		delete(meta, "onnxkit.test_loss")
		delete(meta, "onnxkit.test_accuracy")
	}
	if f.out != "" {
		if err := exportModel(model, f.out, exp, meta); err != nil {
			return err
		}
		fmt.Fprintf(out, "Exported %s (opset %d, layout %s)\n", f.out, exp.Opset, exp.Layout)
	}
	if f.report != "" {
		if err := trainReport(out, f, model, exp, meta, test); err != nil {
			return err
		}
	}
	switch {
	case f.out == "" || f.verify == "off":
		return nil
	case test == nil:
		fmt.Fprintf(out, "Not verified with onnxruntime: no test set to compare on.\n")
		return nil
	}
	return verifyExport(out, f.out, tr, test, exp.Layout, f.verify == "onnxruntime")
}

// isTerminal reports whether w is a terminal, where a live bar can redraw.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
