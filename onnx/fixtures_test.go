package onnx_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

// The real exports in ../shared/fixtures (see each PROVENANCE.txt): how
// their inputs are scaled and their accuracy on MNIST t10k[0:1000] as
// measured with onnxruntime when the fixtures were collected.
var fixtureExpect = map[string]struct {
	scale    float64 // 1: pixels in [0,1]; 255: raw pixels
	accuracy float64
}{
	"cntk-mnist8-zoo":                    {255, 0.987},
	"keras-tf2onnx-inception-op13-refio": {1, 0.985},
	"keras-tf2onnx-lenet-k3-op15":        {1, 0.991},
	"keras-tf2onnx-mlp-op13-go":          {1, 0.974},
	"keras2onnx-cnn-nhwc-op11":           {1, 0.991},
	"pytorch-cnn-op11":                   {1, 0.986},
}

// fixtureTolerance bounds the difference between onnxkit's outputs and
// onnxruntime's (live or recorded in the fixtures): 1e-5 absolute for rows
// of values up to 1 in magnitude (probabilities), and 1e-5 of the row's
// largest magnitude beyond. float32 cannot do better for large values
// whatever the runtime: CNTK's mnist-8 on raw pixels gives logits near
// 2000, where one float32 step is 1.2e-4, and small logits of such a row
// come out of sums of large terms that the two runtimes add in different
// orders.
const fixtureTolerance = 1e-5

