package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sbinet/npyio"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// npyBytes builds a .npy file by hand: version 1.0, the given header
// dictionary, and data appended as is.
func npyBytes(dict string, data []byte) []byte {
	h := dict + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func leBytes(v any) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, v)
	return b.Bytes()
}

func TestTensorFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]*tensors.Tensor{
		"float32":  mustTensor(t, []int{2, 3, 1, 2}, []float32{0, -1.5, float32(math.Inf(1)), 3e-38, 4, 5, 6, 7, 8, 9, 10, 11}),
		"float64":  mustTensor(t, []int{3}, []float64{math.Pi, -0.0, 1e300}),
		"int8":     mustTensor(t, []int{2}, []int8{-128, 127}),
		"int16":    mustTensor(t, []int{2}, []int16{-32768, 7}),
		"int32":    mustTensor(t, []int{1, 2}, []int32{-1 << 31, 1<<31 - 1}),
		"int64":    mustTensor(t, []int{2, 2}, []int64{-1 << 63, 1<<63 - 1, 0, 42}),
		"uint8":    mustTensor(t, []int{3}, []uint8{0, 128, 255}),
		"uint16":   mustTensor(t, []int{1}, []uint16{65535}),
		"uint32":   mustTensor(t, []int{1}, []uint32{1<<32 - 1}),
		"uint64":   mustTensor(t, []int{1}, []uint64{1<<64 - 1}),
		"bool":     mustTensor(t, []int{2, 2}, []bool{true, false, false, true}),
		"scalar":   tensors.Scalar(float32(2.5)),
		"empty":    mustTensor(t, []int{0, 3}, []float32{}),
		"longdims": mustTensor(t, []int{1, 1, 1, 1, 1, 1, 1, 1, 2}, []int64{5, 6}),
	}
	for name, want := range cases {
		for _, ext := range []string{".npy", ".pb", ".NPY"} {
			t.Run(name+ext, func(t *testing.T) {
				path := filepath.Join(dir, name+ext)
				if err := WriteTensorFile(path, "x_"+name, want); err != nil {
					t.Fatal(err)
				}
				got, err := ReadTensorFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if got.DType() != want.DType() || !reflect.DeepEqual(got.Shape(), want.Shape()) {
					t.Fatalf("read back %v, wrote %v", got, want)
				}
				if !reflect.DeepEqual(got.Data(), want.Data()) {
					t.Fatalf("read back %v, wrote %v", got.Data(), want.Data())
				}
				if strings.HasSuffix(ext, "npy") || strings.HasSuffix(ext, "NPY") {
					b, _ := os.ReadFile(path)
					hlen := int(binary.LittleEndian.Uint16(b[8:]))
					if (10+hlen)%64 != 0 || b[10+hlen-1] != '\n' {
						t.Errorf("header of %d bytes does not end with a newline on a 64-byte boundary", 10+hlen)
					}
				}
			})
		}
	}
}

// TestNPYAgainstNpyio checks the reader and the writer against npyio's own
// encoder and decoder.
func TestNPYAgainstNpyio(t *testing.T) {
	dir := t.TempDir()
	// npyio writes, onnxkit reads.
	var b bytes.Buffer
	if err := npyio.Write(&b, []float64{1, 2.5, -3}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "npyio.npy")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTensorFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.DType() != tensors.Float64 || !reflect.DeepEqual(got.Shape(), []int{3}) || !reflect.DeepEqual(got.Data(), []float64{1, 2.5, -3}) {
		t.Fatalf("read %v %v", got, got.Data())
	}
	// onnxkit writes, npyio reads the header and data.
	x := mustTensor(t, []int{2, 3, 4}, make([]int32, 24))
	for i := range tensors.Data[int32](x) {
		tensors.Data[int32](x)[i] = int32(i * 7)
	}
	path = filepath.Join(dir, "onnxkit.npy")
	if err := WriteTensorFile(path, "", x); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.Descr.Type != "<i4" || r.Header.Descr.Fortran || !reflect.DeepEqual(r.Header.Descr.Shape, []int{2, 3, 4}) {
		t.Fatalf("npyio sees header %v", r.Header)
	}
	var data []int32
	if err := r.Read(&data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(data, tensors.Data[int32](x)) {
		t.Fatalf("npyio reads %v", data)
	}
}

func TestReadNPYVariants(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		file  []byte
		shape []int
		data  any
	}{
		{"big-endian", npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", []byte{0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0}), []int{2}, []float32{1, -2}},
		{"scalar", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", leBytes(int64(-7))), []int{}, []int64{-7}},
		{"fortran-1d", npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", leBytes([]int32{1, 2, 3, 4})), []int{2, 2}, []int32{1, 2, 3, 4}},
		{"zero-size", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }", nil), []int{0, 5}, []float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".npy")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadTensorFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Shape(), tc.shape) && !(len(got.Shape()) == 0 && len(tc.shape) == 0) {
				t.Fatalf("shape %v, want %v", got.Shape(), tc.shape)
			}
			if !reflect.DeepEqual(got.Data(), tc.data) {
				t.Fatalf("data %v, want %v", got.Data(), tc.data)
			}
		})
	}
}

