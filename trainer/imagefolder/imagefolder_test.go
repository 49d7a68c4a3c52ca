package imagefolder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// greyImage is a w×h grey image whose pixel (x, y) is (x*7+y*13+seed) mod 256.
func greyImage(w, h, seed int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{uint8(x*7 + y*13 + seed)})
		}
	}
	return img
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// dataset writes classes × n grey w×h PNGs under dir/part.
func dataset(t *testing.T, dir, part string, classes []string, n, w, h int) {
	for ci, c := range classes {
		for i := 0; i < n; i++ {
			writePNG(t, filepath.Join(dir, part, c, string(rune('a'+i))+".png"), greyImage(w, h, ci*50+i))
		}
	}
}

func TestLoadGreyPNG(t *testing.T) {
	dir := t.TempDir()
	dataset(t, dir, TrainDir, []string{"cat", "ant", "bee"}, 3, 6, 4)
	dataset(t, dir, TestDir, []string{"bee", "cat"}, 2, 6, 4)
	writeFile(t, filepath.Join(dir, TrainDir, "ant", "README.txt"), []byte("not an image, ignored"))
	train, test, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(train.Classes, ","); got != "ant,bee,cat" {
		t.Errorf("classes %s, want sorted ant,bee,cat", got)
	}
	if train.Len() != 9 || test.Len() != 4 {
		t.Fatalf("%d training and %d test examples, want 9 and 4", train.Len(), test.Len())
	}
	if s := train.Shape(); s[0] != 1 || s[1] != 4 || s[2] != 6 {
		t.Fatalf("shape %v, want [1 4 6]", s)
	}
	// cat is class 2; its image "b" has seed 0*50+1 since cat was written first.
	for i, f := range train.Files {
		if strings.HasSuffix(f, filepath.Join("cat", "b.png")) {
			v, l := train.Example(i)
			if l != 2 {
				t.Errorf("%s has label %d, want 2", f, l)
			}
			if want := float32(uint8(3*7+2*13+1)) / 255; v[2*6+3] != want {
				t.Errorf("pixel (3,2) = %v, want %v", v[2*6+3], want)
			}
		}
	}
	if _, l := test.Example(0); l != 1 {
		t.Errorf("first test example label %d, want 1 (bee)", l)
	}
	if !IsImageFolder(dir) || IsImageFolder(filepath.Join(dir, TrainDir)) {
		t.Error("IsImageFolder wrong")
	}
}

func TestLoadRGBResizeAndFormats(t *testing.T) {
	dir := t.TempDir()
	red := image.NewRGBA(image.Rect(0, 0, 10, 8))
	blue := image.NewRGBA(image.Rect(0, 0, 20, 16))
	for i := 0; i < len(red.Pix); i += 4 {
		copy(red.Pix[i:], []byte{255, 0, 0, 255})
	}
	for i := 0; i < len(blue.Pix); i += 4 {
		copy(blue.Pix[i:], []byte{0, 0, 255, 255})
	}
	writePNG(t, filepath.Join(dir, "train", "red", "1.png"), red)
	var jb, gb bytes.Buffer
	if err := jpeg.Encode(&jb, blue, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "train", "blue", "1.JPG"), jb.Bytes())
	if err := gif.Encode(&gb, red, nil); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "train", "red", "2.gif"), gb.Bytes())

	// Mixed sizes without a size: an error naming the file.
	_, _, err := Load(dir, Options{})
	if !errors.Is(err, ErrSize) || !strings.Contains(err.Error(), "1.png") || !strings.Contains(err.Error(), "1.JPG") {
		t.Fatalf("mixed sizes: %v", err)
	}
	train, test, err := Load(dir, Options{Width: 4, Height: 4})
	if err != nil {
		t.Fatal(err)
	}
	if test != nil {
		t.Error("a test set without a test folder")
	}
	if train.Channels != 3 || train.Height != 4 || train.Width != 4 || train.Len() != 3 {
		t.Fatalf("got %d channels %dx%d, %d examples", train.Channels, train.Width, train.Height, train.Len())
	}
	// Label 0 is blue (JPEG): blue plane near 1, red near 0.
	v, l := train.Example(0)
	if l != 0 || v[2*16+5] < 0.95 || v[5] > 0.05 {
		t.Errorf("blue example: label %d, red %v, blue %v", l, v[5], v[2*16+5])
	}
	v, l = train.Example(2)
	if l != 1 || v[5] < 0.99 || v[2*16+5] != 0 {
		t.Errorf("red GIF: label %d, red %v, blue %v", l, v[5], v[2*16+5])
	}
}

