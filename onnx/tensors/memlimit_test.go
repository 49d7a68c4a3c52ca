package tensors

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSize(t *testing.T) {
	old := SetMaxTensorBytes(1 << 10)
	defer SetMaxTensorBytes(old)
	if n, err := CheckSize(Float64, []int{2, 64}); err != nil || n != 128 {
		t.Errorf("1 KiB of float64: %d, %v", n, err)
	}
	_, err := CheckSize(Float64, []int{2, 65})
	if err == nil || !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "float64[2 65] needs 1040 bytes, more than the tensor size limit of 1024 bytes") {
		t.Errorf("over the byte limit: %v", err)
	}
	if _, err := CheckSize(String, []int{65}); err == nil || !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("65 strings (16 bytes each): %v", err)
	}
	if _, _, err := Make[int32]([]int{257}); err == nil || !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("Make over the limit: %v", err)
	}
	if _, err := Alloc(Uint8, []int{1025}); err == nil || !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("Alloc over the limit: %v", err)
	}
	if _, err := Alloc(Uint8, []int{1024}); err != nil {
		t.Errorf("Alloc at the limit: %v", err)
	}
	SetMaxTensorBytes(0)
	// Over MaxElements is a memory-limit error; a count that overflows is
	// nonsense, not a limit.
	if _, err := NumElements([]int{1 << 16, 1 << 16}); err == nil || !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("2^32 elements: %v", err)
	}
	if _, err := NumElements([]int{1 << 40, 1 << 40}); err == nil || errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("2^80 elements: %v", err)
	}
}