func TestReadTensorFileErrors(t *testing.T) {
	dir := t.TempDir()
	f32 := leBytes([]float32{1, 2, 3, 4})
	for _, tc := range []struct {
		name        string
		file        []byte
		want        string
		unsupported bool
	}{
		{"empty", nil, "not a NumPy .npy file", false},
		{"not-npy", []byte("PK\x03\x04 this is a zip"), "not a NumPy .npy file", false},
		{"fortran", npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f32), "Fortran", true},
		{"truncated-data", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32), "truncated", false},
		{"trailing-data", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f32), "trailing bytes", false},
		{"truncated-header", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", nil)[:30], "truncated .npy header", false},
		{"no-newline", append([]byte("\x93NUMPY\x01\x00\x05\x00"), "{abc}"...), "malformed .npy header", false},
		{"garbled-dict", npyBytes("{'shape': (4,), 'fortran_order': False, 'descr': '<f4', }", f32), "malformed .npy header", false},
		{"negative-dim", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", f32), "negative dimension", false},
		{"huge-dim", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999), }", f32), "shape", false},
		{"complex", npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", f32), "numpy dtype \"<c8\"", true},
		{"unicode", npyBytes("{'descr': '<U1', 'fortran_order': False, 'shape': (4,), }", f32), "numpy dtype \"<U1\"", true},
		{"object", npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", f32), "numpy dtype \"|O\"", true},
		{"bad-bool", npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", []byte{1, 7}), "byte value 7", false},
		{"version-3", []byte("\x93NUMPY\x03\x00\x10\x00\x00\x00{}              \n"), "version 3.0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".npy")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			x, err := ReadTensorFile(path)
			if err == nil {
				t.Fatalf("read %v, want an error", x)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to name %s and say %q", err, path, tc.want)
			}
			if errors.Is(err, ErrUnsupported) != tc.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v", !tc.unsupported, tc.unsupported)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "nope.npy")
		_, err := ReadTensorFile(path)
		if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("extension", func(t *testing.T) {
		path := filepath.Join(dir, "x.csv")
		_, err := ReadTensorFile(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), ".npy or .pb") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("pb-garbage", func(t *testing.T) {
		path := filepath.Join(dir, "garbage.pb")
		os.WriteFile(path, []byte{0xff, 0xff, 0xff}, 0o644)
		_, err := ReadTensorFile(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("error %v", err)
		}
	})
}

func TestWriteTensorFileErrors(t *testing.T) {
	dir := t.TempDir()
	x := mustTensor(t, []int{2}, []float32{1, 2})

	path := filepath.Join(dir, "no", "such", "dir", "x.npy")
	if err := WriteTensorFile(path, "x", x); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("write into a missing folder: %v", err)
	}
	if err := WriteTensorFile(filepath.Join(dir, "x.txt"), "x", x); err == nil || !strings.Contains(err.Error(), "x.txt") {
		t.Fatalf("unknown extension: %v", err)
	}

	// A failed write leaves the previous file as it was.
	path = filepath.Join(dir, "keep.npy")
	if err := WriteTensorFile(path, "", x); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	s := mustTensor(t, []int{1}, []string{"a"})
	err := WriteTensorFile(path, "", s)
	if err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), path) {
		t.Fatalf("string tensor to .npy: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("failed write changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	// Strings do go to .pb.
	if err := WriteTensorFile(filepath.Join(dir, "s.pb"), "s", s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTensorFile(filepath.Join(dir, "s.pb"))
	if err != nil || !reflect.DeepEqual(got.Data(), []string{"a"}) {
		t.Fatalf("string .pb: %v %v", got, err)
	}
}

func TestTensorFileFloat16(t *testing.T) {
	x, err := tensors.New([]int{2, 3}, []tensors.F16{0x3e00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x2e66})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"h.npy", "h.pb"} {
		p := filepath.Join(dir, name)
		if err := WriteTensorFile(p, "h", x); err != nil {
			t.Fatal(err)
		}
		y, err := ReadTensorFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if y.DType() != tensors.Float16 || !slices.Equal(tensors.Data[tensors.F16](y), tensors.Data[tensors.F16](x)) {
			t.Fatalf("%s: %v %v", name, y, y.Data())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "h.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeNPY(b[:len(b)-1]); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("truncated float16 .npy: %v", err)
	}
}
