package onnx

// Conformance adjustments for the elementwise operator family (Cast,
// CastLike, Max, Min, ...). float16, bfloat16 and string casts are
// implemented.

func init() {
	// ONNX 1.12 made the expected bfloat16 values by truncating the float32
	// inputs (dropping their low 16 bits); onnxkit rounds to nearest even,
	// as onnxruntime and later ONNX releases do. The results differ by at
	// most one bfloat16 unit in the last place: 2^-7 relative.
	conformanceTolerances["node/test_cast_FLOAT_to_BFLOAT16"] = tolerance{rtol: 1.0 / 128, atol: 0,
		reason: "the reference truncates to bfloat16 (ONNX 1.12), onnxkit rounds to nearest even like onnxruntime: one bfloat16 ulp"}
	// These CastLike models of ONNX 1.12 declare the input "like" with
	// the shape [3 4] of "input", but their test data feeds a tensor of
	// shape [1] (a bug of the generator, fixed in ONNX 1.13); onnxkit
	// refuses inputs that contradict the declared shape. The same casts
	// pass in test_cast_FLOAT_to_BFLOAT16 and test_cast_BFLOAT16_to_FLOAT.
	for _, name := range []string{
		"test_castlike_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT_expanded",
		"test_castlike_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16_expanded",
	} {
		conformanceWaivers["node/"+name] = "the model declares input \"like\" as [3 4] but the test data is [1] (ONNX 1.12 generator bug)"
	}
}
