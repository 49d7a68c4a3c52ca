package bench

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/layers"
	"github.com/onnxkit/onnxkit/onnx"
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

func reportImages(b *testing.B, batch int) {
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/run")
}

// BenchmarkInferORT times onnxruntime (CPU, as shipped in
// onnxruntime-node) on the exported LeNet, with default session options
// (one intra-op thread per core) and, as "threads1", with one intra-op
// thread, which can be faster for tiny batches. Input and output tensors
// are bound once, so a run is onnxruntime's own work only. compare.sh
// takes the faster of the two as the peer.
func BenchmarkInferORT(b *testing.B) {
	setup(b)
	if _, err := peer.ORTVersion(); err != nil { // loads the library, once per process
		if peer.InCI() {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	b.Run("default", func(b *testing.B) { benchORT(b, 0) })
	b.Run("threads1", func(b *testing.B) { benchORT(b, 1) })
}

// benchORT times onnxruntime with threads intra-op threads (0: default).
func benchORT(b *testing.B, threads int) {
	var opts *ort.SessionOptions
	if threads > 0 {
		var err error
		if opts, err = ort.NewSessionOptions(); err != nil {
			b.Fatal(err)
		}
		defer opts.Destroy()
		if err := opts.SetIntraOpNumThreads(threads); err != nil {
			b.Fatal(err)
		}
	}
	for _, bt := range batches {
		b.Run(bt.name, func(b *testing.B) {
			in, err := ort.NewTensor(ort.NewShape(int64(bt.n), 1, 28, 28), append([]float32(nil), images(bt.n)...))
			if err != nil {
				b.Fatal(err)
			}
			defer in.Destroy()
			out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(bt.n), 10))
			if err != nil {
				b.Fatal(err)
			}
			defer out.Destroy()
			s, err := ort.NewAdvancedSession(modelPath, []string{"input"}, []string{"output"},
				[]ort.Value{in}, []ort.Value{out}, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Destroy()
			if err := s.Run(); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.Run(); err != nil {
					b.Fatal(err)
				}
			}
			reportImages(b, bt.n)
		})
	}
}

// BenchmarkInferONNX times onnxkit's ONNX runtime (onnx.Load(...).Run) on
// the exported LeNet, conversions of the input and output included.
func BenchmarkInferONNX(b *testing.B) {
	setup(b)
	m, err := onnx.Load(modelPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, bt := range batches {
		b.Run(bt.name, func(b *testing.B) {
			x := tensor.New(tensor.WithShape(bt.n, 1, 28, 28), tensor.WithBacking(append([]float32(nil), images(bt.n)...)))
			in := map[string]*tensor.Dense{"input": x}
			if _, err := m.Run(in); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Run(in); err != nil {
					b.Fatal(err)
				}
			}
			reportImages(b, bt.n)
		})
	}
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
			if _, err := tr.Predict(x, bt.n, bt.n); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Predict(x, bt.n, bt.n); err != nil {
					b.Fatal(err)
				}
			}
			reportImages(b, bt.n)
		})
	}
}
