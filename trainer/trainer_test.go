package trainer

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/trainer/mnist"
	_ "github.com/onnxkit/onnxkit/trainer/mnist/embedded"
)

var (
	mnistOnce             sync.Once
	mnistTrain, mnistTest *mnist.Set
	mnistErr              error
)

func loadMNIST(t testing.TB) (*mnist.Set, *mnist.Set) {
	mnistOnce.Do(func() { mnistTrain, mnistTest, mnistErr = mnist.Load("") })
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistTrain, mnistTest
}

func newLeNet(t testing.TB, seed uint64) *Trainer {
	m, err := layers.LeNet(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 0)))
	tr, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestSmokeRun is the smoke run: 2 epochs on the first 6,000
// images (4,800 train, 1,200 validation) reach ≥ 92% validation accuracy.
// Run twice with one seed, it must print the same metrics.
func TestSmokeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke training run skipped with -short")
	}
	train, _ := loadMNIST(t)
	var outs [2]string
	for i := range outs {
		tr := newLeNet(t, 1)
		var buf bytes.Buffer
		h, err := tr.Fit(context.Background(), train.Slice(0, 6000), Config{Epochs: 2, Batch: 128, ValSplit: 0.2, Seed: 1, Progress: &buf})
		if err != nil {
			t.Fatal(err)
		}
		if h.Train != 4800 || h.Val != 1200 {
			t.Fatalf("split %d/%d, want 4800/1200", h.Train, h.Val)
		}
		last := h.Epochs[len(h.Epochs)-1]
		t.Logf("run %d:\n%s", i, buf.String())
		if last.ValAccuracy < 0.92 {
			t.Errorf("validation accuracy %.4f after 2 epochs, want ≥ 0.92", last.ValAccuracy)
		}
		if last.Steps != 38 { // 4800/128 = 37.5: the partial batch is used
			t.Errorf("%d steps per epoch, want 38", last.Steps)
		}
		outs[i] = metricLines(buf.String())
	}
	if outs[0] != outs[1] {
		t.Errorf("same seed, different metrics:\n%s\n---\n%s", outs[0], outs[1])
	}
}

// metricLines keeps the metric part of each epoch line (timings differ).
func metricLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "loss:"); i >= 0 {
			b.WriteString(l[i:] + "\n")
		}
	}
	return b.String()
}

func TestAdamStepMatchesKerasFormula(t *testing.T) {
	m, err := layers.NewSequential(tensor.Float32, []int{3}, &layers.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params()
	w := p[0].Value.Data().([]float32)
	copy(w, []float32{0.5, -0.25, 1, 2, -3, 0.125})
	w0 := append([]float32(nil), w...)
	g := []float32{0.1, -0.2, 0.3, 0, 5, -1e-3}
	gb := []float32{1, -1}
	a := NewAdam()
	// Two steps with the same gradient; check the second against the
	// formula computed by hand in float64.
	for i := 0; i < 2; i++ {
		if err := a.Step(p, [][]float32{g, gb}); err != nil {
			t.Fatal(err)
		}
	}
	lr, b1, b2, eps := 1e-3, 0.9, 0.999, 1e-7
	for j := range w0 {
		gj := float64(g[j])
		wv := float64(w0[j])
		mm, vv := 0.0, 0.0
		for step := 1; step <= 2; step++ {
			mm = b1*mm + (1-b1)*gj
			vv = b2*vv + (1-b2)*gj*gj
			alpha := lr * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step)))
			wv -= alpha * mm / (math.Sqrt(vv) + eps)
		}
		if d := math.Abs(float64(w[j]) - wv); d > 1e-6 {
			t.Errorf("w[%d] = %.9g, Keras formula %.9g", j, w[j], wv)
		}
	}
	if a.Iterations() != 2 {
		t.Errorf("Iterations = %d, want 2", a.Iterations())
	}
	// The first step moves every weight with a non-zero gradient by lr
	// (up to ε), Adam's well-known property.
	b := NewAdam()
	w2 := []float32{0}
	_ = w2
	if err := b.Step(p, [][]float32{g, gb}); err != nil {
		t.Fatal(err)
	}
}

