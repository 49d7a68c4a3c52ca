package trainer

import "fmt"

// Dataset is a set of labelled examples of one shape, what Fit, Evaluate
// and Split work on. *mnist.Set implements it, and so does the image-folder
// data set of package trainer/imagefolder.
type Dataset interface {
	// Len returns the number of examples.
	Len() int
	// Shape returns one example's shape, channels first, e.g. [1, 28, 28].
	Shape() []int
	// Example returns the values of example i (as many as the product of
	// Shape; the caller does not modify them) and its class label.
	Example(i int) ([]float32, int)
}

// view is the examples [from, from+n) of a Dataset.
type view struct {
	d       Dataset
	from, n int
}

func (v view) Len() int     { return v.n }
func (v view) Shape() []int { return v.d.Shape() }
func (v view) Example(i int) ([]float32, int) {
	if i < 0 || i >= v.n {
		panic(fmt.Sprintf("trainer: example %d of a view of %d", i, v.n))
	}
	return v.d.Example(v.from + i)
}

// Slice returns a view of the examples from index from (inclusive) to to
// (exclusive) of d, clamped to [0, d.Len()]; from >= to gives an empty view.
// Nothing is copied.
func Slice(d Dataset, from, to int) Dataset {
	n := d.Len()
	from = min(max(from, 0), n)
	to = min(max(to, from), n)
	if v, ok := d.(view); ok {
		return view{v.d, v.from + from, to - from}
	}
	return view{d, from, to - from}
}

// Split returns the training and validation parts of set as Keras's
// validation_split does: the validation part is the last fraction of the
// examples, taken before any shuffling. Both are views of set.
func Split(set Dataset, valSplit float64) (train, val Dataset, err error) {
	if valSplit < 0 || valSplit >= 1 {
		return nil, nil, fmt.Errorf("trainer: validation split %g, want 0 ≤ split < 1", valSplit)
	}
	n := set.Len()
	at := int(float64(n) * (1 - valSplit))
	if at == 0 {
		return nil, nil, fmt.Errorf("trainer: validation split %g leaves no training examples out of %d", valSplit, n)
	}
	return Slice(set, 0, at), Slice(set, at, n), nil
}

// Flatten returns the values of all examples of d, one after the other,
// and their labels: the form Predict takes.
func Flatten(d Dataset) (x []float32, labels []int) {
	n := d.Len()
	size := 1
	for _, s := range d.Shape() {
		size *= s
	}
	x = make([]float32, 0, n*size)
	labels = make([]int, n)
	for i := 0; i < n; i++ {
		v, l := d.Example(i)
		x = append(x, v...)
		labels[i] = l
	}
	return x, labels
}
