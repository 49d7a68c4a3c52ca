package mnist

import (
	"io/fs"

	"github.com/onnxkit/onnxkit/testdata"
)

// The package's own tests read the embedded copy without package embedded,
// which imports this package and so cannot be imported by its tests.
func init() {
	sub, err := fs.Sub(testdata.MNIST, "mnist")
	if err != nil {
		panic(err)
	}
	RegisterEmbedded(sub, "embedded testdata/mnist")
}
