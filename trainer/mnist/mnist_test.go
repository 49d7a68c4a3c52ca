package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/testdata"
)

// idx builds an IDX file: the magic number, the dimensions and the body.
func idx(magic uint32, dims []uint32, body []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(body)
	return b.Bytes()
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seq returns n bytes 0, 1, 2, ... (mod 256).
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// tiny returns the four files of a valid data set: 3 training and 2 test
// images of 2x3 pixels, uncompressed.
func tiny() map[string][]byte {
	return map[string][]byte{
		TrainImagesFile: idx(imagesMagic, []uint32{3, 2, 3}, seq(18)),
		TrainLabelsFile: idx(labelsMagic, []uint32{3}, []byte{4, 0, 9}),
		TestImagesFile:  idx(imagesMagic, []uint32{2, 2, 3}, bytes.Repeat([]byte{255}, 12)),
		TestLabelsFile:  idx(labelsMagic, []uint32{2}, []byte{7, 1}),
	}
}

func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// embeddedRaw decompresses an embedded file with compress/gzip alone,
// independently of the package's decoder.
func embeddedRaw(t *testing.T, base string) []byte {
	t.Helper()
	f, err := testdata.MNIST.Open("mnist/" + base + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestLoadEmbedded(t *testing.T) {
	train, test, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	// Per-class counts of MNIST, as published with the data set.
	wantCounts := map[string][10]int{
		"train": {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
		"test":  {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
	}
	for _, tc := range []struct {
		name        string
		set         *Set
		n           int
		firstLabels []uint8
		images      string
		labels      string
	}{
		{"train", train, 60000, []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, TrainImagesFile, TrainLabelsFile},
		{"test", test, 10000, []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, TestImagesFile, TestLabelsFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.set
			if s.N != tc.n || s.Rows != 28 || s.Cols != 28 {
				t.Fatalf("N, Rows, Cols = %d, %d, %d; want %d, 28, 28", s.N, s.Rows, s.Cols, tc.n)
			}
			if len(s.Images) != tc.n*784 || len(s.Labels) != tc.n {
				t.Fatalf("len(Images), len(Labels) = %d, %d", len(s.Images), len(s.Labels))
			}
			if !bytes.Equal(s.Labels[:10], tc.firstLabels) {
				t.Errorf("first labels %v, want %v", s.Labels[:10], tc.firstLabels)
			}
			var counts [10]int
			for _, l := range s.Labels {
				if l > 9 {
					t.Fatalf("label %d > 9", l)
				}
				counts[l]++
			}
			if counts != wantCounts[tc.name] {
				t.Errorf("class counts %v, want %v", counts, wantCounts[tc.name])
			}
			// Second, independent path: offsets of the IDX format.
			rawLabels := embeddedRaw(t, tc.labels)
			if !bytes.Equal(s.Labels, rawLabels[8:]) {
				t.Error("labels differ from the bytes after the 8-byte header")
			}
			rawImages := embeddedRaw(t, tc.images)
			var lo, hi float32 = 1, 0
			for i, v := range s.Images {
				if want := float32(rawImages[16+i]) / 255; v != want {
					t.Fatalf("pixel %d = %v, want %v", i, v, want)
				}
				lo, hi = min(lo, v), max(hi, v)
			}
			if lo != 0 || hi != 1 {
				t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
			}
		})
	}
}

func TestLoadDirUncompressed(t *testing.T) {
	files := tiny()
	// The real test set, uncompressed, beside the synthetic training set.
	files[TestImagesFile] = embeddedRaw(t, TestImagesFile)
	files[TestLabelsFile] = embeddedRaw(t, TestLabelsFile)
	dir := writeDir(t, files)

	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || train.Rows != 2 || train.Cols != 3 {
		t.Fatalf("train N, Rows, Cols = %d, %d, %d; want 3, 2, 3", train.N, train.Rows, train.Cols)
	}
	for i, v := range train.Images {
		if want := float32(i) / 255; v != want {
			t.Errorf("train pixel %d = %v, want %v", i, v, want)
		}
	}
	if !bytes.Equal(train.Labels, []byte{4, 0, 9}) {
		t.Errorf("train labels %v", train.Labels)
	}
	_, embedded, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if test.N != embedded.N || !bytes.Equal(test.Labels, embedded.Labels) {
		t.Fatal("uncompressed test set differs from the embedded one")
	}
	for i := range test.Images {
		if test.Images[i] != embedded.Images[i] {
			t.Fatalf("pixel %d: %v from the directory, %v embedded", i, test.Images[i], embedded.Images[i])
		}
	}
}

func TestLoadDirNames(t *testing.T) {
	// Gzipped names and the dotted variant are found too.
	files := map[string][]byte{}
	for base, data := range tiny() {
		switch base {
		case TrainImagesFile, TestLabelsFile:
			files[base+".gz"] = gz(t, data)
		default:
			files[strings.Replace(base, "-idx", ".idx", 1)] = data
		}
	}
	train, test, err := Load(writeDir(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || test.N != 2 || test.Labels[0] != 7 || test.Images[0] != 1 {
		t.Errorf("got train.N=%d test.N=%d test.Labels=%v test.Images[0]=%v", train.N, test.N, test.Labels, test.Images[0])
	}
}

func TestLoadBadFiles(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(t *testing.T, files map[string][]byte)
		file   string // must appear in the error
		target error  // nil: only the file name is checked
	}{
		{
			name: "labels given as images",
			edit: func(t *testing.T, f map[string][]byte) { f[TrainImagesFile] = f[TrainLabelsFile] },
			file: TrainImagesFile, target: ErrMagic,
		},
		{
			name: "wrong magic in labels",
			edit: func(t *testing.T, f map[string][]byte) { f[TestLabelsFile][3] = 0x02 },
			file: TestLabelsFile, target: ErrMagic,
		},
		{
			name: "truncated gzip",
			edit: func(t *testing.T, f map[string][]byte) {
				z := gz(t, f[TrainImagesFile])
				delete(f, TrainImagesFile)
				f[TrainImagesFile+".gz"] = z[:len(z)/2]
			},
			file: TrainImagesFile + ".gz", target: ErrTruncated,
		},
		{
			name: "gzip without its trailer",
			edit: func(t *testing.T, f map[string][]byte) {
				z := gz(t, f[TestLabelsFile])
				delete(f, TestLabelsFile)
				f[TestLabelsFile+".gz"] = z[:len(z)-8]
			},
			file: TestLabelsFile + ".gz", target: ErrTruncated,
		},
		{
			name: "corrupt gzip checksum",
			edit: func(t *testing.T, f map[string][]byte) {
				z := gz(t, f[TestLabelsFile])
				z[len(z)-8] ^= 0xff
				delete(f, TestLabelsFile)
				f[TestLabelsFile+".gz"] = z
			},
			file: TestLabelsFile + ".gz", target: gzip.ErrChecksum,
		},
		{
			name: "truncated body",
			edit: func(t *testing.T, f map[string][]byte) {
				f[TrainImagesFile] = f[TrainImagesFile][:len(f[TrainImagesFile])-1]
			},
			file: TrainImagesFile, target: ErrTruncated,
		},
		{
			name: "truncated header",
			edit: func(t *testing.T, f map[string][]byte) { f[TestImagesFile] = f[TestImagesFile][:10] },
			file: TestImagesFile, target: ErrTruncated,
		},
		{
			name: "empty file",
			edit: func(t *testing.T, f map[string][]byte) { f[TrainLabelsFile] = nil },
			file: TrainLabelsFile, target: ErrTruncated,
		},
		{
			name: "trailing data",
			edit: func(t *testing.T, f map[string][]byte) { f[TrainLabelsFile] = append(f[TrainLabelsFile], 3) },
			file: TrainLabelsFile, target: ErrTrailing,
		},
		{
			name: "count mismatch",
			edit: func(t *testing.T, f map[string][]byte) {
				f[TrainLabelsFile] = idx(labelsMagic, []uint32{2}, []byte{4, 0})
			},
			file: TrainLabelsFile, target: ErrMismatch,
		},
		{
			name: "zero rows",
			edit: func(t *testing.T, f map[string][]byte) {
				f[TestImagesFile] = idx(imagesMagic, []uint32{2, 0, 3}, nil)
			},
			file: TestImagesFile, target: ErrHeader,
		},
		{
			name: "dims overflowing",
			edit: func(t *testing.T, f map[string][]byte) {
				f[TrainImagesFile] = idx(imagesMagic, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, seq(100))
			},
			file: TrainImagesFile, target: ErrHeader,
		},
		{
			name: "huge count, little data",
			edit: func(t *testing.T, f map[string][]byte) {
				f[TrainImagesFile] = idx(imagesMagic, []uint32{1_000_000, 32, 32}, seq(1000))
			},
			file: TrainImagesFile, target: ErrTruncated,
		},
		{
			name: "huge label count",
			edit: func(t *testing.T, f map[string][]byte) {
				f[TestLabelsFile] = idx(labelsMagic, []uint32{0xffffffff}, []byte{1, 2})
			},
			file: TestLabelsFile, target: ErrTruncated,
		},
		{
			name: "missing file",
			edit: func(t *testing.T, f map[string][]byte) { delete(f, TestImagesFile) },
			file: TestImagesFile, target: fs.ErrNotExist,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := tiny()
			tc.edit(t, files)
			dir := writeDir(t, files)

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			train, test, err := Load(dir)
			runtime.ReadMemStats(&after)

			if err == nil {
				t.Fatal("Load succeeded")
			}
			if train != nil || test != nil {
				t.Error("Load returned a set with its error")
			}
			t.Logf("%v", err)
			if !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error %q does not name %s", err, tc.file)
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("error %q is not %v", err, tc.target)
			}
			// No allocation driven by a hostile header.
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Errorf("Load allocated %d bytes on a tiny bad file set", got)
			}
		})
	}
}

func TestSlice(t *testing.T) {
	s := &Set{Images: []float32{0, 1, 10, 11, 20, 21, 30, 31}, Labels: []uint8{0, 1, 2, 3}, N: 4, Rows: 1, Cols: 2}
	for _, tc := range []struct {
		from, to   int
		wantLabels []uint8
		wantImages []float32
	}{
		{0, 4, []uint8{0, 1, 2, 3}, []float32{0, 1, 10, 11, 20, 21, 30, 31}},
		{1, 3, []uint8{1, 2}, []float32{10, 11, 20, 21}},
		{3, 7, []uint8{3}, []float32{30, 31}}, // last short batch
		{-2, 1, []uint8{0}, []float32{0, 1}},
		{3, 2, []uint8{}, []float32{}},
		{9, 12, []uint8{}, []float32{}},
	} {
		got := s.Slice(tc.from, tc.to)
		if got.N != len(tc.wantLabels) || !bytes.Equal(got.Labels, tc.wantLabels) ||
			len(got.Images) != len(tc.wantImages) || got.Rows != 1 || got.Cols != 2 {
			t.Errorf("Slice(%d, %d) = %+v", tc.from, tc.to, got)
			continue
		}
		for i := range got.Images {
			if got.Images[i] != tc.wantImages[i] {
				t.Errorf("Slice(%d, %d).Images = %v, want %v", tc.from, tc.to, got.Images, tc.wantImages)
				break
			}
		}
	}
	// A slice shares memory and cannot grow into its neighbours.
	sub := s.Slice(1, 2)
	sub.Images[0] = -1
	if s.Images[2] != -1 {
		t.Error("Slice copied the images")
	}
	if cap(sub.Images) != 2 || cap(sub.Labels) != 1 {
		t.Errorf("caps %d, %d; want 2, 1", cap(sub.Images), cap(sub.Labels))
	}
	// Inconsistent hand-built sets never make Slice or Image panic.
	bad := &Set{Images: []float32{1, 2}, Labels: []uint8{0, 1, 2}, N: 5, Rows: 1, Cols: 2}
	if got := bad.Slice(0, 5); got.N != 1 {
		t.Errorf("inconsistent set sliced to %d examples, want 1", got.N)
	}
	if bad.Image(1) != nil || len(bad.Image(0)) != 2 || s.Image(-1) != nil {
		t.Error("Image bounds not checked")
	}
}

func TestOneHot(t *testing.T) {
	s := &Set{Labels: []uint8{2, 0, 1}, N: 3}
	got, err := s.OneHot(3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 1, 1, 0, 0, 0, 1, 0}
	for i := range want {
		if got[i] != want[i] || len(got) != len(want) {
			t.Fatalf("OneHot(3) = %v, want %v", got, want)
		}
	}
	for _, classes := range []int{2, 0, -1} {
		if _, err := s.OneHot(classes); !errors.Is(err, ErrLabel) {
			t.Errorf("OneHot(%d) error = %v, want ErrLabel", classes, err)
		}
	}
	if _, err := s.OneHot(2); err == nil || !strings.Contains(err.Error(), "example 0 has label 2") {
		t.Errorf("OneHot(2) error %q does not name the example", err)
	}
}

func TestReadImagesReaderErrors(t *testing.T) {
	wantErr := errors.New("disk on fire")
	_, _, _, _, err := ReadImages("f.idx", io.MultiReader(bytes.NewReader(idx(imagesMagic, []uint32{1, 2, 2}, nil)), errReader{wantErr}))
	if !errors.Is(err, wantErr) || !strings.Contains(err.Error(), "f.idx") {
		t.Errorf("error %v does not wrap the read error with the file name", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestPixelScale pins the scaling to what NumPy computes for
// x.astype("float32") / 255 (bit patterns printed by NumPy). Multiplying by
// float32(1.0/255) instead would differ for 3, 6 and 7, among others.
func TestPixelScale(t *testing.T) {
	for _, tc := range []struct {
		b    byte
		bits uint32
	}{
		{0, 0}, {1, 0x3b808081}, {3, 0x3c40c0c1}, {6, 0x3cc0c0c1}, {7, 0x3ce0e0e1},
		{128, 0x3f008081}, {254, 0x3f7efeff}, {255, 0x3f800000},
	} {
		if got := math.Float32bits(pixelScale[tc.b]); got != tc.bits {
			t.Errorf("pixel %d scales to 0x%08x, want 0x%08x", tc.b, got, tc.bits)
		}
	}
}
