package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

type benchFlags struct {
	inputs, shapes []string
	batch          int
	runs           int
	duration       time.Duration
	warmup         int
	threads        int
	seed           uint64
	against        string
	json           bool
	cpuProfile     string
	profile        int
}

// benchMinRuns is the fewest timed runs a --duration benchmark makes.
const benchMinRuns = 5

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench MODEL [--input NAME=FILE]... [--shape NAME=1x3x224x224]... [--batch N] [--runs N | --duration 10s] [--threads N] [--against onnxruntime] [--json]",
		Short: "Time a model: latency percentiles, throughput, allocations and peak memory",
		Long: `Run MODEL again and again in an onnxkit Session and report the median, p90 and p99
latency of a run, the throughput (samples per second, a sample being one entry of
the first input's first dimension), the Go heap allocations per run and the
process's peak resident memory (RSS) while timing; the fastest run (min)
too, which a busy machine disturbs least.

Inputs come from --input [NAME=]FILE (.npy or .pb) or are generated from the model's
declared input types (uniform in [-1, 1) for floats, 0..9 for integers, seeded by
--seed): a symbolic first dimension takes --batch (default 1), other symbolic
dimensions need --shape NAME=AxBxC, which sets an input's whole shape.

After --warmup untimed runs, the timed runs go on for --runs runs or for --duration
(at least 5 runs). --threads N sets the goroutines onnxkit computes on (GOMAXPROCS)
and, with --against onnxruntime, onnxruntime's intra-op threads; without it both get
GOMAXPROCS (onnxruntime's own default counts physical cores, and some virtual machines
report one core per socket's worth of threads: it then ran one thread against onnxkit's
two).

--against onnxruntime times onnxruntime in the same process on the same inputs
(library from --ort-lib, $ONNXRUNTIME_LIB, .peers/ort or npm -g), prints both and
the ratio of the medians (onnxkit / onnxruntime), and checks that every output
agrees: max |onnxkit - onnxruntime| <= 1e-4 * max(1, max |onnxruntime|). The two
are timed alternately, 10 blocks each, so that a change in the machine's load or
clock during the benchmark weighs on both (with --cpuprofile: onnxkit's block
first, alone in the profile). Peak memory is each runtime's high-water mark over
its warm-up runs (at least one), onnxruntime's taken after it is loaded.

--json prints one JSON object instead of the table: median_ms, p90_ms, p99_ms,
per_second, allocs_per_run, peak_rss_bytes (and an "onnxruntime" object with the
same keys, the ratio and the output check under --against).

Exit status 0 ok, 1 a clear failure (bad model or input, outputs disagree),
2 a usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if fl.Changed("runs") && fl.Changed("duration") {
				return usageError{errors.New("give --runs or --duration, not both")}
			}
			if !fl.Changed("runs") {
				f.runs = 0
			}
			if !fl.Changed("batch") {
				f.batch = 0
			}
			return runBench(cmd.OutOrStdout(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "input tensor as [NAME=]FILE (.npy or .pb); repeat for several inputs; others are generated")
	fl.StringArrayVar(&f.shapes, "shape", nil, "shape of a generated input as [NAME=]AxBxC (e.g. input=1x3x224x224); repeat for several")
	fl.IntVar(&f.batch, "batch", 1, "size of a generated input's symbolic first (batch) dimension")
	fl.IntVar(&f.runs, "runs", 100, "number of timed runs (instead of --duration)")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "time to spend on timed runs per runtime (instead of --runs)")
	fl.IntVar(&f.warmup, "warmup", 3, "untimed runs before timing")
	fl.IntVar(&f.threads, "threads", 0, "threads for onnxkit (GOMAXPROCS) and onnxruntime (intra-op); 0: GOMAXPROCS for both")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the generated inputs")
	fl.StringVar(&f.against, "against", "", "also time a peer runtime on the same inputs and compare outputs: onnxruntime")
	fl.BoolVar(&f.json, "json", false, "print one JSON object instead of the table")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of onnxkit's timed runs to this file (go tool pprof)")
	fl.IntVar(&f.profile, "profile", 0, "time each node of onnxkit's timed runs and print the operators' shares and the N slowest nodes")
	return cmd
}

// benchStats are the measurements of one runtime. The JSON names are part
// of onnxkit bench's output format.
type benchStats struct {
	Runs         int     `json:"runs"`
	MinMS        float64 `json:"min_ms"`
	MedianMS     float64 `json:"median_ms"`
	P90MS        float64 `json:"p90_ms"`
	P99MS        float64 `json:"p99_ms"`
	PerSecond    float64 `json:"per_second"`
	AllocsPerRun float64 `json:"allocs_per_run"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
}

