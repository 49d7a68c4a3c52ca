package mnist_test

import (
	"fmt"
	"log"

	"github.com/onnxkit/onnxkit/trainer/mnist/embedded"
)

func Example() {
	train, test, err := embedded.Load() // the MNIST copy embedded in onnxkit
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.N, test.N, train.Rows, train.Cols)

	batch := train.Slice(0, 32)
	y, err := batch.OneHot(10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(batch.Labels[0], y[:10])
	// Output:
	// 60000 10000 28 28
	// 5 [0 0 0 0 0 1 0 0 0 0]
}
