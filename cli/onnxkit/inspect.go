package main

import (
	"errors"
	"fmt"
	"io"
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
(inferred statically where possible, '?' otherwise) and the parameters it reads;
the total parameter count (elements of floating-point initializers); and the
operators onnxkit does not implement.

A model that onnxkit cannot load is still summarized as far as the file allows,
with every unsupported operator listed; the command then exits with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.OutOrStdout(), args[0])
		},
	}
}

// readModelProto decodes an ONNX file without validating it, reading at
// most the memory limit (--memory-limit).
func readModelProto(path string) (*onnxpb.ModelProto, error) {
	mp, err := loadOptions.ReadProto(path)
	switch {
	case errors.Is(err, onnx.ErrInvalidModel):
		_, why, _ := strings.Cut(err.Error(), "not an ONNX model: ")
		return nil, fmt.Errorf("%s is not an ONNX model, or is truncated or damaged (protobuf decoding failed: %s)", path, why)
	case err != nil:
		return nil, err
	}
	if mp.GetGraph() == nil && mp.GetIrVersion() == 0 {
		return nil, fmt.Errorf("%s is not an ONNX model (it holds no graph and no IR version)", path)
	}
	return mp, nil
}

// loadModel loads an ONNX file for running, telling files that are not
// ONNX at all from models that are invalid or unsupported.
func loadModel(path string) (*onnx.Model, error) {
	if _, err := readModelProto(path); err != nil {
		return nil, err
	}
	return loadOptions.Load(path)
}

func runInspect(w io.Writer, path string) error {
	mp, err := readModelProto(path)
	if err != nil {
		return err
	}
	m, loadErr := loadOptions.Load(path)
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
	// reads it.
	type row struct{ node, shape, params string }
	rows := []row{}
	counted := map[string]bool{}
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
		var params int64
		for _, in := range n.GetInput() {
			if t, ok := inits[in]; ok && !counted[in] && isFloat(t.GetDataType()) {
				counted[in] = true
				params = satAdd(params, elements(t))
			}
		}
		rows = append(rows, row{label, strings.Join(shapes, ", "), thousands(params)})
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
		fmt.Fprintf(w, " %-*s  %-*s  %s\n", w1, r.node, w2, r.shape, r.params)
	}
	fmt.Fprintln(w, strings.Repeat("=", len(rule)))
	var total int64
	for _, t := range g.GetInitializer() {
		if isFloat(t.GetDataType()) {
			total = satAdd(total, elements(t))
		}
	}
	fmt.Fprintf(w, "Total params: %s\n", thousands(total))
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

func unsupportedNames(used []onnx.OpUse) []string {
	var s []string
	for _, u := range used {
		if u.Err != nil {
			s = append(s, qualifiedOp(u.Domain, u.Type))
		}
	}
	return s
}

// qualifiedOp names an operator, with its domain unless it is ai.onnx.
func qualifiedOp(domain, typ string) string {
	if ops.NormalizeDomain(domain) == "" {
		return typ
	}
	return domain + "." + typ
}

func opLabel(n *onnxpb.NodeProto) string { return qualifiedOp(n.GetDomain(), n.GetOpType()) }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " ..."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formatType renders a static type as "float32 (N, 28, 28, 1)".
func formatType(t tensors.Type) string {
	dt := "?"
	if t.DType != tensors.Undefined {
		dt = t.DType.String()
	}
	return dt + " " + formatDims(t)
}

// formatDims renders a static shape as "(N, 28, 28, 1)", with symbolic
// dimensions by name and unknown ones as '?'; "()" is a scalar and "?" a
// value of unknown rank.
func formatDims(t tensors.Type) string {
	if !t.RankKnown {
		return "?"
	}
	parts := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		parts[i] = d.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// protoType converts a declared type for display; anything that is not a
// tensor type is unknown.
func protoType(tp *onnxpb.TypeProto) tensors.Type {
	tt := tp.GetTensorType()
	if tt == nil {
		return tensors.Type{}
	}
	t := tensors.Type{DType: tensors.DType(tt.GetElemType())}
	if sh := tt.GetShape(); sh != nil {
		t.RankKnown = true
		for _, d := range sh.GetDim() {
			switch v := d.GetValue().(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				t.Dims = append(t.Dims, tensors.Dim{Size: int(v.DimValue)})
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				t.Dims = append(t.Dims, tensors.Dim{Size: -1, Param: v.DimParam})
			default:
				t.Dims = append(t.Dims, tensors.UnknownDim)
			}
		}
	}
	return t
}

// mergeType completes an inferred type with what the file declares: the
// element type, the rank, and dimensions inference left unknown (a
// symbolic name such as "batch_size" reads better than '?').
func mergeType(inferred, decl tensors.Type) tensors.Type {
	if inferred.DType == tensors.Undefined {
		inferred.DType = decl.DType
	}
	if !inferred.RankKnown {
		return tensors.Type{DType: inferred.DType, RankKnown: decl.RankKnown, Dims: decl.Dims}
	}
	if !decl.RankKnown || len(decl.Dims) != len(inferred.Dims) {
		return inferred
	}
	dims := append([]tensors.Dim{}, inferred.Dims...)
	for i, d := range dims {
		if !d.Known() && d.Param == "" {
			dims[i] = decl.Dims[i]
		}
	}
	inferred.Dims = dims
	return inferred
}

func tensorProtoType(tp *onnxpb.TensorProto) tensors.Type {
	t := tensors.Type{DType: tensors.DType(tp.GetDataType()), RankKnown: true}
	for _, d := range tp.GetDims() {
		t.Dims = append(t.Dims, tensors.Dim{Size: int(d)})
	}
	return t
}

// isFloat reports whether an initializer of this element type is a
// trainable-looking parameter (any floating-point type).
func isFloat(dt int32) bool {
	switch tensors.DType(dt) {
	case tensors.Float32, tensors.Float64, tensors.Float16, tensors.BFloat16:
		return true
	}
	return dt >= 17 && dt <= 20 // float8 variants
}

// elements is the element count of an initializer's declared shape,
// saturating rather than overflowing on absurd shapes.
func elements(tp *onnxpb.TensorProto) int64 {
	n := int64(1)
	for _, d := range tp.GetDims() {
		if d <= 0 {
			return 0
		}
		if n > (1<<62)/d {
			return 1 << 62
		}
		n *= d
	}
	return n
}

func satAdd(a, b int64) int64 {
	if a > (1<<62)-b {
		return 1 << 62
	}
	return a + b
}

// thousands formats n with comma separators, as Keras's summary does.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
