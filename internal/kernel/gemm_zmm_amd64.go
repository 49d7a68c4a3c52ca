//go:build amd64 && !purego

package kernel

import (
	"time"

	"golang.org/x/sys/cpu"
)

// sgemmZMM is the full-width AVX-512 routine set: the 12×32 zmm
// micro-kernel sgemmKernel12x32AVX512 for every whole 12×32 block of C,
// the masked zmm sgemmKernel12x32EdgeAVX512 for the ragged blocks around
// them (half the time of running those on ymm, on a Zen 5) and
// sgemmAVX512's masked 6×16 kernel for blocks of at most 6×16. It packs as the 6×16 sets
// do (the big kernel reads two panels of A and two of B at once), so the
// convolution packers and the prepacked weights serve all three.
var sgemmZMM = &sgemmArch{
	name: "zmm12x32",
	mr:   gemmMR, nr: gemmNR, kc: gemmKC, mc: gemmMC, nc: gemmNC,
	edge: sgemmKernel6x16AVX512,
	big:  sgemmKernel12x32AVX512, bigEdge: sgemmKernel12x32EdgeAVX512,
	img:    sgemmKernel12x32ImgAVX512,
	transB: packPanel16AVX2, transA: packPanel6AVX2,
	copyB: copyPanel16AVX2, copyA: copyPanel6AVX2,
	gemv: sgemvKernelAVX2,
}

// sgemmKernel12x32ImgAVX512 is sgemmKernel12x32EdgeAVX512 with its B
// panels read from the image through a convolution's pack plan instead of
// packed (gemm_zmm_edge_amd64.s; see imgKernel).
//
//go:noescape
func sgemmKernel12x32ImgAVX512(k int, a, src *float32, off int, offs *int32, masks0, masks1 *uint16, taps, tap int, c *float32, ldc int, alpha, beta float32, rows, cols int)

// sgemmKernel12x32AVX512 is the zmm microKernel for a 12×32 tile read from
// two 6-row A panels and two 16-column B panels (gemm_zmm_amd64.s).
//
//go:noescape
func sgemmKernel12x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, bias, res *float32, ldr int, relu bool)

// cpuid executes CPUID with the given leaf and sub-leaf.
func cpuid(eaxIn, ecxIn uint32) (eax, ebx, ecx, edx uint32)

// cpuVendorFamily returns the CPU's vendor string ("AuthenticAMD",
// "GenuineIntel", ...) and its display family and model (base plus
// extended family and model, as the vendors' manuals define them).
func cpuVendorFamily() (vendor string, family, model int) {
	_, b, c, d := cpuid(0, 0)
	v := make([]byte, 0, 12)
	for _, r := range []uint32{b, d, c} {
		v = append(v, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
	}
	a, _, _, _ := cpuid(1, 0)
	family = int(a>>8) & 0xf
	model = int(a>>4) & 0xf
	if family == 0xf {
		family += int(a>>20) & 0xff
	}
	if family == 0x6 || family >= 0xf {
		model |= (int(a>>16) & 0xf) << 4
	}
	return string(v), family, model
}

// zmmClass says how this CPU runs 512-bit FMAs, which decides between
// sgemmZMM and the 256-bit sets: "native" (AMD family 26 = Zen 5 and
// later), "double-pumped" (AMD family 25 = Zen 4, which splits each into
// two 256-bit halves: no faster than ymm, and the larger tile wastes more
// at ragged edges), or "measure" (Intel: server cores with two 512-bit FMA
// units double the ymm peak, client cores and one-unit Xeons do not, and
// CPUID does not tell them apart).
func zmmClass(vendor string, family int) string {
	switch {
	case vendor == "AuthenticAMD" && family >= 0x1a:
		return "native"
	case vendor == "AuthenticAMD":
		return "double-pumped"
	case vendor == "GenuineIntel":
		return "measure"
	}
	return "double-pumped"
}

// zmmSpeedup times the 12×32 zmm micro-kernel against the 6×16 ymm one on
// panels that stay in the L1 cache, a few milliseconds in all, and returns
// the ratio of their FLOP rates (above 1: zmm is faster).
func zmmSpeedup() float64 {
	const k = 128
	a := make([]float32, 12*k)
	b := make([]float32, 32*k)
	c := make([]float32, 12*32)
	for i := range a {
		a[i] = float32(i%7) * 0.25
	}
	for i := range b {
		b[i] = float32(i%5) * 0.5
	}
	rate := func(big bool) float64 {
		best := 0.0
		for rep := 0; rep < 3; rep++ {
			start := time.Now()
			flops := 0
			for time.Since(start) < 300*time.Microsecond {
				for i := 0; i < 16; i++ {
					if big {
						sgemmKernel12x32AVX512(k, &a[0], &b[0], &c[0], 32, 1, 0, nil, nil, 0, false)
						flops += 2 * 12 * 32 * k
					} else {
						sgemmKernelAVX2(k, &a[0], &b[0], &c[0], 32, 1, 0)
						flops += 2 * 6 * 16 * k
					}
				}
			}
			best = max(best, float64(flops)/time.Since(start).Seconds())
		}
		return best
	}
	rate(true) // wake the 512-bit units up (licence change) before timing
	return rate(true) / rate(false)
}

// zmmMinSpeedup is how much faster the zmm kernel must measure for
// "measure" CPUs to get it.
const zmmMinSpeedup = 1.25

// prefersZMM reports whether this CPU should run sgemmZMM by default.
func prefersZMM() bool {
	vendor, family, _ := cpuVendorFamily()
	switch zmmClass(vendor, family) {
	case "native":
		return true
	case "measure":
		return zmmSpeedup() >= zmmMinSpeedup
	}
	return false
}

// hasAVX512 reports whether the CPU can run the AVX-512 routine sets.
func hasAVX512() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX2 && cpu.X86.HasFMA
}

// fmaLoopYMM runs n iterations of twelve independent 256-bit FMAs (192
// FLOPs each), for measuring the FMA peak.
//
//go:noescape
func fmaLoopYMM(n int)

// fmaLoopZMM is fmaLoopYMM with 512-bit FMAs (384 FLOPs an iteration).
//
//go:noescape
func fmaLoopZMM(n int)

// sgemmKernel12x32EdgeAVX512 is the zmm kernel for the ragged tiles of the
// zmm set: the top-left rows×cols part of a 12×32 tile (rows ≤ 12, cols ≤
// 32), in place, masked (gemm_zmm_edge_amd64.s).
//
//go:noescape
func sgemmKernel12x32EdgeAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, rows, cols int)
