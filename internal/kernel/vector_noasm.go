//go:build !amd64 || purego

package kernel

// Without assembly the ReLU and max-pool kernels run entirely in Go.

func relu32(x, y []float32) int                                 { return 0 }
func reluGrad32(y, dy, dx []float32) int                        { return 0 }
func maxPool2x2Row32(r0, r1, out []float32) int                 { return 0 }
func addBias32(x []float32, b float32, relu bool) int           { return 0 }
func maxPool2x2ArgRow32(r0, r1, out []float32, tap []int32) int { return 0 }
func div32(dst, x, d []float32) int                             { return 0 }

// vectorFMA is false: ScaleShift rounds x·a + b twice here.
const vectorFMA = false
