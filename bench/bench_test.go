package bench

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"github.com/onnxkit/onnxkit/trainer"
	"github.com/onnxkit/onnxkit/trainer/mnist"
)

// The batch sizes every engine is timed at.
var batches = []struct {
	name string
	n    int
}{{"batch1", 1}, {"batch128", 128}}

var (
	setupOnce sync.Once
	setupErr  error
	testSet   *mnist.Set
	lenet     *layers.Sequential
	modelPath string
)

// setup loads the MNIST test images and the model: the file named by
// $ONNXKIT_BENCH_MODEL, or a LeNet initialised with seed 1 and exported to
// a temporary file. The Gorgonia path runs the same weights as the file
// only in the latter case; its speed does not depend on them.
func setup(b *testing.B) {
	b.Helper()
	setupOnce.Do(func() {
		var err error
		if _, testSet, err = mnist.Load(""); err != nil {
			setupErr = err
			return
		}
		if lenet, err = layers.LeNet(tensor.Float32); err != nil {
			setupErr = err
			return
		}
		lenet.Init(rand.New(rand.NewPCG(1, 0)))
		if modelPath = os.Getenv("ONNXKIT_BENCH_MODEL"); modelPath != "" {
			return
		}
		mp, err := layers.ToONNX(lenet, layers.ExportOptions{})
		if err != nil {
			setupErr = err
			return
		}
		data, err := proto.Marshal(mp)
		if err != nil {
			setupErr = err
			return
		}
		dir, err := os.MkdirTemp("", "onnxkit-bench-")
		if err != nil {
			setupErr = err
			return
		}
		modelPath = filepath.Join(dir, "lenet.onnx")
		setupErr = os.WriteFile(modelPath, data, 0o644)
	})
	if setupErr != nil {
		b.Fatal(setupErr)
	}
}

// images returns the first n test images as an [n, 1, 28, 28] slice.
func images(n int) []float32 { return testSet.Images[:n*784] }

