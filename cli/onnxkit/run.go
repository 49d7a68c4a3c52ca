package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

type runFlags struct {
	inputs, outputs []string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run MODEL --input [NAME=]FILE ... [--output [NAME=]FILE ...]",
		Short: "Run an ONNX model on tensors read from .npy or .pb files",
		Long: `Run an ONNX model in onnxkit on input tensors read from files, print a line per
output (name, shape, element type, min/max/mean, and the argmax of each row for
[N,K] outputs) and optionally save outputs to files.

Tensor files are NumPy .npy arrays (C order) or serialized ONNX TensorProto .pb
files, chosen by extension. Inputs and outputs the model declares as sequences
or optional values are ONNX SequenceProto / OptionalProto .pb files (the layout
of ONNX's own test data). NAME may be omitted when the model has a single
input (for --input) or a single output (for --output). --output NAME=FILE may
name any value of the graph, intermediate ones included; --output NAME without
a file prints that value without saving it. Without --output every graph
output is printed.

Inputs must match the model's element type and shape; no conversion is done.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.OutOrStdout(), args[0], f)
		},
	}
	cmd.Flags().StringArrayVarP(&f.inputs, "input", "i", nil, "input tensor as [NAME=]FILE (.npy or .pb); repeat for several inputs")
	cmd.Flags().StringArrayVarP(&f.outputs, "output", "o", nil, "value to print and save as [NAME=]FILE (.npy or .pb), or NAME to print only; repeat for several")
	return cmd
}

// binding is one --input or --output argument.
type binding struct {
	arg, name, file string
}

// parseBinding splits [NAME=]FILE. A value with no '=' is a file when it
// has a tensor file extension, and otherwise a name (only when nameOnly).
func parseBinding(flag, arg string, nameOnly bool) (binding, error) {
	b := binding{arg: arg}
	if i := strings.IndexByte(arg, '='); i >= 0 {
		b.name, b.file = arg[:i], arg[i+1:]
		if b.name == "" {
			return b, usageError{fmt.Errorf("--%s %q: empty name before '='", flag, arg)}
		}
		if b.file == "" {
			return b, usageError{fmt.Errorf("--%s %q: empty file after '='", flag, arg)}
		}
	} else if isTensorFile(arg) {
		b.file = arg
	} else if nameOnly && arg != "" {
		b.name = arg
	} else {
		return b, usageError{fmt.Errorf("--%s %q: want [NAME=]FILE with FILE ending in .npy or .pb", flag, arg)}
	}
	if b.file != "" && !isTensorFile(b.file) {
		return b, usageError{fmt.Errorf("--%s %q: file %s: want a .npy or .pb file", flag, arg, b.file)}
	}
	return b, nil
}

func isTensorFile(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == onnx.NPYExt || ext == onnx.PBExt
}

// realInputs returns the graph inputs a caller must feed (those without an
// initializer default).
func realInputs(m *onnx.Model) []onnx.ValueInfo {
	var in []onnx.ValueInfo
	for _, v := range m.Inputs() {
		if !v.HasDefault {
			in = append(in, v)
		}
	}
	return in
}

func valueNames(vs []onnx.ValueInfo) string {
	if len(vs) == 0 {
		return "none"
	}
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("%s %s", v.Name, formatType(v.Type))
	}
	return strings.Join(s, "; ")
}

func runRun(w io.Writer, path string, f runFlags) error {
	var ins, outs []binding
	for _, a := range f.inputs {
		b, err := parseBinding("input", a, false)
		if err != nil {
			return err
		}
		ins = append(ins, b)
	}
	for _, a := range f.outputs {
		b, err := parseBinding("output", a, true)
		if err != nil {
			return err
		}
		outs = append(outs, b)
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	feeds, err := readFeeds(m, ins)
	if err != nil {
		return err
	}

	var fetch []string
	if len(outs) == 0 {
		for _, o := range m.Outputs() {
			fetch = append(fetch, o.Name)
		}
	}
	for i, b := range outs {
		if b.name == "" {
			if len(m.Outputs()) != 1 {
				return usageError{fmt.Errorf("--output %s: the model has %d outputs, name one as NAME=FILE (outputs: %s)", b.arg, len(m.Outputs()), valueNames(m.Outputs()))}
			}
			outs[i].name = m.Outputs()[0].Name
		}
		if _, ok := m.ValueType(outs[i].name); !ok {
			return fmt.Errorf("--output %s: the model has no value %q (outputs: %s)", b.arg, outs[i].name, valueNames(m.Outputs()))
		}
		fetch = append(fetch, outs[i].name)
	}

	res, err := m.RunTensorsContext(runCtx, feeds, fetch...)
	if err != nil {
		if errors.Is(err, onnx.ErrBadInput) && strings.Contains(err.Error(), "element type") {
			return fmt.Errorf("%w (onnxkit does not convert element types: save the array with the model's type, e.g. numpy .astype)", err)
		}
		return err
	}
	files := map[string][]string{}
	for _, b := range outs {
		if b.file != "" {
			files[b.name] = append(files[b.name], b.file)
		}
	}
	printed := map[string]bool{}
	for _, name := range fetch {
		if printed[name] {
			continue
		}
		printed[name] = true
		t := res[name]
		fmt.Fprintln(w, describeTensor(name, t))
		for _, file := range files[name] {
			if err := onnx.WriteTensorFile(file, name, t); err != nil {
				return fmt.Errorf("output %q: %w", name, err)
			}
			fmt.Fprintf(w, "  saved to %s\n", file)
		}
	}
	return nil
}

// describeTensor summarizes a value on one line: name, shape, element
// type, min/max/mean of numeric values, and the argmax of each row of a
// floating-point [N,K] value.
func describeTensor(name string, t *tensors.Tensor) string {
	var b strings.Builder
	switch t.Kind() {
	case tensors.SequenceKind:
		items := t.Items()
		fmt.Fprintf(&b, "%s: sequence of %d %v tensors", name, len(items), t.ElemType().DType)
		for i, e := range items {
			b.WriteString("\n")
			b.WriteString(describeTensor(fmt.Sprintf("  [%d]", i), e))
		}
		return b.String()
	case tensors.OptionalKind:
		if len(t.Items()) == 0 {
			return fmt.Sprintf("%s: optional %v, empty", name, t.ElemType())
		}
		return describeTensor(name+" (optional, present)", t.Items()[0])
	}
	dims := make([]string, t.Rank())
	for i, d := range t.Shape() {
		dims[i] = fmt.Sprint(d)
	}
	fmt.Fprintf(&b, "%s: shape (%s) %s", name, strings.Join(dims, ", "), t.DType())
	if t.Len() == 0 {
		b.WriteString(" (no elements)")
		return b.String()
	}
	if !t.DType().IsNumeric() && t.DType() != tensors.Bool {
		return b.String()
	}
	v, err := tensors.AsFloat64s(t)
	if err != nil {
		return b.String()
	}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	nan := 0
	for _, x := range v {
		if math.IsNaN(x) {
			nan++
			continue
		}
		lo, hi, sum = min(lo, x), max(hi, x), sum+x
	}
	if nan < len(v) {
		fmt.Fprintf(&b, " min %.6g max %.6g mean %.6g", lo, hi, sum/float64(len(v)-nan))
	}
	if nan > 0 {
		fmt.Fprintf(&b, " (%d NaN)", nan)
	}
	if t.Rank() == 2 && t.DType().IsFloat() && t.Shape()[1] > 1 {
		rows, k := t.Shape()[0], t.Shape()[1]
		const show = 32
		arg := make([]string, 0, min(rows, show))
		for r := 0; r < rows && r < show; r++ {
			arg = append(arg, fmt.Sprint(argmax64(v[r*k:(r+1)*k])))
		}
		more := ""
		if rows > show {
			more = fmt.Sprintf(" ... (%d rows)", rows)
		}
		fmt.Fprintf(&b, " argmax [%s%s]", strings.Join(arg, " "), more)
	}
	return b.String()
}

func argmax64(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] || (math.IsNaN(v[best]) && !math.IsNaN(x)) {
			best = i
		}
	}
	return best
}

// readFeeds reads the --input files of a model: a binding without a name
// goes to the model's only input; every input without a default must be
// given.
func readFeeds(m *onnx.Model, ins []binding) (map[string]*tensors.Tensor, error) {
	need := realInputs(m)
	all := m.Inputs()
	isInput := map[string]bool{}
	declared := map[string]tensors.Type{}
	for _, v := range all {
		isInput[v.Name] = true
		declared[v.Name] = v.Type
	}
	feeds := map[string]*tensors.Tensor{}
	for _, b := range ins {
		if b.name == "" {
			if len(need) != 1 {
				return nil, usageError{fmt.Errorf("--input %s: the model has %d inputs to feed, name one as NAME=FILE (inputs: %s)", b.arg, len(need), valueNames(need))}
			}
			b.name = need[0].Name
		}
		if !isInput[b.name] {
			return nil, fmt.Errorf("--input %s: the model has no input %q (inputs: %s)", b.arg, b.name, valueNames(need))
		}
		if _, dup := feeds[b.name]; dup {
			return nil, usageError{fmt.Errorf("--input %s: input %q given twice", b.arg, b.name)}
		}
		// Sequence- and optional-typed inputs are read as SequenceProto
		// and OptionalProto .pb files.
		t, err := onnx.ReadValueFile(b.file, declared[b.name])
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", b.name, err)
		}
		feeds[b.name] = t
	}
	for _, v := range need {
		if feeds[v.Name] == nil {
			return nil, fmt.Errorf("missing input %q (%s): give it with --input %s=FILE", v.Name, formatType(v.Type), v.Name)
		}
	}
	return feeds, nil
}
