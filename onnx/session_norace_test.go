//go:build !race

package onnx_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// mallocsPerRun runs s on in until it has warmed up, then returns the heap
// allocations per run over the next runs, counted for the whole process
// with every core in use (testing.AllocsPerRun would pin GOMAXPROCS to 1
// and so never take the parallel paths), the fewest of up to three rounds.
func mallocsPerRun(t *testing.T, s *onnx.Session, in map[string]*tensors.Tensor, runs int) float64 {
	t.Helper()
	for range 10 {
		if _, err := s.Run(in); err != nil {
			t.Fatal(err)
		}
	}
	// Up to three rounds, the fewest counting: on a loaded machine a
	// descheduled helper goroutine can leave a free list empty for a moment
	// (or the runtime allocates for itself) inside a round; an allocation a
	// run makes shows in every round.
	least := math.Inf(1)
	for round := 0; round < 3 && least > maxMallocsPerRun; round++ {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			if _, err := s.Run(in); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		least = min(least, float64(after.Mallocs-before.Mallocs)/float64(runs))
	}
	return least
}

// maxMallocsPerRun is the allocation rate per run the steady-state tests
// accept: below one in ten runs leaves room for the runtime's own
// background allocations, which ReadMemStats counts too, and catches any
// allocation a run makes.
const maxMallocsPerRun = 0.1

// TestSessionAllocatesNothing checks the steady state of a session: once a
// run has happened with the same input shapes, running the LeNet export
// allocates nothing, at batch 1 (where the kernels split single products
// across cores) and at batch 16 (where they split the batch). The race
// detector's instrumentation allocates, so this test is not built with it.
func TestSessionAllocatesNothing(t *testing.T) {
	m := lenetExport(t)
	for _, n := range []int{1, 16} {
		s := m.NewSession()
		if a := mallocsPerRun(t, s, lenetInput(t, n, 1), 50); a > maxMallocsPerRun {
			t.Errorf("batch %d: %.2f allocations per run, want 0", n, a)
		}
	}
}

// TestFixtureSessionsAllocateNothing is TestSessionAllocatesNothing for the
// real exports of the shared fixtures, at batch 1 and, where the batch
// dimension is free, batch 8.
func TestFixtureSessionsAllocateNothing(t *testing.T) {
	dir, err := peer.FixturesDir()
	if err != nil {
		if peer.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.onnx"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixture models in %s (%v)", dir, err)
	}
	for _, path := range paths {
		m, err := onnx.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		var free []onnx.ValueInfo
		for _, in := range m.Inputs() {
			if !in.HasDefault {
				free = append(free, in)
			}
		}
		if len(free) != 1 {
			t.Fatalf("%s: %d inputs to feed, want 1", path, len(free))
		}
		in := free[0]
		name := filepath.Base(filepath.Dir(path))
		for _, batch := range []int{1, 8} {
			shape, ok := batchShape(in, batch)
			if !ok {
				continue
			}
			n := 1
			for _, d := range shape {
				n *= d
			}
			r := rand.New(rand.NewPCG(uint64(n), 2))
			data := make([]float32, n)
			for i := range data {
				data[i] = r.Float32()
			}
			x, err := tensors.New(shape, data)
			if err != nil {
				t.Fatal(err)
			}
			s := m.NewSession()
			if a := mallocsPerRun(t, s, map[string]*tensors.Tensor{in.Name: x}, 20); a > maxMallocsPerRun {
				t.Errorf("%s, batch %d: %.2f allocations per run, want 0", name, batch, a)
			}
		}
	}
}

// batchShape gives a float32 input's declared shape for a batch of n: the
// first dimension takes n when it is free (or already n); the others must
// be fixed.
func batchShape(in onnx.ValueInfo, n int) ([]int, bool) {
	t := in.Type
	if !t.RankKnown || len(t.Dims) == 0 || t.DType != tensors.Float32 {
		return nil, false
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		switch {
		case i == 0 && (!d.Known() || d.Size == n):
			shape[i] = n
		case i == 0 || !d.Known():
			return nil, false
		default:
			shape[i] = d.Size
		}
	}
	return shape, true
}

// TestRealModelSessionsAllocateNothing is TestFixtureSessionsAllocateNothing
// for every real model of ../shared/realmodels, run on its test_data_set_0
// inputs: control flow (silero_vad's If), shape computations (Shape,
// Gather, Slice, Concat, ConstantOfShape chains), recurrent layers,
// Resize, ConvTranspose and the detection heads included. The runs of the
// big models are long enough for the kernels' parallel helpers to meet, on
// a loaded machine, more goroutines at once than before and grow their
// free lists now and then; a run's own allocations would show in every
// round, so the quietest of a few rounds is what counts.
func TestRealModelSessionsAllocateNothing(t *testing.T) {
	for _, dir := range realModelFolders(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, rm := loadRealModel(t, dir)
			s := m.NewSession()
			least := math.Inf(1)
			for range 4 {
				least = min(least, mallocsPerRun(t, s, rm.inputs, 5))
				if least == 0 {
					break
				}
			}
			if least > maxMallocsPerRun*2 { // 1 of 5 runs
				t.Errorf("%.2f allocations per run at least, want 0", least)
			}
		})
	}
}
