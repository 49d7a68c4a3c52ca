package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// refKernel returns a plain-Go microKernel for an mr×nr tile, with the
// same contract as the assembly ones. It lets the tests check the packing
// driver, with every tile geometry in use, on any CPU.
func refKernel(mr, nr int) microKernel {
	return func(k int, a, b, c *float32, ldc int, alpha, beta float32) {
		as := unsafe.Slice(a, k*mr)
		bs := unsafe.Slice(b, k*nr)
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		acc := make([]float32, mr*nr)
		for p := 0; p < k; p++ {
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					acc[i*nr+j] += as[p*mr+i] * bs[p*nr+j]
				}
			}
		}
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				v := alpha * acc[i*nr+j]
				if beta != 0 {
					v += beta * cs[i*ldc+j]
				}
				cs[i*ldc+j] = v
			}
		}
	}
}

// gemmPath is one way float32 Gemm can be computed.
type gemmPath struct {
	name  string
	fast  bool       // sgemmFast
	arch  *sgemmArch // sgemmImpl when fast
	small int        // sgemmSmallMACs when fast
}

// portableArch is arch's geometry (tile and block sizes) with the Go
// reference micro-kernel and the Go packers.
func portableArch(arch *sgemmArch) *sgemmArch {
	return &sgemmArch{
		name: "go-" + arch.name,
		mr:   arch.mr, nr: arch.nr, kc: arch.kc, mc: arch.mc, nc: arch.nc,
		kernel: refKernel(arch.mr, arch.nr),
	}
}

// gemmPaths lists the paths this machine can run: the packed driver with
// each set of assembly routines the CPU can run ("asm-avx512",
// "asm-avx2"), the packed driver with the Go reference micro-kernel and Go
// packers in each distinct geometry of those ("packed-go-…"), and the gonum
// fallback. All skip the plain loops for tiny products (see
// TestGemmShapesAllPaths for those).
func gemmPaths() []gemmPath {
	var ps []gemmPath
	for _, a := range sgemmArchs {
		ps = append(ps, gemmPath{"asm-" + a.name, true, a, 0})
	}
	geoms := sgemmArchs
	if len(geoms) == 0 {
		geoms = []*sgemmArch{{name: "6x16", mr: gemmMR, nr: gemmNR, kc: gemmKC, mc: gemmMC, nc: gemmNC}}
	}
	seen := map[[5]int]bool{}
	for _, a := range geoms {
		g := [5]int{a.mr, a.nr, a.kc, a.mc, a.nc}
		if !seen[g] {
			seen[g] = true
			ps = append(ps, gemmPath{"packed-go-" + a.name, true, portableArch(a), 0})
		}
	}
	return append(ps, gemmPath{"gonum", false, nil, 0})
}

// asmPaths is the part of gemmPaths that runs assembly, or the first
// packed path when there is none.
func asmPaths() []gemmPath {
	ps := gemmPaths()
	for i, p := range ps {
		if !strings.HasPrefix(p.name, "asm") {
			return ps[:max(i, 1)]
		}
	}
	return ps
}

// startImpl is the packed-Gemm routines the package chose at start-up.
var startImpl = sgemmImpl

// withPath runs f with float32 Gemm forced onto path p.
func withPath(p gemmPath, f func()) {
	fast, impl, small := sgemmFast, sgemmImpl, sgemmSmallMACs
	defer func() { sgemmFast, sgemmImpl, sgemmSmallMACs = fast, impl, small }()
	sgemmFast = p.fast
	if p.fast {
		sgemmImpl, sgemmSmallMACs = p.arch, p.small
	}
	f()
}

// gemmCase is one product with strided operands placed inside larger
// buffers, so that writes outside C's m×n part can be caught.
type gemmCase struct {
	ta, tb        bool
	m, n, k       int
	lda, ldb, ldc int
	alpha, beta   float32
	nanC          bool // fill C with NaN (only meaningful with beta == 0)
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("ta=%v tb=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g nanC=%v",
		tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.lda, tc.ldb, tc.ldc, tc.alpha, tc.beta, tc.nanC)
}

const guard = 7 // sentinel elements before and after each operand

