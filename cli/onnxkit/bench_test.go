package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
)

// benchJSON is the part of bench --json's object the tests read.
type benchJSON struct {
	Batch int `json:"batch"`
	benchStats
	ORT *struct {
		Version string `json:"version"`
		benchStats
	} `json:"onnxruntime"`
	Ratio        float64 `json:"ratio"`
	OutputsAgree *bool   `json:"outputs_agree"`
}

func parseBenchJSON(t *testing.T, out string) benchJSON {
	t.Helper()
	var r benchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json printed no single JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{`"median_ms"`, `"p90_ms"`, `"p99_ms"`, `"per_second"`, `"allocs_per_run"`, `"peak_rss_bytes"`} {
		if !strings.Contains(out, k) {
			t.Errorf("bench --json lacks %s:\n%s", k, out)
		}
	}
	return r
}

func TestBenchGeneratedInputs(t *testing.T) {
	dir := t.TempDir()
	model := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	out, stderr, code := onnxkit(t, dir, "bench", model, "--runs", "7", "--batch", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	r := parseBenchJSON(t, out)
	if r.Runs != 7 || r.Batch != 3 || r.ORT != nil {
		t.Errorf("runs %d batch %d onnxruntime %v, want 7, 3, none", r.Runs, r.Batch, r.ORT)
	}
	if r.MedianMS <= 0 || r.P90MS < r.MedianMS || r.P99MS < r.P90MS || r.PerSecond <= 0 || r.PeakRSSBytes <= 0 {
		t.Errorf("implausible numbers: %+v", r.benchStats)
	}

	// The table, one input from a file and the other generated with --shape.
	writeTensor(t, filepath.Join(dir, "a.npy"), "", f32(t, []int{2, 4}, 1, 2, 3, 4, 5, 6, 7, 8))
	out, stderr, code = onnxkit(t, dir, "bench", model, "--input", "a=a.npy", "--shape", "b=2x4", "--duration", "50ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"Input: a float32[2 4] from a.npy", "Input: b float32[2 4] generated (seed 1)", "median ms", "onnxkit "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchProfile checks --profile: the table of operators and slowest
// steps, and the JSON "profile" array with one entry per step that ran.
func TestBenchProfile(t *testing.T) {
	dir := t.TempDir()
	model := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	out, stderr, code := onnxkit(t, dir, "bench", model, "--runs", "9", "--batch", "2", "--profile", "2")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"Profile: ", "operator", "Add ", "Relu ", "Slowest 2 steps:", `node "add_`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, stderr, code = onnxkit(t, dir, "bench", model, "--runs", "9", "--profile", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	var r struct {
		Profile []benchStep `json:"profile"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json --profile: %v\n%s", err, out)
	}
	ops := map[string]int{}
	for _, st := range r.Profile {
		ops[st.Op]++
		if st.MeanMS <= 0 || st.Step == "" {
			t.Errorf("profile entry %+v: want a description and a positive time", st)
		}
	}
	// The last Add and the Relu run as one step.
	if ops["Add"] != 2 || ops["Add+Relu"] != 1 || ops["Reshape"] != 1 || len(r.Profile) != 4 {
		t.Errorf("profile %+v: want 2 Adds, the Add fused with the Relu and the Reshape", r.Profile)
	}
}

func TestBenchErrors(t *testing.T) {
	dir := t.TempDir()
	model := saveModelProto(t, dir, "small.onnx", smallAddModel(t))
	writeTensor(t, filepath.Join(dir, "a.npy"), "", f32(t, []int{2, 4}, 1, 2, 3, 4, 5, 6, 7, 8))
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench", model, "--runs", "3", "--duration", "1s"}, 2, "not both"},
		{[]string{"bench", model, "--runs", "3", "--against", "pytorch"}, 2, "want onnxruntime"},
		{[]string{"bench", model, "--runs", "3", "--profile", "-1"}, 2, "--profile"},
		{[]string{"bench", model, "--runs", "3", "--shape", "b=2xq"}, 2, "--shape"},
		{[]string{"bench", model, "--runs", "3", "--shape", "2x4"}, 2, "name one"},
		{[]string{"bench", model, "--runs", "3", "--input", "a=a.npy", "--shape", "a=2x4"}, 2, "read from a.npy"},
		{[]string{"bench", model, "--runs", "3", "--shape", "b=2x5"}, 1, "fixed at 4"},
		{[]string{"bench", model, "--runs", "3", "--shape", "c=2x4"}, 1, `no input "c"`},
		{[]string{"bench", filepath.Join(dir, "a.npy"), "--runs", "3"}, 1, "not an ONNX model"},
		{[]string{"bench", filepath.Join(dir, "missing.onnx"), "--runs", "3"}, 1, "missing.onnx"},
	} {
		out, stderr, code := onnxkit(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q\n%s", tc.args[2:], code, stderr, tc.code, tc.msg, out)
		}
	}
}

func TestBenchAgainstORT(t *testing.T) {
	_, err := ort.Version()
	peer.Require(t, err)
	fx := peer.Fixtures(t)
	dir := t.TempDir()
	model := filepath.Join(fx, "pytorch-cnn-op11", "mnist_cnn.onnx")
	start := time.Now()
	out, stderr, code := onnxkit(t, dir, "bench", model, "--batch", "4", "--runs", "20", "--threads", "2", "--against", "onnxruntime", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	r := parseBenchJSON(t, out)
	if r.ORT == nil || r.ORT.Runs != 20 || r.ORT.MedianMS <= 0 || r.Ratio <= 0 || r.OutputsAgree == nil || !*r.OutputsAgree {
		t.Errorf("bench --against onnxruntime: %s", out)
	}
	// A Session run allocates nothing. Under heavy load a few allocations
	// can land in the window (a free list found empty while a descheduled
	// helper still holds its entry, the runtime's own), so a high count is
	// measured again, up to three times: an allocation made by every run
	// shows at least 1.0 in each measurement.
	allocs := r.AllocsPerRun
	for try := 0; allocs >= 0.5 && try < 2; try++ {
		again, stderr, code := onnxkit(t, dir, "bench", model, "--batch", "4", "--runs", "20", "--threads", "2", "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, again, stderr)
		}
		allocs = min(allocs, parseBenchJSON(t, again).AllocsPerRun)
	}
	if allocs >= 0.5 {
		t.Errorf("onnxkit allocated %.2f times per Session run (fewest of three measurements), want 0", allocs)
	}
	t.Logf("%.3f ms vs onnxruntime %.3f ms (%v)", r.MedianMS, r.ORT.MedianMS, time.Since(start))

	// The table names both runtimes and the check.
	out, stderr, code = onnxkit(t, dir, "bench", model, "--runs", "5", "--against", "onnxruntime")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"onnxruntime ", "onnxkit / onnxruntime", "OK "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