// benchOutputCheck is how far one onnxkit output is from onnxruntime's.
type benchOutputCheck struct {
	Name      string  `json:"name"`
	MaxAbs    float64 `json:"max_abs_diff"`
	Tolerance float64 `json:"tolerance"`
	OK        bool    `json:"ok"`
}

// benchReport is the whole result, as --json prints it.
type benchReport struct {
	Model   string   `json:"model"`
	Inputs  []string `json:"inputs"`
	Batch   int      `json:"batch"`
	Threads int      `json:"threads"`
	Kernel  string   `json:"gemm_kernel"`
	benchStats
	ORT *struct {
		Version string `json:"version"`
		benchStats
	} `json:"onnxruntime,omitempty"`
	Ratio        float64            `json:"ratio,omitempty"`
	Outputs      []benchOutputCheck `json:"outputs,omitempty"`
	OutputsAgree *bool              `json:"outputs_agree,omitempty"`
	// Profile is each node's (or fused group's) mean time per run, with
	// --profile, in plan order.
	Profile []benchStep `json:"profile,omitempty"`
}

// benchStep is one step of a --profile: the mean time per timed run.
type benchStep struct {
	Op     string  `json:"op"`
	Step   string  `json:"step"`
	MeanMS float64 `json:"mean_ms"`
}

