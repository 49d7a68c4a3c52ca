package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func newInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect MODEL",
		Short: "Summarize an ONNX file: producer, opsets, inputs, outputs, nodes, parameters",
		Long: `Print a Keras-like summary of any ONNX file: producer, IR version, opset imports,
doc string, metadata; the graph inputs and outputs with element type and shape
(symbolic dimensions by name); one row per node with its operator, output shape
(inferred statically where possible, '?' otherwise) and the parameters it reads,
and under If, Loop and Scan nodes their subgraphs, indented, with each
subgraph node's operator and output names;
the total parameter count (elements of the floating-point constants that
computing nodes read: initializers, and values computed from constants only
such as weights made by ConstantOfShape); and the
operators onnxkit does not implement.

A model that onnxkit cannot load is still summarized as far as the file allows,
with every unsupported operator listed; the command then exits with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.OutOrStdout(), args[0])
		},
	}
}

func runInspect(w io.Writer, path string) error {
	mp, err := readModelProto(path)
	if err != nil {
		return err
	}
	// Defaults (initializers listed as inputs) load as constants, so that
	// the loader evaluates what they determine (weights computed by
	// ConstantOfShape in IR-3 models, say) and infers the shapes that
	// follow.
	opts := loadOptions
	opts.ConstantDefaults = true
	m, loadErr := opts.LoadProto(path, mp)
	g := mp.GetGraph()

	fmt.Fprintf(w, "Model: %s\n", path)
	producer := strings.TrimSpace(mp.GetProducerName() + " " + mp.GetProducerVersion())
	if producer == "" {
		producer = "(not recorded)"
	}
	fmt.Fprintf(w, "Producer: %s\n", producer)
	fmt.Fprintf(w, "IR version: %d\n", mp.GetIrVersion())
	var opsets []string
	for _, o := range mp.GetOpsetImport() {
		opsets = append(opsets, fmt.Sprintf("%s %d", ops.DomainName(ops.NormalizeDomain(o.GetDomain())), o.GetVersion()))
	}
	if len(opsets) == 0 {
		opsets = []string{"(none)"}
	}
	fmt.Fprintf(w, "Opsets: %s\n", strings.Join(opsets, ", "))
	if doc := firstLine(mp.GetDocString()); doc != "" {
		fmt.Fprintf(w, "Doc: %s\n", doc)
	}
	if g.GetName() != "" {
		fmt.Fprintf(w, "Graph: %s\n", g.GetName())
	}
	fmt.Fprintf(w, "Metadata: %d %s\n", len(mp.GetMetadataProps()), plural(len(mp.GetMetadataProps()), "property", "properties"))

	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = t
	}
	declared := map[string]*onnxpb.TypeProto{}
	for _, vis := range [][]*onnxpb.ValueInfoProto{g.GetInput(), g.GetOutput(), g.GetValueInfo()} {
		for _, vi := range vis {
			declared[vi.GetName()] = vi.GetType()
		}
	}
	// typeOf is the static type of a value: inferred by the loaded model,
	// or as declared in the file.
	typeOf := func(name string) tensors.Type {
		if t, ok := inits[name]; ok {
			return tensorProtoType(t)
		}
		decl := protoType(declared[name])
		if m != nil {
			if t, ok := m.ValueType(name); ok {
				return mergeType(t, decl)
			}
		}
		return decl
	}

	fmt.Fprintln(w, "Inputs:")
	defaults := 0
	for _, in := range g.GetInput() {
		if _, ok := inits[in.GetName()]; ok {
			defaults++
			continue
		}
		fmt.Fprintf(w, "  %s: %s\n", in.GetName(), formatType(typeOf(in.GetName())))
	}
	if defaults > 0 {
		fmt.Fprintf(w, "  (%d more %s backed by initializers, not shown)\n", defaults, plural(defaults, "input", "inputs"))
	}
	fmt.Fprintln(w, "Outputs:")
	for _, o := range g.GetOutput() {
		fmt.Fprintf(w, "  %s: %s\n", o.GetName(), formatType(typeOf(o.GetName())))
	}

	// One row per node. A parameter is counted at the first node that
	// reads it (see paramCounter).
	type row struct{ node, shape, params string }
	rows := []row{}
	pc := newParamCounter(m, g)
	for i, n := range g.GetNode() {
		name := n.GetName()
		if name == "" {
			name = "#" + strconv.Itoa(i)
		}
		label := fmt.Sprintf("%s (%s)", name, opLabel(n))
		var shapes []string
		for _, o := range n.GetOutput() {
			if o != "" {
				shapes = append(shapes, formatDims(typeOf(o)))
			}
		}
		rows = append(rows, row{label, strings.Join(shapes, ", "), thousands(pc.node(n))})
		for _, line := range subgraphLines(n, 1) {
			rows = append(rows, row{line, "", ""})
		}
	}
	head := row{"Node (op)", "Output shape", "Param #"}
	w1, w2 := len(head.node), len(head.shape)
	for _, r := range rows {
		w1, w2 = max(w1, len(r.node)), max(w2, len(r.shape))
	}
	rule := strings.Repeat("_", w1+w2+14)
	fmt.Fprintln(w, rule)
	fmt.Fprintf(w, " %-*s  %-*s  %s\n", w1, head.node, w2, head.shape, head.params)
	fmt.Fprintln(w, strings.Repeat("=", len(rule)))
	for _, r := range rows {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf(" %-*s  %-*s  %s", w1, r.node, w2, r.shape, r.params), " "))
	}
	fmt.Fprintln(w, strings.Repeat("=", len(rule)))
	fmt.Fprintf(w, "Total params: %s\n", thousands(pc.total()))
	fmt.Fprintf(w, "Nodes: %d\n", len(g.GetNode()))

	used := onnx.OpsUsed(mp)
	var counts, missing []string
	for _, u := range used {
		counts = append(counts, fmt.Sprintf("%s x%d", qualifiedOp(u.Domain, u.Type), u.Nodes))
		if u.Err != nil {
			missing = append(missing, fmt.Sprintf("  %s (%d %s): %v", qualifiedOp(u.Domain, u.Type), u.Nodes, plural(u.Nodes, "node", "nodes"), u.Err))
		}
	}
	fmt.Fprintf(w, "Operators: %s\n", strings.Join(counts, ", "))
	if len(missing) == 0 {
		fmt.Fprintln(w, "Unsupported operators: none")
	} else {
		fmt.Fprintf(w, "Unsupported operators (%d):\n%s\n", len(missing), strings.Join(missing, "\n"))
	}
	if loadErr != nil {
		if errors.Is(loadErr, onnx.ErrUnsupported) && len(missing) > 0 {
			return fmt.Errorf("%s cannot run in onnxkit: %d unsupported %s (%s); first error: %w",
				path, len(missing), plural(len(missing), "operator", "operators"), strings.Join(unsupportedNames(used), ", "), loadErr)
		}
		return fmt.Errorf("%s does not load: %w", path, loadErr)
	}
	return nil
}

// paramCounter counts parameters as Keras would: the elements of the
// floating-point tensors that the model's computing nodes read as
// constants, whether initializers or values the loader computed from
// constants at load time (weights made by ConstantOfShape, a transposed
// weight matrix, ...). A value computed at load time counts instead of the
// constants it was computed from, so nothing counts twice, and only if it
// derives from an initializer: values made from Constant nodes alone
// (anchor grids, scales, the 6 of a hard sigmoid) are literals of the
// graph, not parameters. Tensors that no node reads are no parameters.
// Without a loaded model, only initializers count.
type paramCounter struct {
	m        *onnx.Model // nil if the model does not load
	inits    map[string]*onnxpb.TensorProto
	fromInit map[string]bool // initializers and the constants computed from them
	counted  map[string]bool
	sum      int64
}

func newParamCounter(m *onnx.Model, g *onnxpb.GraphProto) *paramCounter {
	pc := &paramCounter{m: m, inits: map[string]*onnxpb.TensorProto{}, fromInit: map[string]bool{}, counted: map[string]bool{}}
	for _, t := range g.GetInitializer() {
		pc.inits[t.GetName()] = t
		pc.fromInit[t.GetName()] = true
	}
	// A node evaluated at load time derives from initializers through its
	// floating-point inputs (a Reshape of a Constant by an initializer
	// shape does not), or, without any, through its integer ones
	// (ConstantOfShape of an initializer shape). Files whose nodes are not
	// in topological order only lose counts here, never gain them.
	for _, n := range g.GetNode() {
		if !pc.evaluated(n) {
			continue
		}
		var floats, ints bool
		for _, in := range n.GetInput() {
			t, ok := m.Constant(in)
			if !ok || !pc.fromInit[in] {
				continue
			}
			if t.DType().IsFloat() || t.DType().IsHalf() {
				floats = true
			} else {
				ints = true
			}
		}
		hasFloat := slices.ContainsFunc(n.GetInput(), func(in string) bool {
			t, ok := m.Constant(in)
			return ok && (t.DType().IsFloat() || t.DType().IsHalf())
		})
		if floats || (ints && !hasFloat) {
			for _, o := range n.GetOutput() {
				pc.fromInit[o] = true
			}
		}
	}
	return pc
}

// evaluated tells whether the loader computed all of n's outputs at load
// time.
func (pc *paramCounter) evaluated(n *onnxpb.NodeProto) bool {
	if pc.m == nil {
		return false
	}
	some := false
	for _, o := range n.GetOutput() {
		if o == "" {
			continue
		}
		if _, ok := pc.m.Constant(o); !ok {
			return false
		}
		some = true
	}
	return some
}

// node returns the parameters first read by n.
func (pc *paramCounter) node(n *onnxpb.NodeProto) int64 {
	if pc.evaluated(n) {
		return 0
	}
	var params int64
	for _, in := range n.GetInput() {
		if in == "" || pc.counted[in] {
			continue
		}
		var count int64
		if pc.m != nil && pc.fromInit[in] {
			if t, ok := pc.m.Constant(in); ok && (t.DType().IsFloat() || t.DType().IsHalf()) {
				count = int64(t.Len())
			}
		}
		if t, ok := pc.inits[in]; ok && count == 0 && isFloat(t.GetDataType()) {
			count = elements(t)
		}
		if count > 0 {
			pc.counted[in] = true
			params = satAdd(params, count)
		}
	}
	pc.sum = satAdd(pc.sum, params)
	return params
}

// total returns the parameters of the nodes seen so far.
func (pc *paramCounter) total() int64 { return pc.sum }
