package testdata

import "embed"

// MNIST holds the gzipped MNIST IDX files under the folder "mnist":
//
//	mnist/train-images-idx3-ubyte.gz  60000 images of 28x28 pixels
//	mnist/train-labels-idx1-ubyte.gz  60000 labels
//	mnist/t10k-images-idx3-ubyte.gz   10000 images of 28x28 pixels
//	mnist/t10k-labels-idx1-ubyte.gz   10000 labels
//
//go:embed mnist/*.gz
var MNIST embed.FS