func runBench(w io.Writer, path string, f benchFlags) error {
	switch {
	case f.against != "" && f.against != "onnxruntime":
		return usageError{fmt.Errorf("--against %q: want onnxruntime", f.against)}
	case f.runs < 0 || (f.runs == 0 && f.duration <= 0):
		return usageError{fmt.Errorf("--runs %d / --duration %v: want a positive number of runs or a positive duration", f.runs, f.duration)}
	case f.warmup < 0:
		return usageError{fmt.Errorf("--warmup %d: must not be negative", f.warmup)}
	case f.threads < 0:
		return usageError{fmt.Errorf("--threads %d: must not be negative", f.threads)}
	case f.profile < 0:
		return usageError{fmt.Errorf("--profile %d: must not be negative", f.profile)}
	case f.batch < 0:
		return usageError{fmt.Errorf("--batch %d: must be positive", f.batch)}
	}
	ins, err := parseBindings("input", f.inputs, false)
	if err != nil {
		return err
	}
	shapes, err := parseShapes(f.shapes)
	if err != nil {
		return err
	}
	if f.threads > 0 {
		runtime.GOMAXPROCS(f.threads)
	}
	ver := ""
	if f.against != "" {
		if ver, err = ort.Version(); err != nil { // fail before timing onnxkit
			return err
		}
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	feeds, order, descr, err := benchFeeds(m, ins, shapes, f)
	if err != nil {
		return err
	}
	rep := benchReport{Model: path, Inputs: descr, Batch: 1, Threads: runtime.GOMAXPROCS(0), Kernel: kernel.GemmKernel()}
	if x := feeds[order[0]]; x.Rank() > 0 {
		rep.Batch = x.Shape()[0]
	}
	if !f.json {
		fmt.Fprintf(w, "Model: %s\n", path)
		for _, d := range descr {
			fmt.Fprintf(w, "Input: %s\n", d)
		}
	}

	s := m.NewSession()
	var last map[string]*tensors.Tensor
	kit := &benchTimer{run: func() error {
		out, err := s.RunContext(runCtx, feeds)
		last = out
		return err
	}}
	if err := kit.warm(f.warmup); err != nil {
		return fmt.Errorf("onnxkit run of %s: %w", path, err)
	}
	if f.profile > 0 {
		s.StartProfile()
	}
	if f.against == "" || f.cpuProfile != "" {
		// One block of timed runs: alone, or profiled without onnxruntime's.
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		err = kit.time(f.runs, f.duration)
		if perr := stop(); err == nil && perr != nil {
			return perr
		}
		if err != nil {
			return fmt.Errorf("onnxkit run of %s: %w", path, err)
		}
	}
	rep.benchStats = kit.stats(rep.Batch)
	if f.against == "" {
		rep.Profile = benchProfile(s.Profile(), len(kit.times))
		return printBench(w, &rep, f)
	}

	var names []string
	for _, o := range m.Outputs() {
		names = append(names, o.Name)
	}
	// The same thread count for both: onnxruntime's default (its count of
	// physical cores) was 1 on a 2-vCPU VM where onnxkit used 2.
	sess, err := ort.OpenWith(path, names, ort.Options{Threads: runtime.GOMAXPROCS(0)})
	if err != nil {
		return err
	}
	defer sess.Close()
	dense := make(map[string]*tensor.Dense, len(feeds))
	for name, t := range feeds {
		if dense[name], err = onnx.ToDense(t); err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
	}
	bound, err := sess.Bind(dense)
	if err != nil {
		return err
	}
	defer bound.Close()
	peer := &benchTimer{run: bound.Run}
	if err := peer.warm(f.warmup); err != nil {
		return err
	}
	if f.cpuProfile != "" {
		if err := peer.time(f.runs, f.duration); err != nil {
			return err
		}
	} else if err := interleave(kit, peer, f.runs, f.duration); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rep.benchStats = kit.stats(rep.Batch)
	got := make(map[string]*tensors.Tensor, len(last))
	for name, t := range last {
		got[name] = t.Clone()
	}
	rep.ORT = &struct {
		Version string `json:"version"`
		benchStats
	}{Version: ver, benchStats: peer.stats(rep.Batch)}
	rep.Ratio = rep.MedianMS / rep.ORT.MedianMS
	ref, err := bound.Outputs()
	if err != nil {
		return err
	}
	agree := true
	for _, name := range names {
		want, err := onnx.FromDense(ref[name])
		if err != nil {
			return fmt.Errorf("onnxruntime output %q: %w", name, err)
		}
		c, err := checkBenchOutput(name, got[name], want)
		if err != nil {
			return err
		}
		agree = agree && c.OK
		rep.Outputs = append(rep.Outputs, c)
	}
	rep.OutputsAgree = &agree
	rep.Profile = benchProfile(s.Profile(), len(kit.times))
	if err := printBench(w, &rep, f); err != nil {
		return err
	}
	if !agree {
		return fmt.Errorf("%s: onnxkit and onnxruntime %w (1e-4 * max(1, max |onnxruntime|))", path, errMismatch)
	}
	return nil
}

// startCPUProfile starts writing a CPU profile to path (nothing when path
// is empty) and returns the function that stops it.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := fh.Close(); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return nil
	}, nil
}

// checkBenchOutput compares one output with onnxruntime's within
// 1e-4 * max(1, max |want|) (exactly, for integer and bool outputs).
func checkBenchOutput(name string, got, want *tensors.Tensor) (benchOutputCheck, error) {
	c := benchOutputCheck{Name: name}
	if got == nil {
		return c, fmt.Errorf("output %q: onnxkit did not produce it", name)
	}
	if got.DType() != want.DType() {
		return c, fmt.Errorf("output %q: onnxkit gives %s, onnxruntime %s", name, got.DType(), want.DType())
	}
	if got.DType().IsFloat() {
		w, err := tensors.AsFloat64s(want)
		if err != nil {
			return c, fmt.Errorf("output %q: %w", name, err)
		}
		big := 1.0
		for _, x := range w {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				big = max(big, math.Abs(x))
			}
		}
		c.Tolerance = 1e-4 * big
	}
	d, err := onnx.Compare(got, want, c.Tolerance, 0)
	if err != nil {
		return c, fmt.Errorf("output %q: %w", name, err)
	}
	c.MaxAbs, c.OK = d.MaxAbs, d.OK()
	return c, nil
}

