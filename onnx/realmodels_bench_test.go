package onnx_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// BenchmarkRealVisionModels times a Session run of each real vision model
// on its test_data_set_0 inputs (go test ./onnx -run NONE -bench
// RealVisionModels/NAME -cpuprofile cpu.out profiles one model).
func BenchmarkRealVisionModels(b *testing.B) {
	root := filepath.Join("..", "..", "shared", "realmodels")
	for _, name := range realVisionModels {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(root, name)
			models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
			if len(models) != 1 {
				b.Skipf("%s: no single .onnx file", dir)
			}
			m, err := onnx.Load(models[0])
			if err != nil {
				b.Fatal(err)
			}
			feeds := map[string]*tensors.Tensor{}
			i := 0
			for _, in := range m.Inputs() {
				if in.HasDefault {
					continue
				}
				p := filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i))
				if _, err := os.Stat(p); err != nil {
					b.Skip(err)
				}
				x, err := onnx.ReadTensorFile(p)
				if err != nil {
					b.Fatal(err)
				}
				feeds[in.Name] = x
				i++
			}
			s := m.NewSession()
			if _, err := s.Run(feeds); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := s.Run(feeds); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRealModelSessions runs a Session of every real model on its
// test_data_set_0 inputs and reports allocations per run (go test ./onnx
// -run NONE -bench RealModelSessions/NAME -benchtime 200x -memprofile
// mem.out -memprofilerate 1 finds them: the steady-state ones are those
// counted about b.N times).
func BenchmarkRealModelSessions(b *testing.B) {
	for _, dir := range realModelFolders(b) {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			m, rm := loadRealModel(b, dir)
			s := m.NewSession()
			for range 3 {
				if _, err := s.Run(rm.inputs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := s.Run(rm.inputs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
