package tensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// F16 is an IEEE 754 binary16 (half-precision) number held as its bit
// pattern: the Go element type of Float16 tensors. Convert with
// F16FromFloat32, F16FromFloat64 and F16.Float32; arithmetic is done in
// float32 (see ops.Op.HalfAsFloat32).
type F16 uint16

// BF16 is a bfloat16 number (the upper half of an IEEE binary32) held as
// its bit pattern: the Go element type of BFloat16 tensors. Convert with
// BF16FromFloat32 and BF16.Float32.
type BF16 uint16

// Half is the set of half-precision element types, held as bit patterns.
type Half interface{ F16 | BF16 }

// Bits returns the IEEE binary16 bit pattern.
func (h F16) Bits() uint16 { return uint16(h) }

// Bits returns the bfloat16 bit pattern.
func (h BF16) Bits() uint16 { return uint16(h) }

// Float32 converts h exactly (every binary16 value, subnormals, infinities
// and NaN payloads included, is a binary32 value).
func (h F16) Float32() float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN (payload kept, shifted into place)
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		v := float32(mant) * (1.0 / (1 << 24)) // subnormal: mant * 2^-24, exact
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32 converts h exactly.
func (h BF16) Float32() float32 { return math.Float32frombits(uint32(h) << 16) }

// F16FromFloat32 rounds f to the nearest binary16 value, ties to even:
// overflow gives an infinity, underflow a subnormal or a signed zero, and
// NaN the quiet NaN 0x7e00 with f's sign (as onnxruntime's MLFloat16).
func F16FromFloat32(f float32) F16 {
	b := math.Float32bits(f)
	sign := uint32(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff:
		if mant != 0 {
			return F16(sign | 0x7e00)
		}
		return F16(sign | 0x7c00)
	case exp-127 > 15:
		return F16(sign | 0x7c00)
	case exp-127 >= -14:
		// Normal: drop 13 bits; a carry out of the mantissa bumps the
		// exponent, up to infinity.
		h := uint32(exp-127+15)<<10 | mant>>13
		if rem := mant & 0x1fff; rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
			h++
		}
		return F16(sign | h)
	case exp-127 < -25:
		return F16(sign)
	}
	// Subnormal binary16 (exponents -25 to -15).
	m := mant | 0x800000
	shift := uint(13 + (-14 - (exp - 127)))
	q := m >> shift
	rem, half := m&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	return F16(sign | q)
}

// F16FromFloat64 rounds f to the nearest binary16 value, ties to even, in
// one rounding (see F16FromFloat32).
func F16FromFloat64(f float64) F16 {
	b := math.Float64bits(f)
	sign := uint16(b>>48) & 0x8000
	exp := int(b>>52) & 0x7ff
	mant := b & (1<<52 - 1)
	switch {
	case exp == 0x7ff:
		if mant != 0 {
			return F16(sign | 0x7e00)
		}
		return F16(sign | 0x7c00)
	case exp == 0: // float64 subnormals are far below binary16's range
		return F16(sign)
	}
	e := exp - 1023
	if e > 15 {
		return F16(sign | 0x7c00)
	}
	m := mant | 1<<52
	shift, hexp := 42, e+15
	if e < -14 {
		shift, hexp = 42+(-14-e), 0
	}
	if shift > 53 { // below half the smallest subnormal
		return F16(sign)
	}
	q := m >> shift
	rem := m & (1<<shift - 1)
	half := uint64(1) << (shift - 1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	bits := q // subnormal: the carry into 1024 makes the smallest normal
	if hexp > 0 {
		bits = uint64(hexp)<<10 + q - 1024 // a carry to 2048 bumps the exponent
	}
	if bits >= 0x7c00 {
		return F16(sign | 0x7c00)
	}
	return F16(sign | uint16(bits))
}

// BF16FromFloat32 rounds f to the nearest bfloat16 value, ties to even;
// NaN becomes the quiet NaN 0x7fc1 (as onnxruntime's BFloat16).
func BF16FromFloat32(f float32) BF16 {
	if f != f {
		return 0x7fc1
	}
	u := math.Float32bits(f)
	u += 0x7fff + (u>>16)&1
	return BF16(u >> 16)
}

// BF16FromFloat64 rounds f to float32 and then to bfloat16, as
// onnxruntime's Cast does.
func BF16FromFloat64(f float64) BF16 { return BF16FromFloat32(float32(f)) }

// halfToFloat32 converts a []F16 or []BF16 to a new []float32.
//
//dtypes:half
func halfToFloat32[T Half](data any) []float32 {
	out := make([]float32, len(data.([]T)))
	switch s := data.(type) {
	case []F16:
		for i, v := range s {
			out[i] = v.Float32()
		}
	case []BF16:
		for i, v := range s {
			out[i] = v.Float32()
		}
	}
	return out
}

// halfFromFloat32 rounds a []float32 to a new []F16 or []BF16.
//
//dtypes:half
func halfFromFloat32[T Half](s []float32) any {
	out := make([]T, len(s))
	switch o := any(out).(type) {
	case []F16:
		for i, v := range s {
			o[i] = F16FromFloat32(v)
		}
	case []BF16:
		for i, v := range s {
			o[i] = BF16FromFloat32(v)
		}
	}
	return out
}

// IsHalf reports whether d is Float16 or BFloat16.
func (d DType) IsHalf() bool { return d == Float16 || d == BFloat16 }

// HalfToFloat32 returns a Float32 tensor with the values of a Float16 or
// BFloat16 tensor (exact); other tensors are returned as they are.
func HalfToFloat32(t *Tensor) *Tensor {
	f := halfToFloat32For[t.dtype]
	if f == nil {
		return t
	}
	return &Tensor{dtype: Float32, shape: t.shape, data: f(t.data)}
}

// Float32ToHalf rounds a Float32 tensor to dt (Float16 or BFloat16), to
// nearest even, as onnxruntime does.
func Float32ToHalf(t *Tensor, dt DType) (*Tensor, error) {
	f := halfFromFloat32For[dt]
	if f == nil || t.dtype != Float32 {
		return nil, fmt.Errorf("cannot round %v to %v", t, dt)
	}
	return &Tensor{dtype: dt, shape: t.shape, data: f(t.data.([]float32))}, nil
}

// DecodeHalf reads n little-endian 2-byte elements of a Float16 or
// BFloat16 tensor from raw, which must hold exactly 2n bytes.
func DecodeHalf(dt DType, raw []byte, shape []int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if !dt.IsHalf() {
		return nil, fmt.Errorf("%v is not a half-precision type", dt)
	}
	if len(raw) != 2*n {
		return nil, fmt.Errorf("%v data has %d bytes, want %d (%d elements of 2 bytes)", dt, len(raw), 2*n, n)
	}
	bits := make([]uint16, n)
	for i := range bits {
		bits[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return &Tensor{dtype: dt, shape: append([]int{}, shape...), data: fromBitsFor[dt](bits)}, nil
}

// fromBits reinterprets bit patterns as a []F16 or []BF16.
//
//dtypes:half
func fromBits[T Half](bits []uint16) any {
	out := make([]T, len(bits))
	for i, b := range bits {
		out[i] = T(b)
	}
	return out
}