// benchTimer accumulates the timed runs of one runtime, which may come in
// several blocks (interleave).
type benchTimer struct {
	run     func() error
	times   []time.Duration
	mallocs uint64        // Go heap objects allocated during timed runs
	total   time.Duration // wall time of the timed blocks
	peak    int64         // peak RSS over the warm-up runs
}

// warm makes n untimed runs and records the process's peak RSS over them
// (reset first where Linux allows, else since the process started): the
// high-water mark of a runtime's steady state, taken before the next
// runtime is loaded.
func (t *benchTimer) warm(n int) error {
	if t.times == nil {
		t.times = make([]time.Duration, 0, 1<<16) // no allocation in timed runs
	}
	resetPeakRSS()
	for i := 0; i < max(n, 1); i++ {
		if err := t.run(); err != nil {
			return err
		}
	}
	t.peak = peakRSS()
	return nil
}

// block times runs (runs > 0: that many; else for d, with at least
// minRuns runs).
func (t *benchTimer) block(runs int, d time.Duration, minRuns int) error {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	start := time.Now()
	for n := 0; ; n++ {
		if runs > 0 && n >= runs {
			break
		}
		now := time.Now()
		if runs <= 0 && n >= minRuns && now.Sub(start) >= d {
			break
		}
		if err := t.run(); err != nil {
			return err
		}
		t.times = append(t.times, time.Since(now))
	}
	t.total += time.Since(start)
	runtime.ReadMemStats(&ms)
	t.mallocs += ms.Mallocs - mallocs
	return nil
}

// time makes the timed runs in one block: runs runs, or runs for d (at
// least benchMinRuns).
func (t *benchTimer) time(runs int, d time.Duration) error {
	t.times = slices.Grow(t.times, runs)
	return t.block(runs, d, benchMinRuns)
}

// benchRounds is the number of alternating blocks interleave times each
// runtime in.
const benchRounds = 10

