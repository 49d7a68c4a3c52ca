package onnx

// Conformance adjustments of the neural-network operator family (Conv,
// pooling, BatchNormalization, Gemm, MatMul, Softmax family, Dropout).

func init() {
	// Dropout in training mode with a non-zero ratio zeroes a random
	// subset of its input; the expected outputs were drawn with numpy's
	// random generator, which no implementation reproduces. Like the
	// random operators, these tests compare element type, shape and
	// range; onnx/ops/dropout_test.go checks the draws themselves (kept
	// elements scaled by 1/(1-ratio), the dropped fraction, the mask).
	for _, test := range []string{
		"node/test_training_dropout",
		"node/test_training_dropout_default",
		"node/test_training_dropout_default_mask",
		"node/test_training_dropout_mask",
	} {
		conformanceTolerances[test] = tolerance{rtol: defaultRtol, atol: defaultAtol, random: true,
			reason: "training-mode Dropout draws a random mask that cannot match the reference's numpy draws"}
	}
}
