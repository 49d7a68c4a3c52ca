package trainer

import (
	"testing"
)

// BenchmarkTrainStep measures one LeNet training step (forward, backward,
// Adam) at batch 128 and reports images/s.
func BenchmarkTrainStep(b *testing.B) {
	train, _ := loadMNIST(b)
	tr := newLeNet(b, 1)
	const batch = 128
	s, err := tr.stepper(batch, modeTrain)
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}
	s.load(train, idx, tr.Classes)
	params := tr.Model.Params()
	grads := make([][]float32, len(params))
	opt := NewAdam()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.run(); err != nil {
			b.Fatal(err)
		}
		for j, n := range s.gr.Params {
			g, _ := n.Grad()
			grads[j] = g.Data().([]float32)
		}
		if err := opt.Step(params, grads); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkPredict measures inference at batch 128 and batch 1.
func BenchmarkPredict(b *testing.B) {
	_, test := loadMNIST(b)
	tr := newLeNet(b, 1)
	for _, batch := range []int{1, 128} {
		b.Run(map[int]string{1: "batch1", 128: "batch128"}[batch], func(b *testing.B) {
			x := test.Images[:batch*784]
			if _, err := tr.Predict(x, batch, batch); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Predict(x, batch, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
