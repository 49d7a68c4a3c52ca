//go:build !amd64 || purego

package kernel

// winogradAVX512 is false: the Winograd transforms have only AVX-512
// loops, so convolutions take the GEMM path here.
const winogradAVX512 = false

func winoInputRow(dst, src []float32, ld, plane, n int) {
	panic("kernel: Winograd transform without AVX-512")
}

func winoOutputRows(y0, y1, src []float32, plane, n, width int, bias float32, relu bool, rows, ystride, sstride int) {
	panic("kernel: Winograd transform without AVX-512")
}

func winoOutputPool(y, src []float32, plane, n int, bias float32, relu bool) {
	panic("kernel: Winograd transform without AVX-512")
}
