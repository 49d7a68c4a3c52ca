package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

type verifyFlags struct {
	inputs, expected []string
	atol, rtol       float64
	against          string
	data             string
	limit, batch     int
	scale            int
	layout           string
}

// errMismatch marks a verification that ran but found differences
// (exit status 1, after the report is printed).
var errMismatch = fmt.Errorf("outputs differ beyond tolerance")

func newVerifyCmd() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify MODEL [DIR]",
		Short: "Check a model's outputs against expected tensors or against onnxruntime",
		Long: `Run MODEL on inputs and compare its outputs with references, output by output:
the largest absolute and relative difference, how many elements are outside
|got - want| <= atol + rtol*|want|, and for [N, K] class outputs how many rows have the
same argmax. Exit status 0 when every element is within tolerance, 1 when not, 2 on error.

References come from one of:
  --expected [NAME=]FILE     tensors saved next to the inputs (.npy or .pb), e.g. the
                             outputs of Keras's model.predict saved with np.save
  DIR                        an ONNX test folder: test_data_set_*/input_*.pb and
                             output_*.pb (DIR may be one test_data_set_* folder)
  --against onnxruntime      onnxruntime run in-process on the same inputs (library
                             from --ort-lib, $ONNXRUNTIME_LIB, .peers/ort or npm -g); with
                             no --input, MNIST test images in the model's input layout`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 2 {
				dir = args[1]
			}
			return runVerify(cmd.OutOrStdout(), args[0], dir, f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "input tensor as [NAME=]FILE (.npy or .pb); repeat for several inputs")
	fl.StringArrayVarP(&f.expected, "expected", "e", nil, "expected output as [NAME=]FILE (.npy or .pb); NAME may be any intermediate value")
	fl.Float64Var(&f.atol, "atol", 1e-5, "absolute tolerance")
	fl.Float64Var(&f.rtol, "rtol", 1e-4, "relative tolerance")
	fl.StringVar(&f.against, "against", "", "compare with a peer runtime instead of expected files: onnxruntime")
	fl.StringVar(&f.data, "data", "", "with --against and no --input: MNIST-format IDX directory (default: embedded MNIST)")
	fl.IntVar(&f.limit, "limit", 1000, "with --against and no --input: number of MNIST test images (0 = all)")
	fl.IntVar(&f.batch, "batch", 100, "with --against and no --input: images per run")
	fl.IntVar(&f.scale, "scale", 1, "with --against and no --input: 1 feeds pixels in [0,1], 255 raw pixels")
	fl.StringVar(&f.layout, "layout", layoutAuto, "with --against and no --input: auto, nchw, nhwc, flat or nhw")
	return cmd
}

// check is one output compared with its reference.
type check struct {
	name string
	diff onnx.Diff
}