// checkGemm runs tc through Gemm[float32] and compares with a float64
// triple loop, element by element, with a bound proportional to k·eps.
func checkGemm(t *testing.T, r *rand.Rand, tc gemmCase) {
	t.Helper()
	ra, ca := tc.m, tc.k
	if tc.ta {
		ra, ca = tc.k, tc.m
	}
	rb, cb := tc.k, tc.n
	if tc.tb {
		rb, cb = tc.n, tc.k
	}
	fill := func(rows, cols, ld int, nan bool) (buf, mat []float32) {
		size := (rows-1)*ld + cols
		buf = make([]float32, size+2*guard)
		for i := range buf {
			switch {
			case i < guard || i >= guard+size || (i-guard)%ld >= cols:
				buf[i] = -12345 // sentinel in the gaps and guards
			case nan:
				buf[i] = float32(math.NaN())
			default:
				buf[i] = float32(r.Float64()*2 - 1)
			}
		}
		return buf, buf[guard : guard+size]
	}
	abuf, a := fill(ra, ca, tc.lda, false)
	bbuf, b := fill(rb, cb, tc.ldb, false)
	cbuf, c := fill(tc.m, tc.n, tc.ldc, tc.nanC)
	before := append([]float32(nil), cbuf...)

	Gemm(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, c, tc.ldc)

	// op(A) row by row and op(B) column by column, in float64.
	af := make([]float64, tc.m*tc.k)
	bf := make([]float64, tc.n*tc.k)
	for i := 0; i < tc.m; i++ {
		for p := 0; p < tc.k; p++ {
			if tc.ta {
				af[i*tc.k+p] = float64(a[p*tc.lda+i])
			} else {
				af[i*tc.k+p] = float64(a[i*tc.lda+p])
			}
		}
	}
	for j := 0; j < tc.n; j++ {
		for p := 0; p < tc.k; p++ {
			if tc.tb {
				bf[j*tc.k+p] = float64(b[j*tc.ldb+p])
			} else {
				bf[j*tc.k+p] = float64(b[p*tc.ldb+j])
			}
		}
	}
	eps := float64(math.Nextafter32(1, 2) - 1)
	for i := 0; i < tc.m; i++ {
		ai := af[i*tc.k : (i+1)*tc.k]
		for j := 0; j < tc.n; j++ {
			var s, mag float64
			for p, v := range bf[j*tc.k : (j+1)*tc.k] {
				v *= ai[p]
				s += v
				mag += math.Abs(v)
			}
			want := float64(tc.alpha) * s
			mag = math.Abs(float64(tc.alpha)) * mag
			if tc.beta != 0 {
				old := float64(before[guard+i*tc.ldc+j])
				want += float64(tc.beta) * old
				mag += math.Abs(float64(tc.beta) * old)
			}
			got := float64(c[i*tc.ldc+j])
			if tol := float64(tc.k+3) * eps * mag; !(math.Abs(got-want) <= tol) {
				t.Fatalf("%v: C[%d][%d] = %g, want %g (tol %g)", tc, i, j, got, want, tol)
			}
		}
	}
	for i, v := range cbuf {
		inC := i >= guard && i < guard+len(c) && (i-guard)%tc.ldc < tc.n
		if !inC && v != before[i] {
			t.Fatalf("%v: wrote outside C at buffer index %d (%g)", tc, i, v)
		}
	}
	for _, buf := range [][]float32{abuf, bbuf} {
		for i, v := range buf {
			if v != -12345 && (i < guard || i >= len(buf)-guard) {
				t.Fatalf("%v: guard of A or B changed", tc)
			}
		}
	}
}

// allTrans lists the four transpose combinations as bit 0 = transA,
// bit 1 = transB.
var allTrans = []int{0, 1, 2, 3}

// gemmCases builds the cases for shapes (m, n, k): each transpose
// combination in trans, tight and padded strides (or only padded ones
// when onlyPadded), and several alpha/beta pairs.
func gemmCases(shapes [][3]int, trans []int, onlyPadded bool) []gemmCase {
	type ab struct {
		alpha, beta float32
		nanC        bool
	}
	scalars := []ab{{1, 0, true}, {1, 1, false}, {-0.5, 2, false}, {1.5, 0, false}}
	var cs []gemmCase
	for si, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range trans {
			ta, tb := tr&1 != 0, tr&2 != 0
			for pad := b2i(onlyPadded); pad < 2; pad++ {
				ca, cb := k, n
				if ta {
					ca = m
				}
				if tb {
					cb = k
				}
				sc := scalars[(si+tr+pad)%len(scalars)]
				cs = append(cs, gemmCase{ta, tb, m, n, k, ca + 3*pad, cb + 5*pad, n + 2*pad, sc.alpha, sc.beta, sc.nanC})
			}
		}
	}
	return cs
}

