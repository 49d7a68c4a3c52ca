//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// transcendSet names the loops Sigmoid and Tanh run on float32: "avx512"
// (16 floats a step) on CPUs with AVX-512, "avx2" (8) with AVX2 and FMA,
// else "go". Tests switch it to run every set the CPU has.
var transcendSet = func() string {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return "avx512"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return "avx2"
	}
	return "go"
}()

// transcendSets lists the loop sets this CPU can run, best first.
func transcendSets() []string {
	switch transcendSet {
	case "avx512":
		return []string{"avx512", "avx2", "go"}
	case "avx2":
		return []string{"avx2", "go"}
	}
	return []string{"go"}
}

//go:noescape
func sigmoidAVX2(x, y *float32, n int)

//go:noescape
func tanhAVX2(x, y *float32, n int)

//go:noescape
func sigmoidAVX512(x, y *float32, n int)

//go:noescape
func tanhAVX512(x, y *float32, n int)

// sigmoidVec32 runs the vector loop on x's full vectors and returns how
// many elements it did (0 without AVX2); the caller does the rest.
func sigmoidVec32(x, y []float32) int {
	return transcendVec32(x, y, sigmoidAVX512, sigmoidAVX2)
}

// tanhVec32 is sigmoidVec32 for tanh.
func tanhVec32(x, y []float32) int {
	return transcendVec32(x, y, tanhAVX512, tanhAVX2)
}

func transcendVec32(x, y []float32, f16, f8 func(x, y *float32, n int)) int {
	done := 0
	if transcendSet == "avx512" {
		if n := len(x) &^ 15; n > 0 {
			_ = y[n-1]
			f16(&x[0], &y[0], n)
			done = n
		}
	}
	if transcendSet != "go" {
		if n := (len(x) - done) &^ 7; n > 0 {
			_ = y[done+n-1]
			f8(&x[done], &y[done], n)
			done += n
		}
	}
	return done
}