// maxExcess compares a with the reference b, rows of k values at a time:
// it returns the largest |a-b| / max(1, largest |b| of the row), and
// where.
func maxExcess(a, b []float32, k int) (float64, int) {
	worst, at := 0.0, 0
	for r := 0; r < len(b); r += k {
		scale := 1.0
		for _, v := range b[r:min(r+k, len(b))] {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for i := r; i < min(r+k, len(b)); i++ {
			d := math.Abs(float64(a[i])-float64(b[i])) / scale
			if math.IsNaN(d) {
				return math.Inf(1), i
			}
			if d > worst {
				worst, at = d, i
			}
		}
	}
	return worst, at
}

var (
	testSetOnce sync.Once
	testSet     *mnist.Set
	testSetErr  error
)

func mnistTest(t *testing.T) *mnist.Set {
	t.Helper()
	testSetOnce.Do(func() { _, testSet, testSetErr = mnist.Load("") })
	if testSetErr != nil {
		t.Fatal(testSetErr)
	}
	return testSet
}

// provenanceAccuracy returns the t10k[0:1000] accuracy a PROVENANCE.txt
// states, if it states one in the collection's usual form.
var provenanceAccuracyRE = regexp.MustCompile(`Accuracy[^\n:]*t10k\[0:1000\][^\n:]*:\s*([0-9]+\.[0-9]+)`)

// fixtureModel is one fixture folder's model as onnxkit sees it.
type fixtureModel struct {
	dir, path string
	m         *onnx.Model
	in        onnx.ValueInfo
	fixed     int // batch size the model fixes, or 0 if the batch is free
	scale     float64
}

func openFixture(t *testing.T, dir string) *fixtureModel {
	t.Helper()
	models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if len(models) != 1 {
		t.Fatalf("%s holds %d .onnx files, want 1", dir, len(models))
	}
	m, err := onnx.Load(models[0])
	if err != nil {
		t.Fatalf("onnxkit cannot load the fixture: %v", err)
	}
	f := &fixtureModel{dir: dir, path: models[0], m: m}
	var ins []onnx.ValueInfo
	for _, in := range m.Inputs() {
		if !in.HasDefault {
			ins = append(ins, in)
		}
	}
	if len(ins) != 1 {
		t.Fatalf("%s has %d inputs to feed, want 1", models[0], len(ins))
	}
	f.in = ins[0]
	if !f.in.Type.RankKnown || len(f.in.Type.Dims) < 2 {
		t.Fatalf("input %s: shape %v is not a batch of images", f.in.Name, f.in.Type)
	}
	per := 1
	for _, d := range f.in.Type.Dims[1:] {
		if !d.Known() {
			t.Fatalf("input %s: %v has an unknown image dimension", f.in.Name, f.in.Type)
		}
		per *= d.Size
	}
	if per != 784 {
		t.Fatalf("input %s: %v does not hold 28x28 images", f.in.Name, f.in.Type)
	}
	if d := f.in.Type.Dims[0]; d.Known() {
		f.fixed = d.Size
	}
	return f
}

// images returns test images [from, from+n) as the model's input tensor.
// With one channel, NCHW, NHWC, [N,28,28] and [N,784] hold the same bytes.
func (f *fixtureModel) images(t *testing.T, from, n int) *tensor.Dense {
	t.Helper()
	set := mnistTest(t)
	pix := make([]float32, n*784)
	for i, p := range set.Images[from*784 : (from+n)*784] {
		if f.scale == 255 {
			pix[i] = float32(math.Round(float64(p) * 255))
		} else {
			pix[i] = p
		}
	}
	shape := []int{n}
	for _, d := range f.in.Type.Dims[1:] {
		shape = append(shape, d.Size)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(pix))
}

// batchOf is the size of the batches the model runs on when free to
// choose; fixed-batch models get their own size.
func (f *fixtureModel) batchOf(free int) int {
	if f.fixed > 0 {
		return f.fixed
	}
	return free
}

func TestFixtures(t *testing.T) {
	root := peer.Fixtures(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen++
		t.Run(e.Name(), func(t *testing.T) { testFixture(t, filepath.Join(root, e.Name())) })
	}
	if seen < len(fixtureExpect) {
		t.Errorf("found %d fixture folders in %s, want at least the %d this test knows", seen, root, len(fixtureExpect))
	}
}

func testFixture(t *testing.T, dir string) {
	name := filepath.Base(dir)
	want, known := fixtureExpect[name]
	prov, err := os.ReadFile(filepath.Join(dir, "PROVENANCE.txt"))
	if err != nil {
		t.Fatalf("fixture without PROVENANCE.txt: %v", err)
	}
	if m := provenanceAccuracyRE.FindSubmatch(prov); m != nil {
		acc, _ := strconv.ParseFloat(string(m[1]), 64)
		if known && acc != want.accuracy {
			t.Errorf("PROVENANCE.txt states accuracy %v, this test expects %v", acc, want.accuracy)
		}
		if !known {
			want.accuracy, known = acc, true
			want.scale = 1
			if strings.Contains(string(prov), "RAW pixels") {
				want.scale = 255
			}
		}
	}
	if !known {
		t.Fatalf("no expectations for fixture %s: add it to fixtureExpect", name)
	}
	if raw := strings.Contains(string(prov), "RAW pixels"); raw != (want.scale == 255) {
		t.Errorf("PROVENANCE.txt says raw pixels: %v, this test feeds scale %v", raw, want.scale)
	}
	f := openFixture(t, dir)
	f.scale = want.scale

	t.Run("derived_ort_output", func(t *testing.T) { checkDerived(t, f) })
	t.Run("accuracy", func(t *testing.T) { checkAccuracy(t, f, want.accuracy) })
	t.Run("onnxruntime", func(t *testing.T) { checkAgainstORT(t, f.path, f.m, f.in, f.fixed, f.images) })
}

// checkDerived runs the model on derived_ort_input.npy and compares with
// derived_ort_output.npy, both written by onnxruntime when the fixture was
// collected. The input must also be MNIST t10k[0:n] at the fixture's scale.
func checkDerived(t *testing.T, f *fixtureModel) {
	x, err := onnx.ReadTensorFile(filepath.Join(f.dir, "derived_ort_input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := onnx.ReadTensorFile(filepath.Join(f.dir, "derived_ort_output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if x.DType() != tensors.Float32 || x.Rank() < 2 || x.Len()%784 != 0 || x.Shape()[0]*784 != x.Len() {
		t.Fatalf("derived_ort_input.npy is %v, want float32 [n, 28x28 pixels]", x)
	}
	n := x.Shape()[0]
	if want.Rank() != 2 || want.Shape()[0] != n || want.DType() != tensors.Float32 {
		t.Fatalf("derived_ort_output.npy is %v, want float32 [%d, classes]", want, n)
	}
	// The recorded input is the first test images at the stated scale.
	ref := f.images(t, 0, n).Data().([]float32)
	for i, v := range tensors.Data[float32](x) {
		if math.Abs(float64(v-ref[i])) > 1e-6 {
			t.Fatalf("derived_ort_input.npy element %d is %v, MNIST t10k at scale %v gives %v", i, v, f.scale, ref[i])
		}
	}
	var got []float32
	step := f.batchOf(n)
	if n%step != 0 {
		t.Fatalf("%d recorded samples do not split into batches of %d", n, step)
	}
	out := f.m.Outputs()[0].Name
	for from := 0; from < n; from += step {
		shape := []int{step}
		for _, d := range f.in.Type.Dims[1:] {
			shape = append(shape, d.Size)
		}
		part := tensors.Data[float32](x)[from*784 : (from+step)*784]
		in, err := tensors.New(shape, part)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.m.RunTensors(map[string]*tensors.Tensor{f.in.Name: in}, out)
		if err != nil {
			t.Fatalf("samples %d to %d: %v", from, from+step-1, err)
		}
		got = append(got, tensors.Data[float32](res[out])...)
	}
	if len(got) != want.Len() {
		t.Fatalf("onnxkit gives %d values, derived_ort_output.npy holds %v", len(got), want)
	}
	diff, _ := maxDiff(got, tensors.Data[float32](want))
	excess, at := maxExcess(got, tensors.Data[float32](want), want.Shape()[1])
	t.Logf("%d samples, max |onnxkit - recorded onnxruntime| = %.3g (%.3g relative to max(1, |row|))", n, diff, excess)
	if excess > fixtureTolerance {
		t.Errorf("output %q element %d: onnxkit %v, recorded onnxruntime %v (|diff| / max(1, |row|) = %.3g > %g)",
			out, at, got[at], tensors.Data[float32](want)[at], excess, fixtureTolerance)
	}
}

func checkAccuracy(t *testing.T, f *fixtureModel, want float64) {
	const n = 1000
	set := mnistTest(t)
	out := f.m.Outputs()[0].Name
	step := f.batchOf(100)
	correct := 0
	for from := 0; from < n; from += step {
		k := min(step, n-from)
		if f.fixed > 0 && k != f.fixed {
			t.Fatalf("%d images do not split into batches of %d", n, f.fixed)
		}
		res, err := f.m.Run(map[string]*tensor.Dense{f.in.Name: f.images(t, from, k)}, out)
		if err != nil {
			t.Fatalf("images %d to %d: %v", from, from+k-1, err)
		}
		scores := res[out].Data().([]float32)
		classes := len(scores) / k
		for i := 0; i < k; i++ {
			if argmax(scores[i*classes:(i+1)*classes]) == int(set.Labels[from+i]) {
				correct++
			}
		}
	}
	got := float64(correct) / n
	t.Logf("accuracy on t10k[0:%d] at scale %v: %.3f", n, f.scale, got)
	if correct != int(math.Round(want*n)) {
		t.Errorf("accuracy %.3f (%d/%d), PROVENANCE.txt measured %.3f with onnxruntime", got, correct, n, want)
	}
}

// checkAgainstORT runs the model file in onnxruntime and in onnxkit (m) on
// the same test images, one at a time and, when the batch is free, 64 at a
// time, and compares every graph output.
func checkAgainstORT(t *testing.T, path string, m *onnx.Model, in onnx.ValueInfo, fixed int,
	images func(t *testing.T, from, n int) *tensor.Dense) {
	sess, err := ort.Open(path, nil)
	if errors.Is(err, ort.ErrUnavailable) {
		peer.Require(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// Old-IR models (CNTK) list their initializers as graph inputs;
	// onnxruntime may ask for them: give it the model's own values.
	extra := map[string]*tensor.Dense{}
	for _, ti := range sess.Inputs() {
		if ti.Name == in.Name {
			continue
		}
		v, err := m.Initializer(ti.Name)
		if err != nil {
			t.Fatalf("onnxruntime wants input %s: %v", ti, err)
		}
		if extra[ti.Name], err = onnx.ToDense(v); err != nil {
			t.Fatal(err)
		}
	}
	var outNames []string
	for _, o := range sess.Outputs() {
		outNames = append(outNames, o.Name)
	}
	type batch struct{ from, n int }
	var batches []batch
	if fixed > 0 {
		batches = []batch{{0, fixed}, {7, fixed}}
	} else {
		batches = []batch{{0, 1}, {7, 1}, {100, 64}}
	}
	for _, b := range batches {
		x := images(t, b.from, b.n)
		feed := map[string]*tensor.Dense{in.Name: x}
		for k, v := range extra {
			feed[k] = v
		}
		ref, err := sess.Run(feed)
		if err != nil {
			t.Fatalf("onnxruntime, batch of %d: %v", b.n, err)
		}
		got, err := m.Run(map[string]*tensor.Dense{in.Name: x}, outNames...)
		if err != nil {
			t.Fatalf("onnxkit, batch of %d: %v", b.n, err)
		}
		for _, name := range outNames {
			r, g := ref[name], got[name]
			if !slices.Equal([]int(r.Shape()), []int(g.Shape())) {
				t.Fatalf("batch of %d, output %q: onnxkit shape %v, onnxruntime %v", b.n, name, g.Shape(), r.Shape())
			}
			rv, ok1 := r.Data().([]float32)
			gv, ok2 := g.Data().([]float32)
			if !ok1 || !ok2 {
				t.Fatalf("output %q: want float32 from both, have %v and %v", name, r.Dtype(), g.Dtype())
			}
			diff, _ := maxDiff(gv, rv)
			excess, at := maxExcess(gv, rv, r.Shape()[r.Dims()-1])
			t.Logf("images %d to %d, output %q: max |onnxkit - onnxruntime| = %.3g (%.3g relative to max(1, |row|))",
				b.from, b.from+b.n-1, name, diff, excess)
			if excess > fixtureTolerance {
				t.Errorf("batch of %d, output %q element %d: onnxkit %v, onnxruntime %v (|diff| / max(1, |row|) = %.3g > %g)",
					b.n, name, at, gv[at], rv[at], excess, fixtureTolerance)
			}
		}
	}
}

// TestExportedLeNetAgainstORT checks onnxkit against onnxruntime on the
// LeNet that onnxkit itself exports (untrained weights).
func TestExportedLeNetAgainstORT(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lenet.onnx")
	if err := os.WriteFile(path, lenetExportBytes(t, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatalf("onnxkit cannot load its own export: %v", err)
	}
	ins := m.Inputs()
	if len(ins) != 1 {
		t.Fatalf("export has inputs %v", ins)
	}
	f := &fixtureModel{path: path, m: m, in: ins[0], scale: 1}
	if d := ins[0].Type.Dims; len(d) != 4 || d[0].Known() {
		t.Fatalf("export input %v, want [N, 1, 28, 28]", ins[0].Type)
	}
	checkAgainstORT(t, path, m, ins[0], 0, f.images)
}

func maxDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, 0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
			if math.IsNaN(d) {
				return math.Inf(1), i
			}
		}
	}
	return worst, at
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