func TestGemmShapesAllPaths(t *testing.T) {
	edge := []int{1, 2, 5, 6, 7, 15, 16, 17}
	var small [][3]int
	for _, m := range edge {
		for _, n := range edge {
			for _, k := range edge {
				small = append(small, [3]int{m, n, k})
			}
		}
	}
	larger := [][3]int{
		{255, 257, 256}, {257, 255, 257}, {31, 33, 513}, // KC blocks
		{145, 17, 3}, {289, 40, 9}, // MC blocks
		{3, 1041, 5}, {7, 2100, 2}, // NC blocks
		{1000, 1, 7}, {1, 1000, 300}, {2000, 3, 2}, {3, 2000, 1}, // tall and wide
	}
	paths := gemmPaths()
	if startImpl != nil {
		paths = append(paths, gemmPath{"small-loops", true, startImpl, math.MaxInt})
	}
	if testing.Short() {
		paths = asmPaths()
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			withPath(p, func() {
				r := rand.New(rand.NewPCG(1, 2))
				for _, tc := range gemmCases(small, allTrans, false) {
					checkGemm(t, r, tc)
				}
				for _, tc := range gemmCases(larger, allTrans, false) {
					checkGemm(t, r, tc)
				}
			})
		})
	}
}

// lenetShapes are the products of a LeNet training step (batch 128): the
// per-image convolutions and the dense layers, forward and both gradients.
var lenetShapes = []struct {
	name    string
	ta, tb  bool
	m, n, k int
}{
	{"conv1", false, false, 20, 784, 25},
	{"conv1-dW", false, true, 20, 25, 784},
	{"conv1-dX", true, false, 25, 784, 20},
	{"conv2", false, false, 50, 196, 500},
	{"conv2-dW", false, true, 50, 500, 196},
	{"conv2-dX", true, false, 500, 196, 50},
	{"dense1", false, false, 128, 500, 2450},
	{"dense1-dX", false, true, 128, 2450, 500},
	{"dense1-dW", true, false, 2450, 500, 128},
	{"dense2", false, false, 128, 10, 500},
	{"dense2-dX", false, true, 128, 500, 10},
	{"dense2-dW", true, false, 500, 10, 128},
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestGemmLeNetShapes(t *testing.T) {
	for _, p := range gemmPaths() {
		t.Run(p.name, func(t *testing.T) {
			withPath(p, func() {
				r := rand.New(rand.NewPCG(3, 4))
				for _, s := range lenetShapes {
					// The product in the transpose form LeNet calls it
					// with, and on the asm path the smaller ones in all
					// four forms.
					trans := []int{b2i(s.ta) | b2i(s.tb)<<1}
					big := s.m*s.n*s.k > 1<<23
					if strings.HasPrefix(p.name, "asm") && !big {
						trans = allTrans
					}
					for _, tc := range gemmCases([][3]int{{s.m, s.n, s.k}}, trans, big) {
						checkGemm(t, r, tc)
					}
				}
			})
		})
	}
}

// TestGemmParallelSplit forces small products through the parallel split,
// with more workers than cores so that some parts run inline.
func TestGemmParallelSplit(t *testing.T) {
	old := sgemmParallelMACs
	defer func() { sgemmParallelMACs = old }()
	sgemmParallelMACs = 1
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(5))
	shapes := [][3]int{{17, 100, 9}, {100, 17, 9}, {7, 33, 40}, {61, 6, 3}, {12, 16, 1}, {200, 130, 70}}
	for _, p := range asmPaths() {
		withPath(p, func() {
			r := rand.New(rand.NewPCG(5, 6))
			for _, tc := range gemmCases(shapes, allTrans, false) {
				checkGemm(t, r, tc)
			}
		})
	}
}

