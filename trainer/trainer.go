package trainer

import (
	"fmt"
	"io"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/layers"
)

// Trainer fits and evaluates one float32 model. It keeps one compiled
// Gorgonia graph per batch size and purpose, so the final partial batch and
// evaluation reuse their graphs across epochs. A Trainer is not safe for
// concurrent use.
type Trainer struct {
	Model   *layers.Sequential
	Classes int // number of classes, the width of the model's output

	graphs map[graphKey]*stepper
}

type graphKey struct {
	batch int
	mode  int // modeTrain, modeEval, modePredict
}

const (
	modeTrain = iota
	modeEval
	modePredict
)

// New returns a Trainer for m, whose output must be [classes] per sample.
func New(m *layers.Sequential) (*Trainer, error) {
	if m.Dtype != tensor.Float32 {
		return nil, fmt.Errorf("trainer: model dtype %v, want float32", m.Dtype)
	}
	out := m.OutputShape(len(m.Layers) - 1)
	if len(out) != 1 {
		return nil, fmt.Errorf("trainer: model output %v per sample, want a vector of class scores", out)
	}
	return &Trainer{Model: m, Classes: out[0], graphs: map[graphKey]*stepper{}}, nil
}

// stepper is the model in a compiled graph for one batch size.
type stepper struct {
	gr      *layers.Graph
	x, y    *tensor.Dense
	loss    *G.Node
	correct func() int
	vm      G.VM
	sample  int // values per input sample
}

func (t *Trainer) stepper(batch, mode int) (*stepper, error) {
	k := graphKey{batch, mode}
	if s, ok := t.graphs[k]; ok {
		return s, nil
	}
	gr, err := t.Model.NewGraph(batch)
	if err != nil {
		return nil, err
	}
	s := &stepper{gr: gr, sample: gr.Input.Shape().TotalSize() / batch}
	s.x = tensor.New(tensor.WithShape(gr.Input.Shape()...), tensor.Of(tensor.Float32))
	if err := G.Let(gr.Input, s.x); err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	if mode != modePredict {
		s.y = tensor.New(tensor.WithShape(batch, t.Classes), tensor.Of(tensor.Float32))
		labels := G.NodeFromAny(gr.G, s.y, G.WithName("labels"))
		if s.loss, s.correct, err = layers.SoftmaxCrossEntropy(gr.Logits, labels); err != nil {
			return nil, fmt.Errorf("trainer: %w", err)
		}
	}
	if mode == modeTrain {
		if _, err := G.Grad(s.loss, gr.Params...); err != nil {
			return nil, fmt.Errorf("trainer: building gradients: %w", err)
		}
	}
	s.vm = G.NewTapeMachine(gr.G)
	t.graphs[k] = s
	return s, nil
}

// load copies the examples idx of set into the stepper's input and labels.
func (s *stepper) load(set Dataset, idx []int, classes int) {
	xs := s.x.Data().([]float32)
	var ys []float32
	if s.y != nil {
		ys = s.y.Data().([]float32)
		clear(ys)
	}
	for i, j := range idx {
		v, label := set.Example(j)
		copy(xs[i*s.sample:(i+1)*s.sample], v)
		if ys != nil {
			ys[i*classes+label] = 1
		}
	}
}

// run executes the graph once and returns the batch's mean loss and the
// number of correctly classified examples.
func (s *stepper) run() (float64, int, error) {
	s.vm.Reset()
	if err := s.vm.RunAll(); err != nil {
		return 0, 0, fmt.Errorf("trainer: %w", err)
	}
	if s.loss == nil {
		return 0, 0, nil
	}
	v, ok := s.loss.Value().(*G.F32)
	if !ok {
		return 0, 0, fmt.Errorf("trainer: loss is %T, want a float32 scalar", s.loss.Value())
	}
	return float64(*v), s.correct(), nil
}

