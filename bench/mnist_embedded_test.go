package bench

// The tests read MNIST with mnist.Load(""), which needs the embedded copy linked.
import _ "github.com/onnxkit/onnxkit/trainer/mnist/embedded"