func TestGemmAlphaZeroSkipsAB(t *testing.T) {
	for _, p := range gemmPaths() {
		withPath(p, func() {
			nan := float32(math.NaN())
			a := []float32{nan, nan, nan, nan}
			c := []float32{1, 2, 3, 4}
			Gemm(false, false, 2, 2, 2, 0, a, 2, a, 2, 3, c, 2)
			for i, v := range c {
				if v != float32(3*(i+1)) {
					t.Fatalf("%s: c = %v, want [3 6 9 12]", p.name, c)
				}
			}
		})
	}
}

func TestGemmNamedFloat32(t *testing.T) {
	type f32 float32
	a := []f32{1, 2, 3, 4, 5, 6} // 2×3
	b := []f32{1, 0, 0, 1, 1, 1} // 3×2
	c := []f32{9, 9, 9, 9}
	Gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	if want := []f32{4, 5, 10, 11}; c[0] != want[0] || c[1] != want[1] || c[2] != want[2] || c[3] != want[3] {
		t.Fatalf("c = %v, want %v", c, want)
	}
}

func TestGemmRejectsShortSlices(t *testing.T) {
	for _, p := range gemmPaths() {
		withPath(p, func() {
			for _, tc := range []struct {
				name             string
				la, lb, lc       int
				lda, ldb, ldc, m int
			}{
				{"short A", 11, 12, 12, 4, 4, 4, 3},
				{"short C", 12, 12, 11, 4, 4, 4, 3},
				{"small lda", 12, 12, 12, 3, 4, 4, 3},
			} {
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("%s: %s did not panic", p.name, tc.name)
						}
					}()
					a := make([]float32, tc.la)
					b := make([]float32, tc.lb)
					c := make([]float32, tc.lc)
					Gemm(false, false, tc.m, 4, 4, 1, a, tc.lda, b, tc.ldb, 0, c, tc.ldc)
				}()
			}
		})
	}
}

func TestGemmSteadyStateAllocs(t *testing.T) {
	if !sgemmFast {
		t.Skip("no packed kernel on this CPU")
	}
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ m, n, k int }{{50, 196, 500}, {128, 500, 2450}, {5, 7, 3}} {
		a := f32(randSlice(r, s.m*s.k))
		b := f32(randSlice(r, s.k*s.n))
		c := make([]float32, s.m*s.n)
		allocs := testing.AllocsPerRun(20, func() {
			Gemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, c, s.n)
		})
		if allocs != 0 {
			t.Errorf("%dx%dx%d: %v allocations per call, want 0", s.m, s.n, s.k, allocs)
		}
	}
}

