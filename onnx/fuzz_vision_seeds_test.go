package onnx_test

import (
	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(v)}
}

func strAttr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}

// visionSeedModels are fuzz seeds for the detector, segmenter and
// transformer operators: resizing, transposed convolution, normalization
// layers, detection post-processing, signal transforms and losses, with
// sizes taken from the inputs at run time.
func visionSeedModels() map[string]*onnxpb.ModelProto {
	i64 := func(name string, v ...int64) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Vector(v...)) }
	f32 := func(name string, v ...float32) *onnxpb.TensorProto {
		return tensors.ToProto(name, tensors.Vector(v...))
	}
	scalar := func(name string, v int64) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Scalar(v)) }
	slope, _ := tensors.Vector[float32](0.1, 0.2, 0.3, 0.4).Reshape(4, 1, 1)
	rois5, _ := tensors.Vector[float32](0, 0, 0, 3, 3, 0, 1, 1, 2, 4).Reshape(2, 5)
	return map[string]*onnxpb.ModelProto{
		// The opset-18 additions: CenterCropPad with its target sizes from
		// an input, Col2Im, the bitwise operators.
		"vision-opset18": model(18, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("CenterCropPad", "crop", []string{"x", "size"}, []string{"c"}, intsAttr("axes", -2, -1)),
				node("Col2Im", "col2im", []string{"cols", "img", "blk"}, []string{"im"}, intsAttr("strides", 1, 2)),
				node("Cast", "toint", []string{"x"}, []string{"xi"}, intAttr("to", int64(tensors.Int32))),
				node("BitwiseAnd", "band", []string{"xi", "xi"}, []string{"ba"}),
				node("BitwiseNot", "bnot", []string{"ba"}, []string{"bn"}),
				node("BitwiseXor", "bxor", []string{"bn", "xi"}, []string{"bx"}),
				node("BitwiseOr", "bor", []string{"bx", "xi"}, []string{"bo"}),
			},
			Initializer: []*onnxpb.TensorProto{i64("img", 3, 5), i64("blk", 2, 2), i64("size", 2, 5)},
			Input:       []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, "N", 3, 4)), vi("cols", tt(tensors.Float32, 1, 4, 4))},
			Output:      []*onnxpb.ValueInfoProto{vi("c", tt(tensors.Float32)), vi("im", tt(tensors.Float32)), vi("bo", tt(tensors.Int32))},
		}),
		"vision-ops": model(18, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("Resize", "resize", []string{"x", "", "scales"}, []string{"r"}, strAttr("mode", "linear")),
				node("Resize", "resize_cubic", []string{"x", "", "", "sizes"}, []string{"rc"}, strAttr("mode", "cubic"),
					intAttr("antialias", 1), intsAttr("axes", 2, 3), strAttr("keep_aspect_ratio_policy", "not_larger")),
				node("ConvTranspose", "deconv", []string{"x", "wt", "bt"}, []string{"ct"}, intAttr("group", 2),
					intsAttr("strides", 2, 2), intsAttr("output_padding", 1, 0), intsAttr("pads", 1, 0, 0, 1)),
				node("LayerNormalization", "ln", []string{"x", "s6"}, []string{"ln", "mean", "inv"}),
				node("InstanceNormalization", "inorm", []string{"x", "s4", "b4"}, []string{"in"}),
				node("GroupNormalization", "gnorm", []string{"x", "s2", "s2"}, []string{"gn"}, intAttr("num_groups", 2)),
				node("LRN", "lrn", []string{"x"}, []string{"lrn"}, intAttr("size", 3)),
				node("Erf", "erf", []string{"x"}, []string{"erf"}),
				node("HardSwish", "hswish", []string{"x"}, []string{"hs"}),
				node("Mish", "mish", []string{"x"}, []string{"mish"}),
				node("PRelu", "prelu", []string{"x", "slope"}, []string{"pr"}),
				node("ReduceLogSumExp", "lse", []string{"x", "raxes"}, []string{"lse"}),
				node("LpPool", "lppool", []string{"x"}, []string{"lp"}, intsAttr("kernel_shape", 2, 2), intAttr("p", 3)),
				node("DepthToSpace", "d2s", []string{"x"}, []string{"d2s"}, intAttr("blocksize", 2), strAttr("mode", "CRD")),
				node("SpaceToDepth", "s2d", []string{"x"}, []string{"s2d"}, intAttr("blocksize", 2)),
			},
			Initializer: []*onnxpb.TensorProto{
				f32("scales", 1, 1, 2, 1.5), i64("sizes", 9, 4),
				tensors.ToProto("wt", weights(4, 2, 3, 3)), f32("bt", 0.5, -0.5, 0.25, 0),
				f32("s6", 1, 2, 3, 1, 2, 3), f32("s4", 1, 2, 3, 4), f32("b4", 0, 1, 0, 1), f32("s2", 1, 0.5),
				tensors.ToProto("slope", slope), i64("raxes", 1, 3),
			},
			Input: []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, "N", 4, 6, 6))},
			Output: []*onnxpb.ValueInfoProto{vi("r", tt(tensors.Float32)), vi("rc", tt(tensors.Float32)), vi("ct", tt(tensors.Float32)),
				vi("ln", tt(tensors.Float32)), vi("in", tt(tensors.Float32)), vi("gn", tt(tensors.Float32)), vi("lrn", tt(tensors.Float32)),
				vi("erf", tt(tensors.Float32)), vi("hs", tt(tensors.Float32)), vi("mish", tt(tensors.Float32)), vi("pr", tt(tensors.Float32)),
				vi("lse", tt(tensors.Float32)), vi("lp", tt(tensors.Float32)), vi("d2s", tt(tensors.Float32)), vi("s2d", tt(tensors.Float32))},
		}),
		"detect-ops": model(16, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("NonMaxSuppression", "nms", []string{"boxes", "scores", "maxout", "iou"}, []string{"sel"}, intAttr("center_point_box", 1)),
				node("GridSample", "grid", []string{"img", "grid"}, []string{"gs"}, strAttr("mode", "bicubic"), strAttr("padding_mode", "reflection")),
				node("RoiAlign", "roialign", []string{"img", "rois", "bidx"}, []string{"ra"}, intAttr("output_height", 2),
					intAttr("output_width", 3), floatAttr("spatial_scale", 0.5)),
				node("MaxRoiPool", "roipool", []string{"img", "rois5"}, []string{"rp"}, intsAttr("pooled_shape", 2, 2)),
				node("Resize", "upsample", []string{"img", "", "up"}, []string{"nn"}, strAttr("nearest_mode", "ceil"),
					strAttr("coordinate_transformation_mode", "tf_half_pixel_for_nn")),
			},
			Initializer: []*onnxpb.TensorProto{
				scalar("maxout", 2), f32("iou", 0.5), f32("up", 1, 1, 2, 2),
				tensors.ToProto("rois", weights(2, 4)), i64("bidx", 0, 0),
				tensors.ToProto("rois5", rois5),
			},
			Input: []*onnxpb.ValueInfoProto{vi("boxes", tt(tensors.Float32, 1, "B", 4)), vi("scores", tt(tensors.Float32, 1, 2, "B")),
				vi("img", tt(tensors.Float32, 1, 2, 5, "W")), vi("grid", tt(tensors.Float32, 1, 3, "G", 2))},
			Output: []*onnxpb.ValueInfoProto{vi("sel", tt(tensors.Int64)), vi("gs", tt(tensors.Float32)), vi("ra", tt(tensors.Float32)),
				vi("rp", tt(tensors.Float32)), vi("nn", tt(tensors.Float32))},
		}),
		"signal-loss": model(17, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("DFT", "dft", []string{"sig"}, []string{"spec"}, intAttr("onesided", 1)),
				node("HannWindow", "hann", []string{"wlen"}, []string{"win"}),
				node("STFT", "stft", []string{"sig", "step", "win"}, []string{"stft"}),
				node("SoftmaxCrossEntropyLoss", "sce", []string{"logits", "labels"}, []string{"loss", "logp"}, strAttr("reduction", "sum")),
				node("NegativeLogLikelihoodLoss", "nll", []string{"logp", "labels", "cw"}, []string{"nll"}, intAttr("ignore_index", 1)),
				node("ReduceL2", "l2", []string{"logits"}, []string{"l2"}, intsAttr("axes", 1)),
			},
			Initializer: []*onnxpb.TensorProto{scalar("wlen", 4), scalar("step", 2), i64("labels", 0, 2), f32("cw", 1, 2, 3)},
			Input:       []*onnxpb.ValueInfoProto{vi("sig", tt(tensors.Float32, 1, 8, 1)), vi("logits", tt(tensors.Float32, 2, 3))},
			Output: []*onnxpb.ValueInfoProto{vi("spec", tt(tensors.Float32)), vi("stft", tt(tensors.Float32)), vi("loss", tt(tensors.Float32)),
				vi("nll", tt(tensors.Float32)), vi("l2", tt(tensors.Float32))},
		}),
	}
}
