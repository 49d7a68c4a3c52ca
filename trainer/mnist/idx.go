package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte)
// and the number of dimensions.
const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
)

// MaxPixels bounds the number of pixels (images × rows × cols) that
// ReadImages accepts from one file: 1<<30 pixels take 4 GiB as float32,
// about 23 times the MNIST training set.
const MaxPixels = 1 << 30

// Errors reported by the decoder. They are wrapped with the name of the
// file at fault; test for them with errors.Is.
var (
	// ErrMagic means the file does not start with the expected IDX magic
	// number (0x00000803 for images, 0x00000801 for labels).
	ErrMagic = errors.New("wrong IDX magic number")
	// ErrTruncated means the file (or its gzip stream) ends before the
	// data its header announces.
	ErrTruncated = errors.New("truncated file")
	// ErrTrailing means the file holds more data than its header announces.
	ErrTrailing = errors.New("unexpected data after the end")
	// ErrHeader means the header announces impossible or absurd sizes.
	ErrHeader = errors.New("bad IDX header")
	// ErrMismatch means an image file and its label file disagree on the
	// number of examples.
	ErrMismatch = errors.New("image and label counts differ")
	// ErrLabel means a label does not fit the requested number of classes.
	ErrLabel = errors.New("label out of range")
)

// pixelScale maps a byte to float32(b) / 255 rounded once to float32, which
// is what NumPy computes for x.astype("float32") / 255.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// ReadImages decodes an IDX3 file of unsigned-byte images from r, gzipped
// or not (a gzip stream is recognised by its magic bytes). It returns the n
// images of rows×cols pixels as one slice of n*rows*cols values scaled to
// [0,1], image after image, row-major inside an image. name is used only in
// error messages.
func ReadImages(name string, r io.Reader) (images []float32, n, rows, cols int, err error) {
	br, closeFn, err := open(name, r)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	defer closeFn()

	var hdr [16]byte
	if err := readHeader(name, br, hdr[:], imagesMagic); err != nil {
		return nil, 0, 0, 0, err
	}
	un := uint64(binary.BigEndian.Uint32(hdr[4:]))
	ur := uint64(binary.BigEndian.Uint32(hdr[8:]))
	uc := uint64(binary.BigEndian.Uint32(hdr[12:]))
	if ur == 0 || uc == 0 {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %s: %w: images of %dx%d pixels", name, ErrHeader, ur, uc)
	}
	// Each factor is below 1<<32, so the first product cannot overflow;
	// checking it against MaxPixels before the second multiplication keeps
	// the second one from overflowing too.
	if ur*uc > MaxPixels || un*ur*uc > MaxPixels {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %s: %w: %d images of %dx%d pixels exceed the limit of %d pixels",
			name, ErrHeader, un, ur, uc, MaxPixels)
	}
	raw, err := readBody(name, br, int64(un*ur*uc), "pixels")
	if err != nil {
		return nil, 0, 0, 0, err
	}
	images = make([]float32, len(raw))
	for i, b := range raw {
		images[i] = pixelScale[b]
	}
	return images, int(un), int(ur), int(uc), nil
}

// ReadLabels decodes an IDX1 file of unsigned-byte labels from r, gzipped
// or not. name is used only in error messages.
func ReadLabels(name string, r io.Reader) ([]uint8, error) {
	br, closeFn, err := open(name, r)
	if err != nil {
		return nil, err
	}
	defer closeFn()

	var hdr [8]byte
	if err := readHeader(name, br, hdr[:], labelsMagic); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[4:]))
	return readBody(name, br, n, "labels")
}

// open returns a reader of the decompressed content of r and a function
// releasing it.
func open(name string, r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	sig, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("mnist: %s: %w", name, err)
	}
	if len(sig) < 2 || sig[0] != 0x1f || sig[1] != 0x8b {
		return br, func() {}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("mnist: %s: gzip: %w", name, wrapEOF(err))
	}
	return zr, func() { _ = zr.Close() }, nil
}

// readHeader fills hdr and checks that it starts with magic. The magic
// number is checked before the rest is read, so that a file of the wrong
// kind is reported as such even when it is shorter than hdr.
func readHeader(name string, r io.Reader, hdr []byte, magic uint32) error {
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return fmt.Errorf("mnist: %s: reading magic number: %w", name, wrapEOF(err))
	}
	got := binary.BigEndian.Uint32(hdr)
	if got == magic {
		if _, err := io.ReadFull(r, hdr[4:]); err != nil {
			return fmt.Errorf("mnist: %s: reading %d-byte header: %w", name, len(hdr), wrapEOF(err))
		}
		return nil
	}
	hint := ""
	switch got {
	case imagesMagic:
		hint = " (this is an image file)"
	case labelsMagic:
		hint = " (this is a label file)"
	}
	return fmt.Errorf("mnist: %s: %w: got 0x%08x, want 0x%08x%s", name, ErrMagic, got, magic, hint)
}

// readBody reads exactly want bytes and checks that nothing follows them.
// Memory grows with the data actually read, never with want alone.
func readBody(name string, r io.Reader, want int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, want+1))
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: reading %d %s: %w", name, want, what, wrapEOF(err))
	}
	switch n := int64(len(data)); {
	case n < want:
		return nil, fmt.Errorf("mnist: %s: %w: header announces %d %s, file holds %d", name, ErrTruncated, want, what, n)
	case n > want:
		return nil, fmt.Errorf("mnist: %s: %w: more than the %d %s announced by the header", name, ErrTrailing, want, what)
	}
	return data, nil
}

// wrapEOF adds ErrTruncated to the errors that mean the input ended early.
func wrapEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return err
}
