package main

import (
	"strconv"
	"strings"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

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
	if t.Kind != tensors.TensorKind {
		elem := "?"
		if t.Elem != nil {
			elem = formatType(*t.Elem)
		}
		return t.Kind.String() + "<" + elem + ">"
	}
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
	if t.Kind != tensors.TensorKind {
		return formatType(t)
	}
	if !t.RankKnown {
		return "?"
	}
	parts := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		parts[i] = d.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// protoType converts a declared type for display; what onnxkit cannot
// hold (maps, sparse tensors) is unknown.
func protoType(tp *onnxpb.TypeProto) tensors.Type {
	t, err := tensors.TypeFromProto(tp)
	if err != nil {
		return tensors.Type{}
	}
	return t
}

// mergeType completes an inferred type with what the file declares: the
// element type, the rank, and dimensions inference left unknown (a
// symbolic name such as "batch_size" reads better than '?').
func mergeType(inferred, decl tensors.Type) tensors.Type {
	switch {
	case inferred.Kind != tensors.TensorKind:
		if inferred.Elem != nil && decl.Kind == inferred.Kind && decl.Elem != nil {
			elem := mergeType(*inferred.Elem, *decl.Elem)
			inferred.Elem = &elem
		}
		return inferred
	case decl.Kind != tensors.TensorKind:
		if inferred.Unknown() {
			return decl
		}
		return inferred
	}
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
