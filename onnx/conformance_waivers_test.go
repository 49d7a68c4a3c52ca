package onnx

// Entries here adjust the conformance test (conformance_test.go). Keys are
// test names as in testdata/conformance.md ("node/test_add"). Every entry
// states why it exists.

// tolerance overrides the comparison for one test: a value passes when
// |got - want| <= atol + rtol*|want|.
type tolerance struct {
	rtol, atol float64
	reason     string
	random     bool // outputs drawn at random: type, shape and range are compared
}

// conformanceTolerances overrides the default rtol 1e-3, atol 1e-7 (the
// ONNX backend runner's defaults) for tests whose reference values need a
// looser comparison.
var conformanceTolerances = map[string]tolerance{}

// conformanceWaivers lists tests whose operators are all implemented but
// that are allowed not to pass, with the reason (for instance test data that
// disagrees with the model's declarations). Without a waiver
// such a test fails the Go test.
var conformanceWaivers = map[string]string{}
