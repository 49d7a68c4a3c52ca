// Package imagefolder reads a labelled image data set laid out one folder
// per class, as Keras's image_dataset_from_directory reads it:
//
//	DIR/train/<class>/*.png|jpg|jpeg|gif
//	DIR/test/<class>/*        (optional)
//
// Class names are the folder names under train, sorted byte-wise; label i
// is the i-th name. Images are decoded with the standard image packages
// (PNG, JPEG, GIF), greyscale or colour: a set whose pixels are all grey
// (red = green = blue) has one channel, any other three (alpha is dropped
// after compositing on black). Pixels are scaled as Keras examples do,
// float32(byte) / 255, and stored channels first ([C, H, W]), onnxkit's
// layout. Every image must have the same size unless Options.Size resizes
// them (bilinear, golang.org/x/image/draw).
//
// Nothing in a file is trusted: each image's header is checked with
// image.DecodeConfig against Options.MaxPixels before it is decoded (a
// 100000×100000 PNG header is refused without allocating its pixels), and
// every error names the file or folder at fault.
package imagefolder

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif"  // GIF decoder
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	xdraw "golang.org/x/image/draw"
)

// Folder names of the two parts of a data set.
const (
	TrainDir = "train"
	TestDir  = "test"
)

// Defaults for Options.
const (
	// DefaultMaxPixels bounds the pixels of one image: 64 megapixels.
	DefaultMaxPixels = 1 << 26
	// DefaultMaxValues bounds a whole decoded set: 1<<30 float32 values (4 GiB).
	DefaultMaxValues = 1 << 30
)

// Extensions lists the file name extensions read as images (compared
// case-insensitively). Other files in a class folder are ignored, as are
// names starting with a dot.
var Extensions = []string{".png", ".jpg", ".jpeg", ".gif"}

// Errors reported by Load, wrapped with the file or folder at fault.
var (
	ErrNoTrain    = errors.New("no train folder")
	ErrEmptyClass = errors.New("class folder holds no images")
	ErrOneClass   = errors.New("a classifier needs at least two classes")
	ErrSize       = errors.New("image size differs from the data set's (give an image size to resize)")
	ErrTooLarge   = errors.New("image too large")
	ErrName       = errors.New("folder name is not valid UTF-8")
	ErrClass      = errors.New("test class not among the training classes")
)

// Options set how images are read.
type Options struct {
	// Width and Height, when both > 0, resize every image to that size.
	// Otherwise every image must have the size of the first one.
	Width, Height int
	// MaxPixels bounds width × height of one image as its header states
	// it, checked before decoding; 0 means DefaultMaxPixels.
	MaxPixels int
	// MaxValues bounds the float32 values of one decoded part (train or
	// test); 0 means DefaultMaxValues.
	MaxValues int
	// Channels forces 1 (grey) or 3 (RGB) channels; 0 picks 1 when every
	// training image is grey and 3 otherwise.
	Channels int
}

func (o Options) maxPixels() int {
	if o.MaxPixels > 0 {
		return o.MaxPixels
	}
	return DefaultMaxPixels
}

// Set is a decoded part of an image-folder data set. It implements
// trainer.Dataset.
type Set struct {
	// Classes are the class names, label i being Classes[i].
	Classes []string
	// Channels, Height and Width give each example's shape [C, H, W].
	Channels, Height, Width int
	// X holds the examples one after the other, channels first, scaled to
	// [0,1].
	X []float32
	// Labels holds each example's class index.
	Labels []int
	// Files holds each example's path.
	Files []string
}

// Len returns the number of examples.
func (s *Set) Len() int { return len(s.Labels) }

// Shape returns [Channels, Height, Width].
func (s *Set) Shape() []int { return []int{s.Channels, s.Height, s.Width} }

// Example returns example i's values (sharing memory with X) and label.
func (s *Set) Example(i int) ([]float32, int) {
	n := s.Channels * s.Height * s.Width
	return s.X[i*n : (i+1)*n : (i+1)*n], s.Labels[i]
}

// IsImageFolder reports whether dir holds a train folder, which tells an
// image-folder data set from a folder of IDX files.
func IsImageFolder(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, TrainDir))
	return err == nil && fi.IsDir()
}