// TestGemmPackers checks the assembly packers of every routine set the
// CPU can run against the portable Go ones element by element, zero
// padding included, starting from buffers full of garbage.
func TestGemmPackers(t *testing.T) {
	if len(sgemmArchs) == 0 {
		t.Skip("no assembly packers on this CPU")
	}
	r := rand.New(rand.NewPCG(11, 12))
	garbage := func(s []float32) {
		for i := range s {
			s[i] = float32(r.Float64()*100 + 1)
		}
	}
	for _, arch := range sgemmArchs {
		for _, w := range []int{arch.mr, arch.nr} {
			copier, transposer := arch.copyA, arch.transA
			if w == arch.nr {
				copier, transposer = arch.copyB, arch.transB
			}
			for _, kc := range []int{1, 7, 8, 9, 16, 23, 128, 256} {
				for _, n := range []int{1, 5, 6, 7, 11, 12, 13, 15, 16, 17, 31, 32, 33, 65} {
					ld := max(kc, n) + 3
					x := make([]float32, (max(kc, n)+2)*ld)
					garbage(x)
					size := (n + w - 1) / w * w * kc
					want := make([]float32, size)
					got := make([]float32, size)
					scratch := make([]float32, max(arch.mr, arch.nr)*kc)
					for _, tr := range []bool{false, true} {
						garbage(want)
						garbage(got)
						garbage(scratch)
						if tr {
							packT(nil, w, want, x, ld, 1, 2, n, kc, nil)
							packT(transposer, w, got, x, ld, 1, 2, n, kc, scratch)
						} else {
							packN(nil, w, want, x, ld, 1, 2, kc, n)
							packN(copier, w, got, x, ld, 1, 2, kc, n)
						}
						for i := range want {
							if got[i] != want[i] {
								t.Fatalf("%s w=%d kc=%d n=%d transposed=%v: packed[%d] = %g, want %g", arch.name, w, kc, n, tr, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmEdgeKernel checks each assembly edgeKernel against the Go
// reference kernel on every partial tile (rows×cols) with several depths
// and beta cases, and that C outside the partial tile is left alone.
func TestGemmEdgeKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, arch := range sgemmArchs {
		if arch.edge == nil {
			continue
		}
		mr, nr := arch.mr, arch.nr
		ref := refKernel(mr, nr)
		for _, k := range []int{1, 2, 3, 4, 5, 8, 17} {
			a := f32(randSlice(r, k*mr))
			b := f32(randSlice(r, k*nr))
			const ldc = 41
			for _, sc := range []struct{ alpha, beta float32 }{{1, 0}, {-0.5, 2}, {2, 1}} {
				for rows := 1; rows <= mr; rows++ {
					for cols := 1; cols <= nr; cols++ {
						c0 := f32(randSlice(r, (mr+1)*ldc))
						if sc.beta == 0 {
							for i := range c0 {
								if i/ldc < rows && i%ldc < cols {
									c0[i] = float32(math.NaN())
								}
							}
						}
						want := append([]float32(nil), c0...)
						got := append([]float32(nil), c0...)
						tile := make([]float32, mr*nr)
						ref(k, &a[0], &b[0], &tile[0], nr, 1, 0)
						for i := 0; i < rows; i++ {
							for j := 0; j < cols; j++ {
								v := sc.alpha * tile[i*nr+j]
								if sc.beta != 0 {
									v += sc.beta * want[i*ldc+j]
								}
								want[i*ldc+j] = v
							}
						}
						arch.edge(k, &a[0], &b[0], &got[0], ldc, sc.alpha, sc.beta, rows, cols)
						for i := range want {
							if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*(1+math.Abs(float64(want[i])))) {
								t.Fatalf("%s k=%d rows=%d cols=%d alpha=%g beta=%g: C[%d][%d] = %g, want %g",
									arch.name, k, rows, cols, sc.alpha, sc.beta, i/ldc, i%ldc, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmTileEdges runs products whose sizes sit around the multiples of
// the tile and block sizes (6, 8, 16, kc, mc, nc, and 12, 32 for larger
// tiles), in all four
// transpose cases with several alpha/beta pairs, on every path, against
// the float64 reference.
func TestGemmTileEdges(t *testing.T) {
	var shapes [][3]int
	for _, m := range []int{5, 11, 12, 13, 25} {
		for _, n := range []int{7, 8, 9, 15, 31, 32, 33, 49, 65} {
			for _, k := range []int{1, 4, 5, 12} {
				shapes = append(shapes, [3]int{m, n, k})
			}
		}
	}
	shapes = append(shapes,
		[3]int{13, 33, 127}, [3]int{13, 33, 128}, [3]int{13, 33, 129}, [3]int{25, 31, 257}, // kc
		[3]int{191, 20, 7}, [3]int{193, 33, 9}, [3]int{385, 17, 3}, // mc
		[3]int{9, 1025, 3}, [3]int{5, 2049, 2}, // nc
	)
	for _, p := range gemmPaths() {
		if testing.Short() && !strings.HasPrefix(p.name, "asm") {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			withPath(p, func() {
				r := rand.New(rand.NewPCG(15, 16))
				for _, tc := range gemmCases(shapes, allTrans, false) {
					checkGemm(t, r, tc)
				}
			})
		})
	}
}

// TestGemmPickImpl checks the start-up choice of routine set.
func TestGemmPickImpl(t *testing.T) {
	if len(sgemmArchs) == 0 {
		if startImpl != nil {
			t.Fatal("a routine set was chosen on a CPU with none")
		}
		return
	}
	if got := pickSgemmImpl(sgemmArchs, ""); got != sgemmArchs[0] {
		t.Errorf("default: got %s, want %s", got.name, sgemmArchs[0].name)
	}
	for _, a := range sgemmArchs {
		if got := pickSgemmImpl(sgemmArchs, a.name); got != a {
			t.Errorf("ONNXKIT_GEMM=%s: got %s", a.name, got.name)
		}
	}
	if got := pickSgemmImpl(sgemmArchs, "gonum"); got != sgemmArchs[0] {
		t.Errorf("ONNXKIT_GEMM=gonum: got %s, want %s", got.name, sgemmArchs[0].name)
	}
}
