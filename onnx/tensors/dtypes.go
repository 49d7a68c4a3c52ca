package tensors

//go:generate go run github.com/onnxkit/onnxkit/internal/cmd/dtypegen

// The element-type dispatch tables of this package (NAMEFor, one entry per
// element type of a generic function marked //dtypes:SET) are generated
// into dtypes_gen.go by internal/cmd/dtypegen; see its documentation.
