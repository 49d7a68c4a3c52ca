package onnx

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// The conformance test runs the ONNX backend tests shipped by Debian's
// libonnx-testdata: for each test folder it loads model.onnx, feeds every
// test_data_set_*/input_*.pb and compares the results with output_*.pb.
//
// With UPDATE_CONFORMANCE=1 (or -update-conformance) it rewrites
// testdata/conformance.md. Either way it fails when a test crashes, when a
// test whose operators are all implemented does not pass (unless waived in
// conformance_waivers_test.go), and, comparing with the committed report,
// when a test that passed there no longer passes.

var updateConformance = flag.Bool("update-conformance", false, "rewrite testdata/conformance.md")

const (
	conformanceRoot   = "/usr/share/libonnx-testdata/data"
	conformanceReport = "testdata/conformance.md"
	defaultRtol       = 1e-3
	defaultAtol       = 1e-7
)

// conformanceSuites are the folders of conformanceRoot that hold tests in
// the model.onnx + test_data_set_N layout.
var conformanceSuites = []string{"node", "simple", "pytorch-converted", "pytorch-operator"}

// Statuses of a conformance test.
const (
	statusPass        = "pass"
	statusFail        = "fail"
	statusCrash       = "crash"
	statusUnsupported = "unsupported"
)

type confResult struct {
	test      string // suite/name
	ops       string // operator types used, sorted
	status    string
	detail    string
	supported bool // every operator is implemented at the model's opset
}