// timeRuns times run (one inference of batch images) after one warm-up
// call, reporting allocations, images/s and ms per run.
func timeRuns(b *testing.B, batch int, run func() error) {
	b.Helper()
	if err := run(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
	reportImages(b, batch)
}

func reportImages(b *testing.B, batch int) {
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/run")
}

// BenchmarkInferORT times onnxruntime (CPU, as shipped in
// onnxruntime-node) on the exported LeNet with as many intra-op threads as
// onnxkit has (GOMAXPROCS, "cores") and, as "threads1", with one intra-op
// thread, which can be faster for tiny batches. Not onnxruntime's default:
// that counts physical cores, and on a 2-vCPU VM reporting one thread per
// core it chose 1, so the "default" peer of earlier rounds ran on one
// thread against onnxkit's two. Input and output tensors are bound once,
// so a run is onnxruntime's own work only. compare.sh takes the faster of
// the two as the peer.
func BenchmarkInferORT(b *testing.B) {
	setup(b)
	if _, err := ort.Version(); err != nil { // loads the library, once per process
		if peer.InCI() {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	b.Run("cores", func(b *testing.B) { benchORT(b, runtime.GOMAXPROCS(0)) })
	b.Run("threads1", func(b *testing.B) { benchORT(b, 1) })
}

// benchORT times onnxruntime with threads intra-op threads.
func benchORT(b *testing.B, threads int) {
	opts := ortOptions(b, threads)
	defer opts.Destroy()
	for _, bt := range batches {
		b.Run(bt.name, func(b *testing.B) {
			in, err := ortgo.NewTensor(ortgo.NewShape(int64(bt.n), 1, 28, 28), append([]float32(nil), images(bt.n)...))
			if err != nil {
				b.Fatal(err)
			}
			defer in.Destroy()
			out, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(int64(bt.n), 10))
			if err != nil {
				b.Fatal(err)
			}
			defer out.Destroy()
			s, err := ortgo.NewAdvancedSession(modelPath, []string{"input"}, []string{"output"},
				[]ortgo.Value{in}, []ortgo.Value{out}, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Destroy()
			timeRuns(b, bt.n, s.Run)
		})
	}
}

// BenchmarkInferONNX times onnxkit's ONNX runtime on the exported LeNet:
// a Session, the way to serve a model in a loop (the input tensor is built
// once, as onnxruntime's is bound once), and, as "Run", Model.Run with
// gorgonia tensors in and out, conversions included.
func BenchmarkInferONNX(b *testing.B) {
	setup(b)
	m, err := onnx.Load(modelPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, bt := range batches {
		b.Run(bt.name, func(b *testing.B) {
			x, err := tensors.New([]int{bt.n, 1, 28, 28}, append([]float32(nil), images(bt.n)...))
			if err != nil {
				b.Fatal(err)
			}
			in := map[string]*tensors.Tensor{"input": x}
			s := m.NewSession()
			timeRuns(b, bt.n, func() error { _, err := s.Run(in); return err })
		})
	}
	b.Run("Run", func(b *testing.B) {
		for _, bt := range batches {
			b.Run(bt.name, func(b *testing.B) {
				x := tensor.New(tensor.WithShape(bt.n, 1, 28, 28), tensor.WithBacking(append([]float32(nil), images(bt.n)...)))
				in := map[string]*tensor.Dense{"input": x}
				timeRuns(b, bt.n, func() error { _, err := m.Run(in); return err })
			})
		}
	})
}

// BenchmarkInferGraph times onnxkit's Gorgonia path, trainer.Predict, on
// the same architecture (one compiled graph per batch size, reused).
func BenchmarkInferGraph(b *testing.B) {
	setup(b)
	tr, err := trainer.New(lenet)
	if err != nil {
		b.Fatal(err)
	}
	for _, bt := range batches {
		b.Run(bt.name, func(b *testing.B) {
			x := images(bt.n)
			timeRuns(b, bt.n, func() error { _, err := tr.Predict(x, bt.n, bt.n); return err })
		})
	}
}

// BenchmarkInferFixtures times onnxruntime ("ort", one intra-op thread per
// core) and an onnxkit Session ("onnxkit") side by side on every model of
// the shared fixtures folder, at batch 1 and, where the batch dimension is
// free, batch 128, on random inputs of the declared shapes (speed does not
// depend on the values).
func BenchmarkInferFixtures(b *testing.B) {
	dir, err := peer.FixturesDir()
	if err != nil {
		if peer.InCI() {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	if _, err := ort.Version(); err != nil {
		if peer.InCI() {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.onnx"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no fixture models in %s (%v)", dir, err)
	}
	for _, path := range paths {
		m, err := onnx.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		var free []onnx.ValueInfo // inputs without an initializer
		for _, in := range m.Inputs() {
			if !in.HasDefault {
				free = append(free, in)
			}
		}
		if len(free) != 1 || len(m.Outputs()) != 1 {
			b.Fatalf("%s: %d inputs to feed and %d outputs, want 1 and 1", path, len(free), len(m.Outputs()))
		}
		in, out := free[0], m.Outputs()[0]
		name := filepath.Base(filepath.Dir(path))
		for _, bt := range batches {
			shape, ok := fixtureShape(in.Type, bt.n)
			if !ok {
				continue
			}
			n := 1
			for _, d := range shape {
				n *= d
			}
			r := rand.New(rand.NewPCG(uint64(n), 1))
			data := make([]float32, n)
			for i := range data {
				data[i] = r.Float32()
			}
			x, err := tensors.New(shape, data)
			if err != nil {
				b.Fatal(err)
			}
			feeds := map[string]*tensors.Tensor{in.Name: x}
			s := m.NewSession()
			res, err := s.Run(feeds) // also gives onnxruntime its output shape
			if err != nil {
				b.Fatal(err)
			}
			outShape := append([]int(nil), res[out.Name].Shape()...)
			b.Run(name+"/"+bt.name+"/ort", func(b *testing.B) {
				benchORTFixture(b, path, in.Name, out.Name, shape, outShape, data, bt.n)
			})
			b.Run(name+"/"+bt.name+"/onnxkit", func(b *testing.B) {
				timeRuns(b, bt.n, func() error { _, err := s.Run(feeds); return err })
			})
		}
	}
}

// fixtureShape gives a declared input type's shape for a batch of n: the
// first dimension takes n when it is free (or already n), the others must
// be fixed.
func fixtureShape(t tensors.Type, n int) ([]int, bool) {
	if !t.RankKnown || len(t.Dims) == 0 || t.DType != tensors.Float32 {
		return nil, false
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		switch {
		case i == 0 && (!d.Known() || d.Size == n):
			shape[i] = n
		case i == 0:
			return nil, false // a fixed batch of another size
		case d.Known():
			shape[i] = d.Size
		default:
			return nil, false
		}
	}
	return shape, true
}

// benchORTFixture times onnxruntime on one fixture with bound tensors.
func benchORTFixture(b *testing.B, path, inName, outName string, shape, outShape []int, data []float32, batch int) {
	in, err := ortgo.NewTensor(ortgo.NewShape(int64s(shape)...), append([]float32(nil), data...))
	if err != nil {
		b.Fatal(err)
	}
	defer in.Destroy()
	out, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(int64s(outShape)...))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Destroy()
	opts := ortOptions(b, runtime.GOMAXPROCS(0)) // as many threads as onnxkit
	defer opts.Destroy()
	s, err := ortgo.NewAdvancedSession(path, []string{inName}, []string{outName}, []ortgo.Value{in}, []ortgo.Value{out}, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Destroy()
	timeRuns(b, batch, s.Run)
}

// ortOptions returns session options with threads intra-op threads.
func ortOptions(b *testing.B, threads int) *ortgo.SessionOptions {
	opts, err := ortgo.NewSessionOptions()
	if err != nil {
		b.Fatal(err)
	}
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		opts.Destroy()
		b.Fatal(err)
	}
	return opts
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
