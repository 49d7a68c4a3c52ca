// Package layers builds trainable neural networks as Gorgonia graphs, with
// Keras semantics: Conv2D, MaxPool2D, Flatten, Dense, ReLU and Softmax in a
// Sequential model, Keras initializers from a seedable random source, a
// parameter count and a Keras-like Summary.
//
// # Layout
//
// Tensors are NCHW (channels first), the layout of ONNX and PyTorch. A
// model's input shape is given per sample without the batch axis, so the
// MNIST LeNet takes [1, 28, 28]. Weights are stored as ONNX stores them:
//
//   - Conv2D kernel: [filters, in_channels, kh, kw] (OIHW). A Keras kernel
//     is [kh, kw, in_channels, filters] (HWIO): transpose (3, 2, 0, 1).
//   - Dense kernel: [in, out], exactly as Keras stores it.
//   - Biases: [filters] or [units], as in Keras.
//
// Flatten takes the NCHW order (c, h, w), while Keras flattens NHWC as
// (h, w, c). The rows of the Dense kernel that follows a Flatten are
// therefore in a different order from Keras's: row (c, h, w) here is row
// (h, w, c) there. Converters between the two (see the ONNX import) permute
// those rows; nothing else differs.
//
// Every operation runs the kernels of package onnx/kernel, the same code
// the ONNX runtime runs, and each has an explicit gradient operation, so
// gorgonia.Grad differentiates any Sequential model.
package layers
