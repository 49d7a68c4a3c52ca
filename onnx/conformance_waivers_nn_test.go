package onnx

// Conformance waivers of the neural-network operator family (Conv,
// pooling, BatchNormalization, Gemm, MatMul, Softmax family, Dropout).

func init() {
	// Dropout in training mode with a non-zero ratio zeroes a random
	// subset of its input; the expected outputs were drawn with numpy's
	// random generator and no implementation can reproduce them. onnxkit
	// reports such nodes as unsupported (inference mode, and training mode
	// with ratio 0, are implemented and pass).
	for _, test := range []string{
		"node/test_training_dropout",
		"node/test_training_dropout_default",
		"node/test_training_dropout_default_mask",
		"node/test_training_dropout_mask",
	} {
		conformanceWaivers[test] = "training-mode Dropout with ratio > 0 draws a random mask that cannot match the reference's numpy draws"
	}
}
