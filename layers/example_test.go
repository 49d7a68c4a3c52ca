package layers_test

import (
	"fmt"
	"log"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/layers"
)

func ExampleLeNet() {
	m, err := layers.LeNet(tensor.Float32)
	if err != nil {
		log.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 0))) // glorot-uniform kernels, zero biases
	fmt.Println(m.NumParams())
	for _, l := range m.Layers {
		fmt.Println(l.Name(), l.Kind(), m.OutputShape(indexOf(m, l)))
	}
	// Output:
	// 1256080
	// conv2d Conv2D [20 28 28]
	// max_pooling2d MaxPooling2D [20 14 14]
	// conv2d_1 Conv2D [50 14 14]
	// max_pooling2d_1 MaxPooling2D [50 7 7]
	// flatten Flatten [2450]
	// dense Dense [500]
	// dense_1 Dense [10]
	// softmax Softmax [10]
}

func indexOf(m *layers.Sequential, l layers.Layer) int {
	for i, x := range m.Layers {
		if x == l {
			return i
		}
	}
	return -1
}

func ExampleToONNX() {
	m, err := layers.NewSequential(tensor.Float32, []int{4}, &layers.Dense{Units: 3, Activation: "relu"}, &layers.Dense{Units: 2}, &layers.Softmax{})
	if err != nil {
		log.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 0)))
	mp, err := layers.ToONNX(m, layers.ExportOptions{Opset: 13})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range mp.GetGraph().GetNode() {
		fmt.Println(n.GetOpType(), n.GetOutput())
	}
	// Output:
	// Gemm [dense/Gemm]
	// Relu [dense/Relu]
	// Gemm [dense_1/Gemm]
	// Softmax [output]
}