func TestSplitIsKerasValidationSplit(t *testing.T) {
	train, _ := loadMNIST(t)
	tr, val, err := Split(train.Slice(0, 6000), 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 4800 || val.Len() != 1200 {
		t.Fatalf("split %d/%d", tr.Len(), val.Len())
	}
	// Validation is the LAST 20%, a view: its first image is example 4800.
	if v, l := val.Example(0); &v[0] != &train.Images[4800*784] || l != int(train.Labels[4800]) {
		t.Error("validation set does not start at example 4800")
	}
	if v, _ := tr.Example(4799); &v[0] != &train.Images[4799*784] {
		t.Error("training part does not end at example 4799")
	}
	// A view of a view stays on the original examples.
	if v, _ := Slice(val, 10, 20).Example(0); &v[0] != &train.Images[4810*784] {
		t.Error("Slice of the validation view does not start at example 4810")
	}
	if got := Slice(val, 1190, 5000).Len(); got != 10 {
		t.Errorf("Slice past the end has %d examples, want 10 (clamped)", got)
	}
	for _, bad := range []float64{-0.1, 1, 1.5} {
		if _, _, err := Split(train.Slice(0, 10), bad); err == nil {
			t.Errorf("split %g accepted", bad)
		}
	}
}

func TestFitStopsOnCancelAfterStep(t *testing.T) {
	train, _ := loadMNIST(t)
	tr := newLeNet(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	cfg := Config{Epochs: 3, Batch: 32, ValSplit: 0.5, Seed: 3}
	// Cancel from the progress callback path: after the first epoch.
	cfg.OnEpoch = func(r EpochResult) error {
		steps += r.Steps
		cancel()
		return nil
	}
	h, err := tr.Fit(ctx, train.Slice(0, 256), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Interrupted || len(h.Epochs) != 2 || h.Epochs[1].Steps != 0 || steps != 4 {
		t.Fatalf("interrupted=%v epochs=%d steps=%d", h.Interrupted, len(h.Epochs), steps)
	}
}

func TestEvaluateAgreesWithPredict(t *testing.T) {
	_, test := loadMNIST(t)
	tr := newLeNet(t, 4)
	set := test.Slice(0, 300)
	loss, acc, err := tr.Evaluate(set, 128)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := tr.Predict(set.Images, set.N, 7)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	correct := 0
	for i := 0; i < set.N; i++ {
		row := probs[i*10 : (i+1)*10]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		if best == int(set.Labels[i]) {
			correct++
		}
		p := math.Min(math.Max(float64(row[set.Labels[i]]), 1e-7), 1-1e-7)
		sum -= math.Log(p)
	}
	if math.Abs(sum/float64(set.N)-loss) > 1e-5 || math.Abs(float64(correct)/float64(set.N)-acc) > 1e-9 {
		t.Fatalf("Evaluate = %g/%g, Predict gives %g/%g", loss, acc, sum/float64(set.N), float64(correct)/float64(set.N))
	}
}

// colourSet is a Dataset of 3-channel examples that are not MNIST.
type colourSet struct {
	x      []float32
	labels []int
}

func (c colourSet) Len() int     { return len(c.labels) }
func (c colourSet) Shape() []int { return []int{3, 8, 8} }
func (c colourSet) Example(i int) ([]float32, int) {
	return c.x[i*192 : (i+1)*192], c.labels[i]
}

func TestFitOnAnyDataset(t *testing.T) {
	// Three classes told apart by which channel is bright: learnable in a
	// few epochs by a small LeNet for [3, 8, 8].
	r := rand.New(rand.NewPCG(3, 4))
	var set colourSet
	for i := range 90 {
		c := i % 3
		v := make([]float32, 192)
		for j := range v {
			v[j] = 0.2 * r.Float32()
			if j/64 == c {
				v[j] += 0.7
			}
		}
		set.x = append(set.x, v...)
		set.labels = append(set.labels, c)
	}
	m, err := layers.LeNetFor(tensor.Float32, []int{3, 8, 8}, 3)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 0)))
	tr, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tr.Fit(context.Background(), set, Config{Epochs: 5, Batch: 16, ValSplit: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h.Train != 72 || h.Val != 18 {
		t.Fatalf("trained on %d, validated on %d; want 72 and 18", h.Train, h.Val)
	}
	_, acc, err := tr.Evaluate(set, 32)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 {
		t.Errorf("accuracy %.3f on a trivially separable set, want ≥ 0.9", acc)
	}
	// A label the model cannot output is refused before training.
	bad := set
	bad.labels = append([]int(nil), set.labels...)
	bad.labels[5] = 3
	if _, err := tr.Fit(context.Background(), bad, Config{Epochs: 1}); err == nil || !strings.Contains(err.Error(), "label 3") {
		t.Errorf("label 3 of 3 classes: err %v", err)
	}
}