// Load reads DIR/train and, when it exists, DIR/test (test is nil
// otherwise). The test part has the training part's classes, channels and
// size.
func Load(dir string, opt Options) (train, test *Set, err error) {
	trainDir := filepath.Join(dir, TrainDir)
	if fi, err := os.Stat(trainDir); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a folder")
		}
		return nil, nil, fmt.Errorf("imagefolder: %s: %w (%v); want %s/<class>/<image>", trainDir, ErrNoTrain, err, trainDir)
	}
	classes, files, err := scan(trainDir, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(classes) < 2 {
		return nil, nil, fmt.Errorf("imagefolder: %s holds %d class folder(s) (%s): %w", trainDir, len(classes), strings.Join(classes, ", "), ErrOneClass)
	}
	w, h, err := sizeOf(files, opt)
	if err != nil {
		return nil, nil, err
	}
	if opt.Width > 0 && opt.Height > 0 {
		w, h = opt.Width, opt.Height
	}
	trainImgs, grey, err := decodeAll(files, w, h, opt)
	if err != nil {
		return nil, nil, err
	}
	channels := opt.Channels
	if channels == 0 {
		channels = 3
		if grey {
			channels = 1
		}
	}
	if train, err = build(classes, files, trainImgs, channels, w, h); err != nil {
		return nil, nil, err
	}
	testDir := filepath.Join(dir, TestDir)
	if _, err := os.Lstat(testDir); errors.Is(err, os.ErrNotExist) {
		return train, nil, nil
	}
	_, testFiles, err := scan(testDir, classes)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := sizeOf(testFiles, opt); err != nil {
		return nil, nil, err
	}
	testImgs, _, err := decodeAll(testFiles, w, h, opt)
	if err != nil {
		return nil, nil, err
	}
	if test, err = build(classes, testFiles, testImgs, channels, w, h); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// file is one image and its label.
type file struct {
	path  string
	label int
}

// scan lists the class folders under dir and their image files. With
// classes nil the classes are the folders found; otherwise (a test part)
// every folder must be one of them.
func scan(dir string, classes []string) ([]string, []file, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("imagefolder: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(dir, name)
		if !utf8.ValidString(name) {
			return nil, nil, fmt.Errorf("imagefolder: %q: %w (class names go into the model file, which holds UTF-8 only)", p, ErrName)
		}
		fi, err := os.Stat(p) // follows symbolic links; a loop fails here
		if err != nil {
			return nil, nil, fmt.Errorf("imagefolder: %w", err)
		}
		if fi.IsDir() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	index := map[string]int{}
	if classes == nil {
		classes = names
	}
	for i, c := range classes {
		index[c] = i
	}
	var files []file
	for _, name := range names {
		label, ok := index[name]
		if !ok {
			return nil, nil, fmt.Errorf("imagefolder: %s: %w (%s)", filepath.Join(dir, name), ErrClass, strings.Join(classes, ", "))
		}
		cdir := filepath.Join(dir, name)
		imgs, err := imagesIn(cdir)
		if err != nil {
			return nil, nil, err
		}
		if len(imgs) == 0 {
			return nil, nil, fmt.Errorf("imagefolder: %s: %w (%s)", cdir, ErrEmptyClass, strings.Join(Extensions, ", "))
		}
		for _, p := range imgs {
			files = append(files, file{p, label})
		}
	}
	return classes, files, nil
}

// imagesIn lists the image files of one class folder, sorted by name.
func imagesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %w", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !isImageName(name) {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p) // follows symbolic links; a loop fails here
		if err != nil {
			return nil, fmt.Errorf("imagefolder: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("imagefolder: %s: not a regular file", p)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func isImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range Extensions {
		if ext == e {
			return true
		}
	}
	return false
}

// sizeOf checks every file's header and returns the common size; with
// opt.Width and opt.Height set, sizes may differ. It also bounds the
// memory the decoded part would take.
func sizeOf(files []file, opt Options) (w, h int, err error) {
	for i, f := range files {
		fw, fh, err := sizeOfFirst(f.path, opt)
		if err != nil {
			return 0, 0, err
		}
		if i == 0 {
			w, h = fw, fh
			continue
		}
		if (opt.Width <= 0 || opt.Height <= 0) && (fw != w || fh != h) {
			return 0, 0, fmt.Errorf("imagefolder: %s is %dx%d, %s is %dx%d: %w", f.path, fw, fh, files[0].path, w, h, ErrSize)
		}
	}
	ow, oh := w, h
	if opt.Width > 0 && opt.Height > 0 {
		ow, oh = opt.Width, opt.Height
	}
	maxValues := opt.MaxValues
	if maxValues <= 0 {
		maxValues = DefaultMaxValues
	}
	if len(files) > 0 && ow*oh > maxValues/3/len(files) {
		return 0, 0, fmt.Errorf("imagefolder: %d images of %dx%d exceed %d values: %w", len(files), ow, oh, maxValues, ErrTooLarge)
	}
	return w, h, nil
}

// sizeOfFirst reads one image's header.
func sizeOfFirst(path string, opt Options) (w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("imagefolder: %w", err)
	}
	defer f.Close()
	cfg, err := config(path, f, opt.maxPixels())
	if err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}

// config decodes an image header and checks its size against maxPixels.
func config(path string, r io.Reader, maxPixels int) (image.Config, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return cfg, fmt.Errorf("imagefolder: %s: not a PNG, JPEG or GIF image, or damaged: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, fmt.Errorf("imagefolder: %s: %s image of %dx%d pixels", path, format, cfg.Width, cfg.Height)
	}
	if cfg.Width > maxPixels/cfg.Height {
		return cfg, fmt.Errorf("imagefolder: %s: %s header says %dx%d pixels, more than the limit of %d: %w", path, format, cfg.Width, cfg.Height, maxPixels, ErrTooLarge)
	}
	return cfg, nil
}

// Open decodes the image file at path after checking its header's size
// against maxPixels (0 means DefaultMaxPixels).
func Open(path string, maxPixels int) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %w", err)
	}
	defer f.Close()
	if _, err := config(path, f, maxPixels); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("imagefolder: %s: %w", path, err)
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %s: cannot decode the image (truncated or damaged?): %w", path, err)
	}
	return img, nil
}

