package kernel

// Integer scratch space for the quantized kernels (widened inputs, im2col
// matrices, packed panels, int32 sums), recycled like the float scratch
// space of scratch.go.

var scratchU8, scratchI16, scratchI32 [64]freeList

// ScratchUint8 returns a slice of n bytes with unspecified contents,
// recycled when possible. Give it back with PutScratchUint8.
func ScratchUint8(n int) *[]uint8 { return getScratchInt[uint8](&scratchU8, n) }

// PutScratchUint8 hands a slice from ScratchUint8 back for reuse.
func PutScratchUint8(s *[]uint8) { putScratchInt(&scratchU8, s) }

// ScratchInt16 returns a slice of n int16s with unspecified contents,
// recycled when possible. Give it back with PutScratchInt16 once nothing
// reads it.
func ScratchInt16(n int) *[]int16 { return getScratchInt[int16](&scratchI16, n) }

// PutScratchInt16 hands a slice from ScratchInt16 back for reuse.
func PutScratchInt16(s *[]int16) { putScratchInt(&scratchI16, s) }

// ScratchInt32 returns a slice of n int32s with unspecified contents.
func ScratchInt32(n int) *[]int32 { return getScratchInt[int32](&scratchI32, n) }

// PutScratchInt32 hands a slice from ScratchInt32 back for reuse.
func PutScratchInt32(s *[]int32) { putScratchInt(&scratchI32, s) }

func getScratchInt[T uint8 | int16 | int32](pools *[64]freeList, n int) *[]T {
	if n <= 0 {
		s := []T{}
		return &s
	}
	k := scratchClass(n)
	if v, ok := pools[k].get().(*[]T); ok {
		*v = (*v)[:n]
		return v
	}
	s := make([]T, n, 1<<k)
	return &s
}

func putScratchInt[T uint8 | int16 | int32](pools *[64]freeList, s *[]T) {
	c := cap(*s)
	if c == 0 || c&(c-1) != 0 {
		return // not from getScratchInt
	}
	pools[scratchClass(c)].put(s)
}
