package onnx_test

import (
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// textTrainingSeedModels are fuzz seeds for TfIdfVectorizer (integer and
// string n-gram pools, batched and single rows, skips, weights) and the
// optimizers of ai.onnx.preview.training (Adagrad, Adam over two
// tensors, Nesterov Momentum), with shapes taken from the inputs.
func textTrainingSeedModels() map[string]*onnxpb.ModelProto {
	strs := func(name string, v ...string) *onnxpb.AttributeProto {
		a := &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRINGS}
		for _, s := range v {
			a.Strings = append(a.Strings, []byte(s))
		}
		return a
	}
	floats := func(name string, v ...float32) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOATS, Floats: v}
	}
	training := model(13, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("Adagrad", "adagrad", []string{"R", "T", "X1", "G1", "H1"}, []string{"X1_adagrad", "H1_adagrad"},
				floatAttr("decay_factor", 0.1), floatAttr("epsilon", 1e-4), floatAttr("norm_coefficient", 0.01)),
			node("Adam", "adam", []string{"R", "T", "X1", "X2", "G1", "G2", "V1", "V2", "H1", "H2"},
				[]string{"X1_adam", "X2_adam", "V1_adam", "V2_adam", "H1_adam", "H2_adam"},
				floatAttr("alpha", 0.8), floatAttr("norm_coefficient_post", 0.01)),
			node("Momentum", "momentum", []string{"R", "T", "X2", "G2", "V2"}, []string{"X2_momentum", "V2_momentum"},
				floatAttr("alpha", 0.9), floatAttr("beta", 0.5), floatAttr("norm_coefficient", 0.01), strAttr("mode", "nesterov")),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("R", tensors.Scalar[float32](0.1)), tensors.ToProto("T", tensors.Scalar[int64](3))},
		Input: []*onnxpb.ValueInfoProto{
			vi("X1", tt(tensors.Float32, "N", 3)), vi("G1", tt(tensors.Float32, "N", 3)), vi("V1", tt(tensors.Float32, "N", 3)), vi("H1", tt(tensors.Float32, "N", 3)),
			vi("X2", tt(tensors.Float64, 4)), vi("G2", tt(tensors.Float64, 4)), vi("V2", tt(tensors.Float64, 4)), vi("H2", tt(tensors.Float64, 4)),
		},
	})
	for _, n := range training.Graph.Node {
		n.Domain = "ai.onnx.preview.training"
		for _, o := range n.Output {
			dt := tensors.Float32
			if o[1] == '2' {
				dt = tensors.Float64
			}
			training.Graph.Output = append(training.Graph.Output, vi(o, tt(dt)))
		}
	}
	training.OpsetImport = append(training.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx.preview.training", Version: 1})
	return map[string]*onnxpb.ModelProto{
		"tfidf": model(9, &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				node("TfIdfVectorizer", "tfidf_ints", []string{"ids"}, []string{"counts"},
					strAttr("mode", "TFIDF"), intAttr("min_gram_length", 1), intAttr("max_gram_length", 3), intAttr("max_skip_count", 2),
					intsAttr("ngram_counts", 0, 3, 7), intsAttr("ngram_indexes", 4, 0, 1, 2, 3, 5), intsAttr("pool_int64s", 0, 1, 3, 0, 1, 2, 3, 1, 2, 3),
					floats("weights", 1, 0.5, 2, 1, 1.5, 0.25)),
				node("TfIdfVectorizer", "tfidf_strings", []string{"words"}, []string{"idf"},
					strAttr("mode", "IDF"), intAttr("min_gram_length", 2), intAttr("max_gram_length", 2), intAttr("max_skip_count", 1),
					intsAttr("ngram_counts", 0, 2), intsAttr("ngram_indexes", 0, 1, 2, 3), strs("pool_strings", "a", "e", "a", "b", "q", "z")),
			},
			Input:  []*onnxpb.ValueInfoProto{vi("ids", tt(tensors.Int32, "N", 8)), vi("words", tt(tensors.String, "W"))},
			Output: []*onnxpb.ValueInfoProto{vi("counts", tt(tensors.Float32)), vi("idf", tt(tensors.Float32))},
		}),
		"training-optimizers": training,
	}
}
