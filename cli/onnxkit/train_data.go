package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/trainer"
	"github.com/onnxkit/onnxkit/trainer/imagefolder"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

// Metadata keys onnxkit writes into an exported model so that predict and
// report can prepare pictures the way the model was trained.
const (
	metaClasses  = "onnxkit.classes"        // JSON array of class names, label order
	metaChannels = "onnxkit.input_channels" // 1 or 3
	metaHeight   = "onnxkit.input_height"
	metaWidth    = "onnxkit.input_width"
	metaScale    = "onnxkit.input_scale"  // 1: pixels scaled to [0,1]; 255: raw 0..255
	metaLayout   = "onnxkit.input_layout" // nchw, nhwc or nhw
)

// trainingData is what train trains and tests on.
type trainingData struct {
	train, test trainer.Dataset // test is nil without a test folder
	kind        string          // "MNIST" or "image-folder"
	classes     []string        // nil for IDX data (digits)
	shape       []int           // [C, H, W]
}

// parseImageSize reads --image-size WxH ("" = keep the images' size).
func parseImageSize(s string) (w, h int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 4 || h < 4 || w > 4096 || h > 4096 {
		return 0, 0, fmt.Errorf("--image-size %q: want WIDTHxHEIGHT such as 32x32, each 4 to 4096", s)
	}
	return w, h, nil
}

// loadTrainingData reads --data: the embedded MNIST, a folder of IDX files,
// or an image-folder tree (DIR/train/<class>/...), told apart by the train
// folder.
func loadTrainingData(dir, imageSize string) (*trainingData, error) {
	w, h, err := parseImageSize(imageSize)
	if err != nil {
		return nil, usageError{err}
	}
	if dir != "" && imagefolder.IsImageFolder(dir) {
		train, test, err := imagefolder.Load(dir, imagefolder.Options{Width: w, Height: h})
		if err != nil {
			return nil, err
		}
		d := &trainingData{train: train, kind: "image-folder", classes: train.Classes, shape: train.Shape()}
		if test != nil {
			d.test = test
		}
		return d, nil
	}
	if imageSize != "" {
		return nil, usageError{fmt.Errorf("--image-size applies to image folders (DIR/train/<class>/...), not to IDX files")}
	}
	train, test, err := mnist.Load(dir)
	if err != nil {
		return nil, err
	}
	return &trainingData{train: train, test: test, kind: "MNIST", shape: train.Shape()}, nil
}

// numClasses is the number of classes LeNet is built for.
func (d *trainingData) numClasses() int {
	if d.classes != nil {
		return len(d.classes)
	}
	return 10
}

// metadata records what predict needs to prepare a picture.
func (d *trainingData) metadata(layout layers.Layout, model *layers.Sequential) map[string]string {
	m := map[string]string{metaScale: "1", metaLayout: string(layout)}
	in := model.Input
	if len(in) == 3 {
		m[metaChannels] = strconv.Itoa(in[0])
		m[metaHeight] = strconv.Itoa(in[1])
		m[metaWidth] = strconv.Itoa(in[2])
	}
	if d.classes != nil {
		b, _ := json.Marshal(d.classes) // a []string always encodes
		m[metaClasses] = string(b)
		m["onnxkit.input"] = fmt.Sprintf("%dx%d %s images scaled to [0,1]", d.shape[2], d.shape[1], map[bool]string{true: "grey", false: "RGB"}[d.shape[0] == 1])
	}
	return m
}