func TestConformance(t *testing.T) {
	if _, err := os.Stat(filepath.Join(conformanceRoot, "node")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ONNX backend test data missing (%v): install libonnx-testdata", err)
		}
		t.Skipf("ONNX backend test data missing (%v): install libonnx-testdata", err)
	}
	var dirs []string
	for _, suite := range conformanceSuites {
		m, err := filepath.Glob(filepath.Join(conformanceRoot, suite, "*", "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	if len(dirs) < 900 {
		t.Fatalf("found only %d conformance tests under %s", len(dirs), conformanceRoot)
	}
	sort.Strings(dirs)

	results := make([]confResult, len(dirs))
	for i, d := range dirs {
		results[i] = runConformanceCase(d)
	}

	update := *updateConformance || os.Getenv("UPDATE_CONFORMANCE") == "1"
	committed, readErr := readConformanceReport(conformanceReport)
	counts := map[string]int{}
	changed := 0
	for _, r := range results {
		counts[r.status]++
		if r.status == statusCrash {
			t.Errorf("%s crashed: %s", r.test, r.detail)
		}
		waiver, waived := conformanceWaivers[r.test]
		switch {
		case r.supported && r.status != statusPass && !waived:
			t.Errorf("%s: all operators (%s) are implemented but the test does not pass: %s: %s", r.test, r.ops, r.status, r.detail)
		case waived && r.status == statusPass:
			t.Logf("%s passes; its waiver (%s) can be removed", r.test, waiver)
		}
		if readErr == nil {
			old, ok := committed[r.test]
			if ok && old == statusPass && r.status != statusPass {
				t.Errorf("%s: regression: passed in %s, now %s: %s", r.test, conformanceReport, r.status, r.detail)
			}
			if !ok || old != r.status {
				changed++
			}
		}
	}
	t.Logf("conformance: %d tests: %d pass, %d fail, %d crash, %d unsupported",
		len(results), counts[statusPass], counts[statusFail], counts[statusCrash], counts[statusUnsupported])

	if update {
		if err := writeConformanceReport(conformanceReport, results, counts); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", conformanceReport)
		return
	}
	if readErr != nil {
		t.Fatalf("cannot read the committed report (%v); create it with UPDATE_CONFORMANCE=1", readErr)
	}
	if changed > 0 {
		t.Logf("%d results differ from %s; refresh it with UPDATE_CONFORMANCE=1 go test ./onnx -run TestConformance", changed, conformanceReport)
	}
}

// runConformanceCase runs one test folder. A panic anywhere is caught and
// recorded as a crash.
func runConformanceCase(dir string) (res confResult) {
	res.test = filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
	defer func() {
		if r := recover(); r != nil {
			res.status = statusCrash
			res.detail = fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	path := filepath.Join(dir, "model.onnx")
	b, err := os.ReadFile(path)
	if err != nil {
		return res.set(statusFail, err.Error())
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return res.set(statusFail, "decode: "+err.Error())
	}
	res.ops, res.supported = describeOps(&mp)

	m, err := Load(path)
	if err != nil {
		return res.setErr("load", err, path)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return res.set(statusFail, "no test_data_set_* folder")
	}
	tol := tolerance{rtol: defaultRtol, atol: defaultAtol}
	if o, ok := conformanceTolerances[res.test]; ok {
		tol = o
	}
	for _, op := range strings.Fields(res.ops) {
		if strings.HasPrefix(op, "Random") || op == "Bernoulli" || op == "Multinomial" {
			tol.random = true
		}
	}
	worst := 0.0
	for _, set := range sets {
		errMax, err := runDataSet(m, set, tol)
		if err != nil {
			return res.setErr(filepath.Base(set), err, path)
		}
		worst = math.Max(worst, errMax)
	}
	return res.set(statusPass, fmt.Sprintf("max abs error %.3g", worst))
}

func (r confResult) set(status, detail string) confResult {
	r.status, r.detail = status, detail
	return r
}

// setErr classifies an error from loading or running.
func (r confResult) setErr(stage string, err error, path string) confResult {
	msg := err.Error()
	for _, prefix := range []string{"onnx: load " + path + ": ", "onnx: run " + path + ": "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	msg = strings.ReplaceAll(msg, path, "model.onnx")
	switch {
	case errors.Is(err, ErrInternal):
		return r.set(statusCrash, stage+": "+msg)
	case errors.Is(err, ErrUnsupported):
		return r.set(statusUnsupported, msg)
	}
	return r.set(statusFail, stage+": "+msg)
}

// mismatch is a wrong result (as opposed to an error from the runtime).
type mismatch struct{ msg string }

func (e *mismatch) Error() string { return e.msg }

// runDataSet feeds one test_data_set folder and compares the outputs,
// returning the largest absolute error.
func runDataSet(m *Model, dir string, tol tolerance) (float64, error) {
	inFiles, _ := filepath.Glob(filepath.Join(dir, "input_*.pb"))
	outFiles, _ := filepath.Glob(filepath.Join(dir, "output_*.pb"))
	var feedable []ValueInfo // graph-input order, skipping initializer-backed inputs
	for _, in := range m.Inputs() {
		if !in.HasDefault {
			feedable = append(feedable, in)
		}
	}
	if len(inFiles) == len(m.Inputs()) && len(inFiles) != len(feedable) {
		feedable = m.Inputs()
	}
	if len(inFiles) != len(feedable) {
		return 0, fmt.Errorf("%d input files for %d graph inputs", len(inFiles), len(feedable))
	}
	if len(outFiles) != len(m.Outputs()) {
		return 0, fmt.Errorf("%d output files for %d graph outputs", len(outFiles), len(m.Outputs()))
	}
	inputs := map[string]*tensors.Tensor{}
	for i, vi := range feedable {
		t, err := ReadValueFile(filepath.Join(dir, fmt.Sprintf("input_%d.pb", i)), vi.Type)
		if err != nil {
			return 0, err
		}
		inputs[vi.Name] = bfloat16Data(t, vi.Type.DType)
	}
	got, err := m.RunTensors(inputs)
	if err != nil {
		return 0, err
	}
	wants := make([]*tensors.Tensor, len(m.Outputs()))
	worst := 0.0
	for i, vi := range m.Outputs() {
		want, err := ReadValueFile(filepath.Join(dir, fmt.Sprintf("output_%d.pb", i)), vi.Type)
		if err != nil {
			return 0, err
		}
		want = bfloat16Data(want, vi.Type.DType)
		wants[i] = want
		e, err := compareTensors(got[vi.Name], want, tol)
		if err != nil {
			return 0, &mismatch{fmt.Sprintf("output %q: %v", vi.Name, err)}
		}
		worst = math.Max(worst, e)
	}
	// A Session must agree too, also on its second run, which recycles
	// the first run's tensors.
	s := m.NewSession()
	for run := 1; run <= 2; run++ {
		got, err := s.Run(inputs)
		if err != nil {
			return 0, fmt.Errorf("session run %d: %w", run, err)
		}
		for i, vi := range m.Outputs() {
			if _, err := compareTensors(got[vi.Name], wants[i], tol); err != nil {
				return 0, &mismatch{fmt.Sprintf("session run %d: output %q: %v", run, vi.Name, err)}
			}
		}
	}
	return worst, nil
}

// bfloat16Data reads t as bfloat16 where the model declares bfloat16 but
// the test file holds uint16: ONNX 1.12, whose numpy has no bfloat16,
// stored bfloat16 test data as UINT16 tensors of the bit patterns.
func bfloat16Data(t *tensors.Tensor, declared tensors.DType) *tensors.Tensor {
	if declared != tensors.BFloat16 || t.DType() != tensors.Uint16 {
		return t
	}
	bits := tensors.Data[uint16](t)
	raw := make([]byte, 2*len(bits))
	for i, b := range bits {
		raw[2*i], raw[2*i+1] = byte(b), byte(b>>8)
	}
	h, err := tensors.DecodeHalf(tensors.BFloat16, raw, t.Shape())
	if err != nil {
		return t
	}
	return h
}

// compareTensors checks got against want: same element type and shape,
// equal strings and bools, numbers within tolerance (NaN matches NaN,
// infinities must match exactly). It returns the largest absolute error.
func compareTensors(got, want *tensors.Tensor, tol tolerance) (float64, error) {
	if got == nil {
		return 0, errors.New("missing")
	}
	if got.Kind() != want.Kind() {
		return 0, fmt.Errorf("%v, want %v", got, want)
	}
	if want.Kind() != tensors.TensorKind {
		g, w := got.Items(), want.Items()
		if len(g) != len(w) {
			return 0, fmt.Errorf("%v, want %v", got, want)
		}
		worst := 0.0
		for i := range w {
			e, err := compareTensors(g[i], w[i], tol)
			if err != nil {
				return 0, fmt.Errorf("%v item %d: %w", want.Kind(), i, err)
			}
			worst = math.Max(worst, e)
		}
		return worst, nil
	}
	if got.DType() != want.DType() {
		return 0, fmt.Errorf("element type %v, want %v", got.DType(), want.DType())
	}
	if !tensors.SameShape(got.Shape(), want.Shape()) {
		return 0, fmt.Errorf("shape %v, want %v", tensors.FormatShape(got.Shape()), tensors.FormatShape(want.Shape()))
	}
	if tol.random {
		return 0, checkRandomRange(got, want)
	}
	if got.DType() == tensors.String {
		g, w := tensors.Data[string](got), tensors.Data[string](want)
		for i := range w {
			if g[i] != w[i] {
				return 0, fmt.Errorf("element %d is %q, want %q", i, g[i], w[i])
			}
		}
		return 0, nil
	}
	g, err := tensors.AsFloat64s(got)
	if err != nil {
		return 0, err
	}
	w, err := tensors.AsFloat64s(want)
	if err != nil {
		return 0, err
	}
	worst, bad, badAt := 0.0, 0, -1
	for i := range w {
		a, e := g[i], w[i]
		if math.IsNaN(e) || math.IsInf(e, 0) || math.IsNaN(a) || math.IsInf(a, 0) {
			if !(a == e || (math.IsNaN(a) && math.IsNaN(e))) {
				bad++
				if badAt < 0 {
					badAt = i
				}
			}
			continue
		}
		d := math.Abs(a - e)
		worst = math.Max(worst, d)
		if d > tol.atol+tol.rtol*math.Abs(e) {
			bad++
			if badAt < 0 {
				badAt = i
			}
		}
	}
	if bad > 0 {
		return worst, fmt.Errorf("%d of %d elements differ (first at %d: got %g, want %g); max abs error %.3g (rtol %g, atol %g)",
			bad, len(w), badAt, g[badAt], w[badAt], worst, tol.rtol, tol.atol)
	}
	return worst, nil
}

// describeOps lists the operators a model uses (including in subgraphs)
// and reports whether all of them are implemented at the model's opsets.
// checkRandomRange checks an output drawn at random against the reference
// draw: finite values, and within [0, 1] when the reference is (Bernoulli,
// default RandomUniform).
func checkRandomRange(got, want *tensors.Tensor) error {
	g, err := tensors.AsFloat64s(got)
	if err != nil {
		return nil // not numeric: type and shape were checked
	}
	w, _ := tensors.AsFloat64s(want)
	unit := !slices.ContainsFunc(w, func(v float64) bool { return !(v >= 0 && v <= 1) })
	for i, v := range g {
		if math.IsNaN(v) || math.IsInf(v, 0) || (unit && !(v >= 0 && v <= 1)) {
			return fmt.Errorf("random value %g at %d is out of range", v, i)
		}
	}
	return nil
}

func describeOps(mp *onnxpb.ModelProto) (string, bool) {
	var names []string
	supported := true
	for _, u := range OpsUsed(mp) {
		name := u.Type
		if u.Domain != "" {
			name = u.Domain + "." + name
		}
		names = append(names, name)
		if u.Err != nil {
			supported = false
		}
	}
	return strings.Join(names, " "), supported
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func writeConformanceReport(path string, results []confResult, counts map[string]int) error {
	var b strings.Builder
	b.WriteString("# ONNX backend test conformance\n\n")
	b.WriteString("Generated by `UPDATE_CONFORMANCE=1 go test ./onnx -run TestConformance`; do not edit.\n")
	fmt.Fprintf(&b, "Tests: the %s suites of Debian's libonnx-testdata (%s). ", strings.Join(conformanceSuites, ", "), conformanceRoot)
	fmt.Fprintf(&b, "Outputs are compared with rtol %g, atol %g unless conformance_waivers_test.go says otherwise.\n\n", defaultRtol, defaultAtol)
	b.WriteString("A test is *unsupported* when onnxkit reports (at load or run time) an operator, operator version, element type or feature it does not implement; ")
	b.WriteString("the Go test fails on any crash, on any test whose operators are all implemented but that does not pass (unless waived), and on any test that passed in this report but no longer does.\n\n")
	b.WriteString("## Summary\n\n| status | count |\n| --- | --- |\n")
	for _, s := range []string{statusPass, statusFail, statusCrash, statusUnsupported} {
		fmt.Fprintf(&b, "| %s | %d |\n", s, counts[s])
	}
	fmt.Fprintf(&b, "| total | %d |\n\n", len(results))
	b.WriteString("## Results\n\n| test | ops | status | detail |\n| --- | --- | --- | --- |\n")
	for _, r := range results {
		detail := r.detail
		if w, ok := conformanceWaivers[r.test]; ok && r.status != statusPass {
			detail = "waived (" + w + "): " + detail
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.test, mdCell(r.ops), r.status, mdCell(detail))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// readConformanceReport returns the status of each test in a report.
func readConformanceReport(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	inResults := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## Results") {
			inResults = true
			continue
		}
		if !inResults || !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.SplitN(line, " | ", 4)
		if len(cells) < 4 || cells[0] == "| test" || strings.HasPrefix(cells[0], "| ---") {
			continue
		}
		out[strings.TrimPrefix(cells[0], "| ")] = cells[2]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no results table", path)
	}
	return out, nil
}
