package onnx

import (
	"fmt"
	"os"
)

// LoadWarning receives the warnings of model loading: one line per kind
// of tolerated deviation from the ONNX specification, naming the nodes
// concerned (for instance Concat nodes given empty 1-D operands next to
// tensors of another rank, which onnxkit skips as PyTorch and OpenCV do).
// By default it writes the line to standard error; replace it before
// loading models to capture or silence the warnings.
var LoadWarning = func(msg string) {
	fmt.Fprintln(os.Stderr, "onnxkit: warning: "+msg)
}