// decodeAll decodes files into w×h RGBA images and reports whether every
// pixel of every image is grey.
func decodeAll(files []file, w, h int, opt Options) ([]*image.RGBA, bool, error) {
	out := make([]*image.RGBA, len(files))
	grey := true
	for i, f := range files {
		img, err := Open(f.path, opt.maxPixels())
		if err != nil {
			return nil, false, err
		}
		b := img.Bounds()
		if (opt.Width <= 0 || opt.Height <= 0) && (b.Dx() != w || b.Dy() != h) {
			return nil, false, fmt.Errorf("imagefolder: %s decodes to %dx%d, want %dx%d: %w", f.path, b.Dx(), b.Dy(), w, h, ErrSize)
		}
		out[i] = toRGBA(img, w, h)
		grey = grey && isGrey(out[i])
	}
	return out, grey, nil
}

// toRGBA draws img onto a w×h RGBA image over black, scaling it with
// bilinear interpolation when its size differs.
func toRGBA(img image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	} else {
		xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Over, nil)
	}
	return dst
}

func isGrey(img *image.RGBA) bool {
	p := img.Pix
	for i := 0; i+3 < len(p); i += 4 {
		if p[i] != p[i+1] || p[i] != p[i+2] {
			return false
		}
	}
	return true
}

// pixelScale maps a byte to float32(b) / 255, as x.astype("float32") / 255.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// Pixels returns img as channels×h×w values, channels first, scaled to
// [0,1]: resized (bilinear) to w×h when its size differs, composited on
// black, and for one channel reduced to grey as color.GrayModel does
// (0.299 R + 0.587 G + 0.114 B).
func Pixels(img image.Image, channels, h, w int) []float32 {
	rgba := toRGBA(img, w, h)
	out := make([]float32, channels*h*w)
	fill(out, rgba, channels)
	return out
}

// fill writes an RGBA image's pixels into out, channels first.
func fill(out []float32, img *image.RGBA, channels int) {
	b := img.Bounds()
	plane := b.Dx() * b.Dy()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			o := y*img.Stride + x*4
			r, g, bl := img.Pix[o], img.Pix[o+1], img.Pix[o+2]
			i := y*b.Dx() + x
			if channels == 1 {
				if r == g && r == bl {
					out[i] = pixelScale[r]
				} else {
					grey := color.GrayModel.Convert(color.RGBA{r, g, bl, 255}).(color.Gray)
					out[i] = pixelScale[grey.Y]
				}
				continue
			}
			out[i] = pixelScale[r]
			out[plane+i] = pixelScale[g]
			out[2*plane+i] = pixelScale[bl]
		}
	}
}

// build assembles a Set from decoded images.
func build(classes []string, files []file, imgs []*image.RGBA, channels, w, h int) (*Set, error) {
	if channels != 1 && channels != 3 {
		return nil, fmt.Errorf("imagefolder: %d channels, want 1 or 3", channels)
	}
	s := &Set{Classes: classes, Channels: channels, Height: h, Width: w}
	size := channels * w * h
	s.X = make([]float32, len(files)*size)
	for i, f := range files {
		fill(s.X[i*size:(i+1)*size], imgs[i], channels)
		s.Labels = append(s.Labels, f.label)
		s.Files = append(s.Files, f.path)
	}
	return s, nil
}
