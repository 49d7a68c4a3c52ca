package kernel

import (
	"testing"
	"unsafe"
)

// TestCacheLines checks the line count the prefetches issue for slices
// at every offset within a line, and that prefetching them (reading and
// writing) leaves their contents as they were.
func TestCacheLines(t *testing.T) {
	buf := make([]float32, 1024+16)
	for i := range buf {
		buf[i] = float32(i)
	}
	base := int(uintptr(unsafe.Pointer(&buf[0])) % 64 / 4) // floats into its line
	for off := 0; off < 16; off++ {
		for _, n := range []int{0, 1, 2, 15, 16, 17, 31, 32, 33, 1000} {
			s := buf[off : off+n]
			want := 0
			if n > 0 {
				first, last := (base+off)/16, (base+off+n-1)/16
				want = last - first + 1
			}
			if got := cacheLines(s); got != want {
				t.Fatalf("cacheLines(%d floats at offset %d, line offset %d) = %d, want %d", n, off, base, got, want)
			}
			prefetchRead(s)
			prefetchWrite(s)
		}
	}
	for i := range buf {
		if buf[i] != float32(i) {
			t.Fatalf("buf[%d] = %v after the prefetches, want %d", i, buf[i], i)
		}
	}
	if got := cacheLines(make([]float64, 9)); got < 2 || got > 3 {
		t.Errorf("cacheLines(9 float64) = %d, want 2 or 3", got)
	}
	if prefetches[float32](prefetchMinBytes/4-1) || !prefetches[float32](prefetchMinBytes/4) || !prefetches[float64](prefetchMinBytes/8) {
		t.Errorf("prefetches: wrong threshold around %d bytes", prefetchMinBytes)
	}
}
