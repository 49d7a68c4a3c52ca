package onnx_test

import (
	"slices"
	"time"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// fuzzRunTimeout bounds one FuzzRun run: a mutated Loop may have no trip
// count and a condition that never turns false.
const fuzzRunTimeout = 2 * time.Second

// loopSeedModels are fuzz seeds for the control flow operators: Loop with
// every combination of trip count and condition, a Loop nested in an If
// reading outer values, Scan with axes and directions, and Scan-8 with
// sequence_lens.
func loopSeedModels() map[string]*onnxpb.ModelProto {
	seeds := map[string]*onnxpb.ModelProto{
		"loop-m-cond":   loopModel("M", "cond"),
		"loop-m":        loopModel("M", ""),
		"loop-cond":     loopModel("", "cond"),
		"loop-in-if":    loopInIfModel(),
		"scan-reversed": scanModel(),
	}
	// The condition-only loop gets a true condition from a Constant, so
	// that it runs whatever the fuzzer feeds.
	lc := seeds["loop-cond"].Graph
	lc.Input = slices.DeleteFunc(lc.Input, func(v *onnxpb.ValueInfoProto) bool { return v.GetName() == "cond" })
	lc.Node = append([]*onnxpb.NodeProto{node("Constant", "true", nil, []string{"cond"},
		&onnxpb.AttributeProto{Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: tensors.ToProto("", tensors.Scalar(true))})}, lc.Node...)
	for _, mp := range seeds {
		// Bool and int64 scalars are made up as graph inputs.
		for _, in := range mp.Graph.Input {
			if in.GetName() == "c" {
				in.Type = tt(tensors.Bool)
			}
		}
	}
	body := &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("Add", "add", []string{"sum", "xi"}, []string{"sum2"}),
			node("Mul", "mul", []string{"xi", "k"}, []string{"y"}),
		},
		Input:  []*onnxpb.ValueInfoProto{vi("sum", anyShape(tensors.Float32)), vi("xi", anyShape(tensors.Float32))},
		Output: []*onnxpb.ValueInfoProto{vi("sum2", anyShape(tensors.Float32)), vi("y", anyShape(tensors.Float32))},
	}
	seeds["scan8-lens"] = model(8, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{node("Scan", "scan", []string{"lens", "init", "x"}, []string{"total", "ys"}, graphAttr("body", body),
			intAttr("num_scan_inputs", 1), intsAttr("directions", 1))},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("k", tensors.Scalar[float32](2))},
		Input: []*onnxpb.ValueInfoProto{vi("lens", tt(tensors.Int64, 2)), vi("init", tt(tensors.Float32, 2, 3)),
			vi("x", tt(tensors.Float32, 2, 4, 3))},
		Output: []*onnxpb.ValueInfoProto{vi("total", anyShape(tensors.Float32)), vi("ys", anyShape(tensors.Float32))},
	})
	return seeds
}
