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

//go:noescape
func expShiftAVX2(x, y *float32, n int, m float32) (sum float32)

//go:noescape
func expShiftAVX512(x, y *float32, n int, m float32) (sum float32)

//go:noescape
func rowMaxAVX2(x *float32, n8 int) (m float32, nan bool)

// rowMax32 returns the largest element of x (len(x) ≥ 1) and whether x
// holds a NaN (the maximum is then meaningless).
func rowMax32(x []float32) (m float32, nan bool) {
	done := 0
	m = x[0]
	if n8 := len(x) &^ 7; n8 > 0 && transcendSet != "go" {
		m, nan = rowMaxAVX2(&x[0], n8)
		done = n8
	}
	for _, v := range x[done:] {
		if v > m {
			m = v
		}
		nan = nan || v != v
	}
	return m, nan
}

// expShiftVec32 sets y[i] = e^(x[i]-m) (0 below e^expLo) for the elements
// of x the vector loop does (all with AVX-512, the full vectors with AVX2)
// and returns how many it did (0 without AVX2) and their sum (in float32:
// each vector lane's, then the lanes').
func expShiftVec32(x, y []float32, m float32) (int, float64) {
	switch n := len(x); {
	case n == 0:
	case transcendSet == "avx512":
		_ = y[n-1]
		return n, float64(expShiftAVX512(&x[0], &y[0], n, m))
	case transcendSet == "avx2" && n >= 8:
		n &^= 7
		_ = y[n-1]
		return n, float64(expShiftAVX2(&x[0], &y[0], n, m))
	}
	return 0, 0
}

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