// interleave times a and b alternately, benchRounds blocks each (fewer
// when runs is smaller), so that a machine whose speed drifts (other
// load, clocks) weighs on both alike: each gets runs runs or d of timed
// runs in all, at least benchMinRuns.
func interleave(a, b *benchTimer, runs int, d time.Duration) error {
	rounds := benchRounds
	if runs > 0 {
		rounds = min(rounds, runs)
		a.times, b.times = slices.Grow(a.times, runs), slices.Grow(b.times, runs)
	}
	for r := 0; r < rounds; r++ {
		n := 0
		if runs > 0 {
			n = runs / rounds
			if r < runs%rounds {
				n++
			}
		}
		// Each block starts with an untimed run: the other runtime's
		// threads may still be spinning (onnxruntime's and onnxkit's
		// workers wait actively for a moment after a run).
		if err := a.run(); err != nil {
			return fmt.Errorf("onnxkit run: %w", err)
		}
		if err := a.block(n, d/time.Duration(rounds), 1); err != nil {
			return fmt.Errorf("onnxkit run: %w", err)
		}
		if err := b.run(); err != nil {
			return fmt.Errorf("onnxruntime run: %w", err)
		}
		if err := b.block(n, d/time.Duration(rounds), 1); err != nil {
			return fmt.Errorf("onnxruntime run: %w", err)
		}
	}
	if runs <= 0 {
		for _, t := range []*benchTimer{a, b} {
			if k := benchMinRuns - len(t.times); k > 0 {
				if err := t.block(k, 0, 0); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// stats summarizes the timed runs.
func (t *benchTimer) stats(batch int) benchStats {
	st := benchStats{Runs: len(t.times), PeakRSSBytes: t.peak}
	if st.Runs == 0 {
		return st
	}
	times := slices.Sorted(slices.Values(t.times))
	st.AllocsPerRun = float64(t.mallocs) / float64(st.Runs)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	st.MinMS = ms(times[0])
	st.MedianMS = ms(percentile(times, 50))
	st.P90MS = ms(percentile(times, 90))
	st.P99MS = ms(percentile(times, 99))
	st.PerSecond = float64(batch*st.Runs) / t.total.Seconds()
	return st
}

// percentile returns the p-th percentile of sorted by the nearest-rank
// method (the median of an even count is the mean of the middle two).
func percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if p == 50 && n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	i := (p*n + 99) / 100 // ceil(p/100 * n), 1-based
	return sorted[min(max(i, 1), n)-1]
}

// resetPeakRSS resets the kernel's peak-RSS counter of this process
// (Linux: writing 5 to /proc/self/clear_refs) and reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns this process's peak resident set size in bytes: VmHWM
// from /proc/self/status, or getrusage's maximum where that is missing.
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
			if !ok {
				continue
			}
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		return ru.Maxrss << 10 // kilobytes on Linux
	}
	return 0
}

// shapeArg is one --shape argument.
type shapeArg struct {
	arg, name string
	dims      []int
}

func parseShapes(args []string) ([]shapeArg, error) {
	var out []shapeArg
	for _, a := range args {
		s := shapeArg{arg: a}
		spec := a
		if i := strings.LastIndexByte(a, '='); i >= 0 {
			s.name, spec = a[:i], a[i+1:]
			if s.name == "" {
				return nil, usageError{fmt.Errorf("--shape %q: empty name before '='", a)}
			}
		}
		if spec != "" && spec != "scalar" {
			for _, d := range strings.Split(spec, "x") {
				n, err := strconv.Atoi(strings.TrimSpace(d))
				if err != nil || n < 0 {
					return nil, usageError{fmt.Errorf("--shape %q: want [NAME=]AxBxC with sizes ≥ 0, e.g. input=1x3x224x224", a)}
				}
				s.dims = append(s.dims, n)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// benchFeeds reads the --input files and generates the other inputs. It
// returns the feeds, the names of the inputs to feed in graph order and a
// description of each.
func benchFeeds(m *onnx.Model, ins []binding, shapes []shapeArg, f benchFlags) (map[string]*tensors.Tensor, []string, []string, error) {
	need := realInputs(m)
	if len(need) == 0 {
		return nil, nil, nil, fmt.Errorf("%s has no inputs to feed", m.Name())
	}
	byName := map[string]onnx.ValueInfo{}
	for _, v := range need {
		byName[v.Name] = v
	}
	resolve := func(flag, arg, name string) (string, error) {
		if name == "" {
			if len(need) != 1 {
				return "", usageError{fmt.Errorf("--%s %s: the model has %d inputs to feed, name one as NAME=... (inputs: %s)", flag, arg, len(need), valueNames(need))}
			}
			return need[0].Name, nil
		}
		if _, ok := byName[name]; !ok {
			return "", fmt.Errorf("--%s %s: the model has no input %q to feed (inputs: %s)", flag, arg, name, valueNames(need))
		}
		return name, nil
	}
	feeds := map[string]*tensors.Tensor{}
	from := map[string]string{}
	for _, b := range ins {
		name, err := resolve("input", b.arg, b.name)
		if err != nil {
			return nil, nil, nil, err
		}
		if feeds[name] != nil {
			return nil, nil, nil, usageError{fmt.Errorf("--input %s: input %q given twice", b.arg, name)}
		}
		t, err := onnx.ReadTensorFile(b.file)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("input %q: %w", name, err)
		}
		feeds[name], from[name] = t, b.file
	}
	shapeOf := map[string][]int{}
	for _, s := range shapes {
		name, err := resolve("shape", s.arg, s.name)
		if err != nil {
			return nil, nil, nil, err
		}
		if feeds[name] != nil {
			return nil, nil, nil, usageError{fmt.Errorf("--shape %s: input %q is read from %s", s.arg, name, from[name])}
		}
		if _, dup := shapeOf[name]; dup {
			return nil, nil, nil, usageError{fmt.Errorf("--shape %s: input %q given twice", s.arg, name)}
		}
		shapeOf[name] = s.dims
	}
	var order, descr []string
	for i, v := range need {
		order = append(order, v.Name)
		if t := feeds[v.Name]; t != nil {
			descr = append(descr, fmt.Sprintf("%s %s%s from %s", v.Name, t.DType(), tensors.FormatShape(t.Shape()), from[v.Name]))
			continue
		}
		shape, err := genShape(v, shapeOf, f.batch)
		if err != nil {
			return nil, nil, nil, err
		}
		t, err := genInput(v.Type.DType, shape, f.seed, uint64(i))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("input %q: %w", v.Name, err)
		}
		feeds[v.Name] = t
		descr = append(descr, fmt.Sprintf("%s %s%s generated (seed %d)", v.Name, t.DType(), tensors.FormatShape(shape), f.seed))
	}
	return feeds, order, descr, nil
}

// genShape is the shape of a generated input: its --shape, or its declared
// shape with a symbolic first dimension set to batch (1 when 0).
func genShape(v onnx.ValueInfo, shapeOf map[string][]int, batch int) ([]int, error) {
	t := v.Type
	if s, ok := shapeOf[v.Name]; ok {
		if t.RankKnown && len(s) != len(t.Dims) {
			return nil, fmt.Errorf("--shape %s=%s: input %q has rank %d (%s)", v.Name, tensors.FormatShape(s), v.Name, len(t.Dims), formatType(t))
		}
		for i, d := range t.Dims {
			if t.RankKnown && d.Known() && d.Size != s[i] {
				return nil, fmt.Errorf("--shape %s=%s: dimension %d of input %q is fixed at %d (%s)", v.Name, tensors.FormatShape(s), i, v.Name, d.Size, formatType(t))
			}
		}
		return s, nil
	}
	if !t.RankKnown {
		return nil, fmt.Errorf("input %q has no declared shape: give it with --shape %s=AxBxC or --input %s=FILE", v.Name, v.Name, v.Name)
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		switch {
		case d.Known() && i == 0 && batch > 0 && d.Size != batch:
			return nil, fmt.Errorf("--batch %d: input %q has a fixed first dimension of %d (%s)", batch, v.Name, d.Size, formatType(t))
		case d.Known():
			shape[i] = d.Size
		case i == 0:
			shape[i] = max(batch, 1)
		default:
			return nil, fmt.Errorf("dimension %d (%s) of input %q is symbolic: give the shape with --shape %s=AxBxC or --input %s=FILE", i, d, v.Name, v.Name, v.Name)
		}
	}
	return shape, nil
}

// genInput makes a tensor of dt and shape with seeded values: uniform in
// [-1, 1) for floats, integers 0..9, booleans at random.
func genInput(dt tensors.DType, shape []int, seed, stream uint64) (*tensors.Tensor, error) {
	n, err := tensors.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if _, err := tensors.CheckSize(dt, shape); err != nil {
		return nil, err
	}
	if !dt.IsNumeric() && dt != tensors.Bool {
		return nil, fmt.Errorf("cannot generate %s values: give it with --input NAME=FILE", dt)
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	v := make([]float64, n)
	for i := range v {
		switch {
		case dt.IsFloat():
			v[i] = 2*rng.Float64() - 1
		case dt == tensors.Bool:
			v[i] = float64(rng.IntN(2))
		default:
			v[i] = float64(rng.IntN(10))
		}
	}
	x, err := tensors.New(shape, v)
	if err != nil {
		return nil, err
	}
	if dt == tensors.Float64 {
		return x, nil
	}
	return ops.CastTensor(x, dt)
}

// printBench writes the report as a table or, with --json, one object.
func printBench(w io.Writer, rep *benchReport, f benchFlags) error {
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing the JSON report: %w", err)
		}
		return nil
	}
	fmt.Fprintf(w, "Batch %d, %d threads, GEMM kernel %s, %d warm-up runs\n", rep.Batch, rep.Threads, rep.Kernel, f.warmup)
	fmt.Fprintf(w, "%-12s %6s %10s %10s %10s %10s %12s %12s %10s\n", "runtime", "runs", "min ms", "median ms", "p90 ms", "p99 ms", "samples/s", "allocs/run", "peak RSS")
	line := func(name string, st benchStats) {
		fmt.Fprintf(w, "%-12s %6d %10.3f %10.3f %10.3f %10.3f %12.1f %12.1f %10s\n", name, st.Runs, st.MinMS, st.MedianMS, st.P90MS, st.P99MS, st.PerSecond, st.AllocsPerRun, formatMiB(st.PeakRSSBytes))
	}
	line("onnxkit", rep.benchStats)
	if rep.ORT == nil {
		printProfile(w, rep.Profile, f.profile)
		return nil
	}
	line("onnxruntime", rep.ORT.benchStats)
	fmt.Fprintf(w, "onnxkit / onnxruntime %s (median): %.2f×\n", rep.ORT.Version, rep.Ratio)
	for _, c := range rep.Outputs {
		status := "OK"
		if !c.OK {
			status = "MISMATCH"
		}
		fmt.Fprintf(w, "%-8s %s: max |onnxkit - onnxruntime| %.3g (tolerance %.3g)\n", status, c.Name, c.MaxAbs, c.Tolerance)
	}
	printProfile(w, rep.Profile, f.profile)
	return nil
}

// benchProfile turns a session's step times over runs timed runs into
// mean times per run (nil without a profile).
func benchProfile(steps []onnx.StepTime, runs int) []benchStep {
	if len(steps) == 0 || runs == 0 {
		return nil
	}
	out := make([]benchStep, len(steps))
	for i, st := range steps {
		out[i] = benchStep{Op: st.Op, Step: st.Step, MeanMS: st.Total.Seconds() * 1e3 / float64(runs)}
	}
	return out
}

// printProfile prints the time per run of each operator (fused groups as
// one, "Conv+Relu"), largest first, and the top slowest steps.
func printProfile(w io.Writer, steps []benchStep, top int) {
	if len(steps) == 0 {
		return
	}
	var total float64
	byOp := map[string]*struct {
		ms float64
		n  int
	}{}
	for _, st := range steps {
		total += st.MeanMS
		o := byOp[st.Op]
		if o == nil {
			o = &struct {
				ms float64
				n  int
			}{}
			byOp[st.Op] = o
		}
		o.ms += st.MeanMS
		o.n++
	}
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		return byOp[ops[i]].ms > byOp[ops[j]].ms || byOp[ops[i]].ms == byOp[ops[j]].ms && ops[i] < ops[j]
	})
	fmt.Fprintf(w, "\nProfile: %.3f ms per run in %d steps (time inside the nodes; the rest of a run is the session's own)\n", total, len(steps))
	fmt.Fprintf(w, "%-40s %6s %10s %7s\n", "operator", "steps", "ms/run", "share")
	for _, op := range ops {
		o := byOp[op]
		fmt.Fprintf(w, "%-40s %6d %10.3f %6.1f%%\n", op, o.n, o.ms, 100*o.ms/total)
	}
	idx := make([]int, len(steps))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return steps[idx[a]].MeanMS > steps[idx[b]].MeanMS })
	fmt.Fprintf(w, "\nSlowest %d steps:\n", min(top, len(idx)))
	for _, i := range idx[:min(top, len(idx))] {
		fmt.Fprintf(w, "%10.3f ms %6.1f%%  %s\n", steps[i].MeanMS, 100*steps[i].MeanMS/total, steps[i].Step)
	}
}

func formatMiB(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
