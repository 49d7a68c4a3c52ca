package main

// onnxkit trains and evaluates on the MNIST copy embedded in it by default
// (mnist.Load("")).
import _ "github.com/onnxkit/onnxkit/trainer/mnist/embedded"