func runVerify(w io.Writer, path, dir string, f verifyFlags) error {
	if f.atol < 0 || f.rtol < 0 {
		return usageError{fmt.Errorf("--atol %g and --rtol %g must not be negative", f.atol, f.rtol)}
	}
	switch {
	case f.against != "" && f.against != "onnxruntime":
		return usageError{fmt.Errorf("--against %q: want onnxruntime", f.against)}
	case f.against != "" && (len(f.expected) > 0 || dir != ""):
		return usageError{fmt.Errorf("--against compares with onnxruntime; drop --expected and DIR")}
	case f.against == "" && dir == "" && len(f.expected) == 0:
		return usageError{fmt.Errorf("nothing to compare with: give --expected FILE, a test DIR, or --against onnxruntime")}
	case dir != "" && (len(f.inputs) > 0 || len(f.expected) > 0):
		return usageError{fmt.Errorf("a test DIR brings its own inputs and outputs; drop --input and --expected")}
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	var checks []check
	switch {
	case dir != "":
		checks, err = verifyDir(w, m, dir, f)
	case f.against != "":
		checks, err = verifyAgainstORT(w, m, path, f)
	default:
		checks, err = verifyExpected(m, f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Model: %s (tolerance atol %g, rtol %g)\n", path, f.atol, f.rtol)
	bad := 0
	for _, c := range checks {
		status := "OK"
		if !c.diff.OK() {
			status = "MISMATCH"
			bad++
		}
		fmt.Fprintf(w, "%-8s %s: %s\n", status, c.name, c.diff)
	}
	if bad > 0 {
		return fmt.Errorf("%s: %d of %d outputs: %w (atol %g, rtol %g)", path, bad, len(checks), errMismatch, f.atol, f.rtol)
	}
	fmt.Fprintf(w, "All %d outputs within tolerance.\n", len(checks))
	return nil
}

// verifyExpected runs the --input files and compares with --expected.
func verifyExpected(m *onnx.Model, f verifyFlags) ([]check, error) {
	ins, err := parseBindings("input", f.inputs, false)
	if err != nil {
		return nil, err
	}
	exps, err := parseBindings("expected", f.expected, false)
	if err != nil {
		return nil, err
	}
	feeds, err := readFeeds(m, ins)
	if err != nil {
		return nil, err
	}
	want := map[string]*tensors.Tensor{}
	var names []string
	for _, b := range exps {
		if b.name == "" {
			outs := m.Outputs()
			if len(outs) != 1 {
				return nil, usageError{fmt.Errorf("--expected %s: the model has %d outputs, name one as NAME=FILE (outputs: %s)", b.arg, len(outs), valueNames(outs))}
			}
			b.name = outs[0].Name
		}
		if _, ok := m.ValueType(b.name); !ok {
			return nil, fmt.Errorf("--expected %s: the model has no value %q (outputs: %s)", b.arg, b.name, valueNames(m.Outputs()))
		}
		if want[b.name] != nil {
			return nil, usageError{fmt.Errorf("--expected %s: %q given twice", b.arg, b.name)}
		}
		t, err := onnx.ReadTensorFile(b.file)
		if err != nil {
			return nil, fmt.Errorf("expected %q: %w", b.name, err)
		}
		want[b.name] = t
		names = append(names, b.name)
	}
	return compareRun(m, feeds, names, want, f)
}

func compareRun(m *onnx.Model, feeds map[string]*tensors.Tensor, names []string, want map[string]*tensors.Tensor, f verifyFlags) ([]check, error) {
	got, err := m.RunTensorsContext(runCtx, feeds, names...)
	if err != nil {
		return nil, err
	}
	var checks []check
	for _, name := range names {
		d, err := onnx.Compare(got[name], want[name], f.atol, f.rtol)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		checks = append(checks, check{name, d})
	}
	return checks, nil
}

func parseBindings(flag string, args []string, nameOnly bool) ([]binding, error) {
	var bs []binding
	for _, a := range args {
		b, err := parseBinding(flag, a, nameOnly)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	return bs, nil
}

// verifyDir checks every test_data_set_* folder of dir (or dir itself when
// it holds input_*.pb files).
func verifyDir(w io.Writer, m *onnx.Model, dir string, f verifyFlags) ([]check, error) {
	sets, err := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		sets = []string{dir}
	}
	sort.Strings(sets)
	var all []check
	for _, set := range sets {
		feeds, want, names, err := readTestSet(m, set)
		if err != nil {
			return nil, err
		}
		checks, err := compareRun(m, feeds, names, want, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", set, err)
		}
		for _, c := range checks {
			c.name = filepath.Base(set) + "/" + c.name
			all = append(all, c)
		}
	}
	return all, nil
}

// readTestSet reads input_K.pb and output_K.pb of an ONNX test folder, in
// the order of the graph's inputs (those without defaults) and outputs.
func readTestSet(m *onnx.Model, set string) (map[string]*tensors.Tensor, map[string]*tensors.Tensor, []string, error) {
	read := func(prefix string, vals []onnx.ValueInfo) (map[string]*tensors.Tensor, []string, error) {
		files, err := filepath.Glob(filepath.Join(set, prefix+"_*.pb"))
		if err != nil {
			return nil, nil, err
		}
		if len(files) != len(vals) {
			return nil, nil, fmt.Errorf("%s: %d %s_*.pb files for %d model %ss (%s)", set, len(files), prefix, len(vals), prefix, valueNames(vals))
		}
		out := map[string]*tensors.Tensor{}
		var names []string
		for i, v := range vals {
			p := filepath.Join(set, fmt.Sprintf("%s_%d.pb", prefix, i))
			if _, err := os.Stat(p); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", set, err)
			}
			t, err := onnx.ReadTensorFile(p)
			if err != nil {
				return nil, nil, err
			}
			out[v.Name] = t
			names = append(names, v.Name)
		}
		return out, names, nil
	}
	feeds, _, err := read("input", realInputs(m))
	if err != nil {
		return nil, nil, nil, err
	}
	want, names, err := read("output", m.Outputs())
	if err != nil {
		return nil, nil, nil, err
	}
	return feeds, want, names, nil
}

// verifyAgainstORT runs the same inputs through onnxkit and onnxruntime.
func verifyAgainstORT(w io.Writer, m *onnx.Model, path string, f verifyFlags) ([]check, error) {
	ver, err := ort.Version()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range m.Outputs() {
		names = append(names, o.Name)
	}
	sess, err := ort.Open(path, names)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	diffs := make([]onnx.Diff, len(names))
	runBoth := func(feeds map[string]*tensors.Tensor) error {
		got, err := m.RunTensorsContext(runCtx, feeds, names...)
		if err != nil {
			return err
		}
		dense := map[string]*tensor.Dense{}
		for k, v := range feeds {
			if dense[k], err = onnx.ToDense(v); err != nil {
				return fmt.Errorf("input %q: %w", k, err)
			}
		}
		ref, err := sess.Run(dense)
		if err != nil {
			return err
		}
		for i, name := range names {
			r, err := onnx.FromDense(ref[name])
			if err != nil {
				return fmt.Errorf("onnxruntime output %q: %w", name, err)
			}
			d, err := onnx.Compare(got[name], r, f.atol, f.rtol)
			if err != nil {
				return fmt.Errorf("output %q: %w", name, err)
			}
			diffs[i].Merge(d)
		}
		return nil
	}
	if len(f.inputs) > 0 {
		ins, err := parseBindings("input", f.inputs, false)
		if err != nil {
			return nil, err
		}
		feeds, err := readFeeds(m, ins)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "Against onnxruntime %s on %s\n", ver, strings.Join(f.inputs, ", "))
		if err := runBoth(feeds); err != nil {
			return nil, err
		}
	} else {
		layout, err := checkFeedFlags(f.limit, f.batch, f.scale, f.layout)
		if err != nil {
			return nil, err
		}
		feed, err := newMNISTFeed(m, path, layout, "", f.scale, f.batch)
		if err != nil {
			return nil, err
		}
		test, err := loadTestImages(f.data, f.limit)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "Against onnxruntime %s on %d MNIST test images (input %s)\n", ver, test.N, feed.describe())
		err = feed.each(test, func(_, _, _ int, x *tensors.Tensor) error {
			return runBoth(map[string]*tensors.Tensor{feed.in.Name: x})
		})
		if err != nil {
			return nil, err
		}
	}
	checks := make([]check, len(names))
	for i, n := range names {
		checks[i] = check{n, diffs[i]}
	}
	return checks, nil
}
