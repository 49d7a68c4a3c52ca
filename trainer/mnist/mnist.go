package mnist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Base names of the four IDX files of a data set, without ".gz".
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// Set is a set of labelled grey-scale images.
type Set struct {
	// Images holds N images of Rows×Cols pixels, one after the other,
	// each row-major, scaled to [0,1]: len(Images) == N*Rows*Cols.
	Images []float32
	// Labels holds the N class labels (0 to 9 for MNIST).
	Labels []uint8
	// N is the number of examples.
	N int
	// Rows and Cols are the height and width of every image.
	Rows, Cols int
}

// Load returns the training and test sets of an IDX data set. With dir ""
// it decodes the copy of MNIST registered with RegisterEmbedded (a program
// links it by importing github.com/onnxkit/onnxkit/trainer/mnist/embedded),
// and fails with ErrNoEmbedded when there is none. Otherwise it reads the
// four files named by TrainImagesFile, TrainLabelsFile, TestImagesFile and
// TestLabelsFile from dir, each either gzipped with a ".gz" suffix or
// uncompressed without it; the variants with a dot before "idx" (as in
// "train-images.idx3-ubyte") are accepted too.
func Load(dir string) (train, test *Set, err error) {
	var fsys fs.FS
	var shown string // how file names appear in errors
	if dir == "" {
		embeddedMu.Lock()
		fsys, shown = embeddedFS, embeddedName
		embeddedMu.Unlock()
		if fsys == nil {
			return nil, nil, fmt.Errorf("mnist: %w", ErrNoEmbedded)
		}
	} else {
		fsys = os.DirFS(dir)
		shown = dir
	}
	train, err = loadSet(fsys, shown, TrainImagesFile, TrainLabelsFile)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadSet(fsys, shown, TestImagesFile, TestLabelsFile)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ErrNoEmbedded means Load("") was called in a program that links no
// embedded copy of MNIST.
var ErrNoEmbedded = errors.New("no embedded MNIST in this program (import github.com/onnxkit/onnxkit/trainer/mnist/embedded, or give a directory)")

var (
	embeddedMu   sync.Mutex
	embeddedFS   fs.FS
	embeddedName string
)

// RegisterEmbedded makes Load("") read the four IDX files from the root
// of fsys; name is how that folder appears in error messages. Package
// github.com/onnxkit/onnxkit/trainer/mnist/embedded calls it when it is
// linked, so that only programs that want the 11.6 MB copy carry it.
func RegisterEmbedded(fsys fs.FS, name string) {
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	embeddedFS, embeddedName = fsys, name
}

// loadSet decodes one image file and its label file from fsys.
func loadSet(fsys fs.FS, dir, imagesBase, labelsBase string) (*Set, error) {
	var s Set
	imagesName, err := withFile(fsys, dir, imagesBase, func(name string, r io.Reader) error {
		var err error
		s.Images, s.N, s.Rows, s.Cols, err = ReadImages(name, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	labelsName, err := withFile(fsys, dir, labelsBase, func(name string, r io.Reader) error {
		var err error
		s.Labels, err = ReadLabels(name, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(s.Labels) != s.N {
		return nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels: %w",
			imagesName, s.N, labelsName, len(s.Labels), ErrMismatch)
	}
	return &s, nil
}

// candidates lists the file names tried for a base name, in order.
func candidates(base string) []string {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	return []string{base + ".gz", base, dotted + ".gz", dotted}
}

// withFile opens the first existing candidate for base in fsys and passes
// it to read together with its name as shown in errors, which it returns.
func withFile(fsys fs.FS, dir, base string, read func(name string, r io.Reader) error) (string, error) {
	names := candidates(base)
	for _, n := range names {
		f, err := fsys.Open(n)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		shown := filepath.Join(dir, filepath.FromSlash(path.Clean(n)))
		if err != nil {
			return shown, fmt.Errorf("mnist: %w", err)
		}
		err = read(shown, f)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("mnist: %s: %w", shown, cerr)
		}
		return shown, err
	}
	return "", fmt.Errorf("mnist: %s: none of %s found: %w", dir, strings.Join(names, ", "), fs.ErrNotExist)
}

// Slice returns the examples from index from (inclusive) to to (exclusive).
// The bounds are clamped to [0, N], so s.Slice(i, i+batch) also serves the
// last, shorter batch; from >= to gives an empty set. The result shares its
// backing arrays with s.
func (s *Set) Slice(from, to int) *Set {
	size := s.Rows * s.Cols
	n := s.len()
	from = min(max(from, 0), n)
	to = min(max(to, from), n)
	return &Set{
		Images: s.Images[from*size : to*size : to*size],
		Labels: s.Labels[from:to:to],
		N:      to - from,
		Rows:   s.Rows,
		Cols:   s.Cols,
	}
}

// Image returns the pixels of example i (a Rows*Cols slice sharing memory
// with s.Images), or nil if i is out of range.
func (s *Set) Image(i int) []float32 {
	if i < 0 || i >= s.len() {
		return nil
	}
	size := s.Rows * s.Cols
	return s.Images[i*size : (i+1)*size : (i+1)*size]
}

// Len returns the number of examples (N).
func (s *Set) Len() int { return s.len() }

// Shape returns the shape of one example, channels first: [1, Rows, Cols].
func (s *Set) Shape() []int { return []int{1, s.Rows, s.Cols} }

// Example returns the pixels of example i (see Image) and its label.
func (s *Set) Example(i int) ([]float32, int) { return s.Image(i), int(s.Labels[i]) }

// OneHot returns the labels encoded one-hot as an N×classes row-major
// matrix, the form Keras's to_categorical produces. A label that is not
// below classes is reported with ErrLabel.
func (s *Set) OneHot(classes int) ([]float32, error) {
	if classes <= 0 {
		return nil, fmt.Errorf("mnist: one-hot with %d classes: %w", classes, ErrLabel)
	}
	for i, l := range s.Labels {
		if int(l) >= classes {
			return nil, fmt.Errorf("mnist: example %d has label %d, not below %d classes: %w", i, l, classes, ErrLabel)
		}
	}
	out := make([]float32, len(s.Labels)*classes)
	for i, l := range s.Labels {
		out[i*classes+int(l)] = 1
	}
	return out, nil
}

// len returns N, lowered if a hand-built Set has fewer images or labels
// than N says, so that Slice and Image never index out of range.
func (s *Set) len() int {
	n := min(max(s.N, 0), len(s.Labels))
	if size := s.Rows * s.Cols; size > 0 {
		n = min(n, len(s.Images)/size)
	} else {
		n = 0
	}
	return n
}