func (t *Trainer) checkSet(set Dataset, what string) error {
	want, size := 1, 1
	for _, d := range t.Model.Input {
		want *= d
	}
	shape := set.Shape()
	for _, d := range shape {
		size *= d
	}
	if size != want {
		return fmt.Errorf("trainer: %s examples are %v, the model takes %v", what, shape, t.Model.Input)
	}
	for i := range set.Len() {
		v, l := set.Example(i)
		if len(v) != size {
			return fmt.Errorf("trainer: %s example %d has %d values, want %d (%v)", what, i, len(v), size, shape)
		}
		if l < 0 || l >= t.Classes {
			return fmt.Errorf("trainer: %s example %d has label %d, the model has %d classes", what, i, l, t.Classes)
		}
	}
	return nil
}

// Evaluate returns the mean loss and the accuracy of the model on set, in
// batches of batch examples (the last one may be shorter), as Keras's
// model.evaluate does.
func (t *Trainer) Evaluate(set Dataset, batch int) (loss, acc float64, err error) {
	if batch <= 0 {
		return 0, 0, fmt.Errorf("trainer: batch size %d, want > 0", batch)
	}
	total := set.Len()
	if total == 0 {
		return 0, 0, fmt.Errorf("trainer: evaluating on no examples")
	}
	if err := t.checkSet(set, "evaluation"); err != nil {
		return 0, 0, err
	}
	var sum float64
	correct := 0
	idx := make([]int, 0, batch)
	for from := 0; from < total; from += batch {
		n := min(batch, total-from)
		s, err := t.stepper(n, modeEval)
		if err != nil {
			return 0, 0, err
		}
		idx = idx[:0]
		for i := from; i < from+n; i++ {
			idx = append(idx, i)
		}
		s.load(set, idx, t.Classes)
		l, c, err := s.run()
		if err != nil {
			return 0, 0, err
		}
		sum += l * float64(n)
		correct += c
	}
	return sum / float64(total), float64(correct) / float64(total), nil
}

// Predict returns the model's outputs (class probabilities for a model
// ending in Softmax) for the n samples in x, row after row.
func (t *Trainer) Predict(x []float32, n, batch int) ([]float32, error) {
	if batch <= 0 || n < 0 {
		return nil, fmt.Errorf("trainer: predict with batch %d on %d samples", batch, n)
	}
	sample := 1
	for _, d := range t.Model.Input {
		sample *= d
	}
	if len(x) != n*sample {
		return nil, fmt.Errorf("trainer: predict: %d values for %d samples of %v", len(x), n, t.Model.Input)
	}
	out := make([]float32, 0, n*t.Classes)
	for from := 0; from < n; from += batch {
		m := min(batch, n-from)
		s, err := t.stepper(m, modePredict)
		if err != nil {
			return nil, err
		}
		copy(s.x.Data().([]float32), x[from*sample:(from+m)*sample])
		if _, _, err := s.run(); err != nil {
			return nil, err
		}
		out = append(out, s.gr.Output.Value().Data().([]float32)...)
	}
	return out, nil
}

// Config sets up Fit. Zero fields take Keras's values for the seed script.
type Config struct {
	Epochs   int     // 12
	Batch    int     // 128
	ValSplit float64 // fraction held out at the end of the training set; 0.2. Negative means none.
	Seed     uint64  // shuffling seed
	// Optimizer defaults to NewAdam(). Its state carries over between Fit calls.
	Optimizer *Adam
	// Progress receives Keras verbose=1 style output; nil is silent.
	Progress io.Writer
	// Live draws a progress bar that is redrawn in place (for a terminal);
	// otherwise one line is written per epoch.
	Live bool
	// OnEpoch is called after each epoch, e.g. to write TensorBoard logs;
	// an error stops training.
	OnEpoch func(EpochResult) error
}

// EpochResult holds one epoch's metrics, averaged over samples.
type EpochResult struct {
	Epoch                int // from 0
	Loss, Accuracy       float64
	ValLoss, ValAccuracy float64 // NaN without validation data
	Steps, Images        int
	Duration             time.Duration
	Interrupted          bool // stopped before the end of the epoch
}

// History is the outcome of Fit.
type History struct {
	Epochs      []EpochResult
	Interrupted bool // ctx was cancelled; the model holds the last step's weights
	Train, Val  int  // examples used for training and validation
	Duration    time.Duration
}
