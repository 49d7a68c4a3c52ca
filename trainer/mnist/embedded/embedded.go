// Package embedded links the copy of MNIST that ships with onnxkit
// (package github.com/onnxkit/onnxkit/testdata, 11.6 MB) into a program and
// registers it with package mnist, so that mnist.Load("") decodes it.
// Import it for its side effect, or call Load:
//
//	import _ "github.com/onnxkit/onnxkit/trainer/mnist/embedded"
package embedded

import (
	"fmt"
	"io/fs"

	"github.com/onnxkit/onnxkit/testdata"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

// Name is how the embedded folder appears in error messages.
const Name = "embedded testdata/mnist"

// FS holds the four gzipped MNIST IDX files at its root.
var FS fs.FS

func init() {
	sub, err := fs.Sub(testdata.MNIST, "mnist")
	if err != nil {
		panic(fmt.Sprintf("embedded: %s: %v", Name, err)) // a build error, not a run-time one
	}
	FS = sub
	mnist.RegisterEmbedded(FS, Name)
}

// Load decodes the embedded MNIST training (60,000 images) and test
// (10,000 images) sets.
func Load() (train, test *mnist.Set, err error) {
	return mnist.Load("")
}