func TestPixelsGrey(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	img.Set(1, 0, color.RGBA{100, 100, 100, 255})
	v := Pixels(img, 1, 1, 2)
	if v[1] != float32(100)/255 {
		t.Errorf("grey pixel %v, want 100/255", v[1])
	}
	if want := float32(color.GrayModel.Convert(color.RGBA{255, 0, 0, 255}).(color.Gray).Y) / 255; v[0] != want {
		t.Errorf("red as grey %v, want %v", v[0], want)
	}
}

// bombPNG is a PNG signature and IHDR chunk announcing w×h pixels, and no data.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grey
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestLoadBadInput(t *testing.T) {
	var truncated bytes.Buffer
	if err := png.Encode(&truncated, greyImage(6, 4, 9)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		opt   Options
		want  []string // substrings of the error
		is    error
	}{
		{"undecodable", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train", "b", "bad.png"), []byte("this is not a PNG"))
		}, Options{}, []string{"bad.png", "not a PNG, JPEG or GIF"}, nil},
		{"truncated", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train", "b", "cut.png"), truncated.Bytes()[:truncated.Len()-20])
		}, Options{}, []string{"cut.png", "truncated or damaged"}, nil},
		{"empty class", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "train", "empty"), 0o755)
		}, Options{}, []string{filepath.Join("train", "empty")}, ErrEmptyClass},
		{"one class", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "train", "b"))
		}, Options{}, []string{"1 class folder(s) (a)"}, ErrOneClass},
		{"mixed sizes", func(t *testing.T, dir string) {
			writePNG(t, filepath.Join(dir, "train", "b", "z.png"), greyImage(5, 4, 0))
		}, Options{}, []string{"z.png is 5x4"}, ErrSize},
		{"test size differs", func(t *testing.T, dir string) {
			writePNG(t, filepath.Join(dir, "test", "b", "t.png"), greyImage(5, 4, 0))
		}, Options{}, []string{"t.png"}, ErrSize},
		{"decompression bomb", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train", "b", "bomb.png"), bombPNG(100000, 100000))
		}, Options{Width: 6, Height: 4}, []string{"bomb.png", "100000x100000"}, ErrTooLarge},
		{"symlink loop", func(t *testing.T, dir string) {
			if err := os.Symlink("loop.png", filepath.Join(dir, "train", "b", "loop.png")); err != nil {
				t.Skip(err)
			}
		}, Options{}, []string{"loop.png", "too many levels of symbolic links"}, nil},
		{"symlink loop class", func(t *testing.T, dir string) {
			if err := os.Symlink("c", filepath.Join(dir, "train", "c")); err != nil {
				t.Skip(err)
			}
		}, Options{}, []string{filepath.Join("train", "c")}, nil},
		{"non-UTF-8 folder", func(t *testing.T, dir string) {
			writePNG(t, filepath.Join(dir, "train", "caf\xe9", "x.png"), greyImage(6, 4, 0))
		}, Options{}, []string{`caf\xe9`}, ErrName},
		{"unknown test class", func(t *testing.T, dir string) {
			writePNG(t, filepath.Join(dir, "test", "zebra", "x.png"), greyImage(6, 4, 0))
		}, Options{}, []string{"zebra"}, ErrClass},
		{"no train folder", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "train"), filepath.Join(dir, "training"))
		}, Options{}, []string{"train"}, ErrNoTrain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dataset(t, dir, TrainDir, []string{"a", "b"}, 2, 6, 4)
			tc.setup(t, dir)
			train, test, err := Load(dir, tc.opt)
			if err == nil {
				t.Fatalf("no error (train %v, test %v)", train != nil, test != nil)
			}
			if train != nil || test != nil {
				t.Error("a failed load returned data")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestOpenRefusesBomb(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bomb.png")
	writeFile(t, p, bombPNG(100000, 100000))
	if _, err := Open(p, 0); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) {
		t.Errorf("Open of a 100000x100000 header: %v", err)
	}
	if _, err := Open(p, 1<<40); err == nil {
		t.Error("a header without data decoded")
	}
}
