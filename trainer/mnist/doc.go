// Package mnist decodes the MNIST database of handwritten digits, and any
// data set stored in the same IDX files (Fashion-MNIST, KMNIST, ...), into
// flat float32 slices ready for training.
//
// Load with an empty directory returns the copy of MNIST embedded in
// onnxkit, when the program imports package
// github.com/onnxkit/onnxkit/trainer/mnist/embedded (so that importing this
// package alone does not link 11.6 MB of data); with a directory it
// reads the four files train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte from there, gzipped
// (".gz") or not.
//
// Pixels are scaled the way the Keras examples do it,
// x.astype("float32") / 255: each byte b becomes float32(b) / 255 rounded
// once to float32, so the inputs are bit-identical to those of a Keras run.
//
// The decoder trusts nothing in a file header: the sizes it announces are
// checked for overflow and against a hard limit, and memory grows only as
// data actually arrives, so a short file with a header claiming billions of
// images fails quickly with ErrTruncated instead of exhausting memory.
// Every error names the file at fault.
package mnist
