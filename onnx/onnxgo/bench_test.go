package onnxgo_test

import (
	"fmt"
	"testing"

	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"

	"github.com/onnxkit/onnxkit/onnx/onnxgo"
)

// BenchmarkOnnxGo runs the exported LeNet (opset 13) through onnx-go's
// README flow (SetInput, Run, GetOutputTensors) with gorgonnx and with
// this backend, at batch 1 and 16. The model is decoded and run once
// before timing (both backends compile on their first Run).
//
//	go test -run '^$' -bench OnnxGo -benchtime 3s ./onnx/onnxgo/
func BenchmarkOnnxGo(b *testing.B) {
	f := lenet(b, 13)
	backends := []struct {
		name string
		new  func() computation
	}{
		{"gorgonnx", func() computation { return gorgonnx.NewGraph() }},
		{"onnxkit", func() computation { return onnxgo.NewGraph() }},
	}
	for _, batch := range []int{1, 16} {
		in := randomImages(batch, 5)
		for _, be := range backends {
			b.Run(fmt.Sprintf("batch=%d/%s", batch, be.name), func(b *testing.B) {
				backend := be.new()
				m := decodeWith(b, backend, f.b)
				step := func() {
					if err := m.SetInput(0, in); err != nil {
						b.Fatal(err)
					}
					if err := backend.Run(); err != nil {
						b.Fatal(err)
					}
					if _, err := m.GetOutputTensors(); err != nil {
						b.Fatal(err)
					}
				}
				step()
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					step()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(batch), "ns/image")
			})
		}
	}
}
