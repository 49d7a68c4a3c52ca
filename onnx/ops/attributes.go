package ops

import (
	"fmt"
	"slices"
	"sort"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Attrs gives typed access to a node's attributes during Prepare.
//
// Getters take the attribute name and the default used when the node does
// not set it. Errors are sticky: the first problem (wrong attribute type,
// missing required attribute, bad value) is kept, later getters return
// their default, and Err reports it, so Prepare reads everything and checks
// once:
//
//	a := n.Attrs
//	axis := a.Int("axis", -1)
//	perm := a.Ints("perm", nil)
//	mode := a.Enum("mode", "constant", "constant", "reflect", "edge")
//	if err := a.Err(); err != nil {
//		return nil, err
//	}
//
// Every attribute the node sets must be read by a getter or waved through
// with Ignore; after Prepare the runtime rejects nodes with attributes the
// implementation never looked at, so an unimplemented attribute cannot be
// silently dropped.
type Attrs struct {
	byName map[string]*onnxpb.AttributeProto
	used   map[string]bool
	err    error
	decode func(*onnxpb.TensorProto) (*tensors.Tensor, error)
}

// NewAttrs indexes a node's attribute list. decode converts TENSOR
// attributes (nil means FromProto, which refuses external data). It fails
// on unnamed, duplicated or function-reference attributes.
func NewAttrs(list []*onnxpb.AttributeProto, decode func(*onnxpb.TensorProto) (*tensors.Tensor, error)) (*Attrs, error) {
	if decode == nil {
		decode = tensors.FromProto
	}
	a := &Attrs{byName: make(map[string]*onnxpb.AttributeProto, len(list)), used: map[string]bool{}, decode: decode}
	for _, p := range list {
		switch {
		case p.GetName() == "":
			return nil, fmt.Errorf("attribute without a name")
		case a.byName[p.GetName()] != nil:
			return nil, fmt.Errorf("attribute %q is set twice", p.GetName())
		case p.GetRefAttrName() != "":
			return nil, fmt.Errorf("attribute %q refers to function attribute %q outside a function", p.GetName(), p.GetRefAttrName())
		}
		a.byName[p.GetName()] = p
	}
	return a, nil
}

// Has reports whether the node sets the attribute. It does not count as
// reading it.
func (a *Attrs) Has(name string) bool { return a.byName[name] != nil }

// Names returns the names of the attributes the node sets, sorted.
func (a *Attrs) Names() []string {
	names := make([]string, 0, len(a.byName))
	for n := range a.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Err returns the first error met by a getter, or nil.
func (a *Attrs) Err() error { return a.err }

// Fail records an error about an attribute's value (kept only if no error
// was recorded before), e.g. a.Fail("mode", "%q is not supported: %w", m,
// ops.ErrUnsupported).
func (a *Attrs) Fail(name, format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("attribute %q: %w", name, fmt.Errorf(format, args...))
	}
}

// Ignore marks attributes as handled without reading them: legacy
// attributes with no effect (consumed_inputs) or hints that the
// implementation does not need (kernel_shape, which the weights imply).
func (a *Attrs) Ignore(names ...string) {
	for _, n := range names {
		a.used[n] = true
	}
}

// Unread returns the attributes the node sets that no getter read and
// Ignore did not mark, sorted.
func (a *Attrs) Unread() []string {
	var out []string
	for _, n := range a.Names() {
		if !a.used[n] {
			out = append(out, n)
		}
	}
	return out
}

// get returns the attribute if present and of type want, recording a type
// error otherwise.
func (a *Attrs) get(name string, want onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	p := a.byName[name]
	if p == nil {
		return nil
	}
	a.used[name] = true
	if p.GetType() != want {
		if a.err == nil {
			a.err = fmt.Errorf("attribute %q has type %v, want %v", name, p.GetType(), want)
		}
		return nil
	}
	return p
}

func (a *Attrs) missing(name string, want onnxpb.AttributeProto_AttributeType) {
	a.used[name] = true
	if a.err == nil {
		a.err = fmt.Errorf("required attribute %q (%v) is missing", name, want)
	}
}

// Int returns an INT attribute, or def if absent.
func (a *Attrs) Int(name string, def int) int {
	if p := a.get(name, onnxpb.AttributeProto_INT); p != nil {
		return int(p.GetI())
	}
	return def
}

// Bool returns an INT attribute used as a flag (0 or 1), or def if absent.
// Other values are an error.
func (a *Attrs) Bool(name string, def bool) bool {
	p := a.get(name, onnxpb.AttributeProto_INT)
	if p == nil {
		return def
	}
	switch p.GetI() {
	case 0:
		return false
	case 1:
		return true
	}
	a.Fail(name, "value %d is not 0 or 1", p.GetI())
	return def
}

// Ints returns an INTS attribute, or def if absent.
func (a *Attrs) Ints(name string, def []int) []int {
	p := a.get(name, onnxpb.AttributeProto_INTS)
	if p == nil {
		return def
	}
	out := make([]int, len(p.GetInts()))
	for i, v := range p.GetInts() {
		out[i] = int(v)
	}
	return out
}

// Float returns a FLOAT attribute, or def if absent.
func (a *Attrs) Float(name string, def float32) float32 {
	if p := a.get(name, onnxpb.AttributeProto_FLOAT); p != nil {
		return p.GetF()
	}
	return def
}

// Floats returns a FLOATS attribute, or def if absent.
func (a *Attrs) Floats(name string, def []float32) []float32 {
	if p := a.get(name, onnxpb.AttributeProto_FLOATS); p != nil {
		return slices.Clone(p.GetFloats())
	}
	return def
}

// Str returns a STRING attribute, or def if absent.
func (a *Attrs) Str(name, def string) string {
	if p := a.get(name, onnxpb.AttributeProto_STRING); p != nil {
		return string(p.GetS())
	}
	return def
}

// Enum returns a STRING attribute that must be one of allowed, or def if
// absent. Another value is an error wrapping ErrUnsupported that lists the
// allowed values.
func (a *Attrs) Enum(name, def string, allowed ...string) string {
	v := a.Str(name, def)
	if a.byName[name] != nil && !slices.Contains(allowed, v) {
		a.Fail(name, "value %q is not supported (supported: %q): %w", v, allowed, tensors.ErrUnsupported)
		return def
	}
	return v
}

// Strs returns a STRINGS attribute, or def if absent.
func (a *Attrs) Strs(name string, def []string) []string {
	p := a.get(name, onnxpb.AttributeProto_STRINGS)
	if p == nil {
		return def
	}
	out := make([]string, len(p.GetStrings()))
	for i, s := range p.GetStrings() {
		out[i] = string(s)
	}
	return out
}

// Tensor returns a TENSOR attribute decoded to a Tensor, or nil if absent
// or undecodable (the decoding error is recorded).
func (a *Attrs) Tensor(name string) *tensors.Tensor {
	p := a.get(name, onnxpb.AttributeProto_TENSOR)
	if p == nil {
		return nil
	}
	if p.GetT() == nil {
		a.Fail(name, "TENSOR attribute without a tensor")
		return nil
	}
	t, err := a.decode(p.GetT())
	if err != nil {
		a.Fail(name, "%w", err)
		return nil
	}
	return t
}

// Graph returns a GRAPH attribute (a subgraph of If, Loop, Scan), or nil if
// absent.
func (a *Attrs) Graph(name string) *onnxpb.GraphProto {
	if p := a.get(name, onnxpb.AttributeProto_GRAPH); p != nil {
		return p.GetG()
	}
	return nil
}

// Proto returns the raw attribute, or nil if absent, and marks it read.
// Use it for attribute types without a typed getter (SPARSE_TENSOR,
// TYPE_PROTO, GRAPHS, ...).
func (a *Attrs) Proto(name string) *onnxpb.AttributeProto {
	p := a.byName[name]
	if p != nil {
		a.used[name] = true
	}
	return p
}

// RequiredInt returns an INT attribute that the node must set.
func (a *Attrs) RequiredInt(name string) int {
	if !a.Has(name) {
		a.missing(name, onnxpb.AttributeProto_INT)
	}
	return a.Int(name, 0)
}

// RequiredInts returns an INTS attribute that the node must set.
func (a *Attrs) RequiredInts(name string) []int {
	if !a.Has(name) {
		a.missing(name, onnxpb.AttributeProto_INTS)
	}
	return a.Ints(name, nil)
}

// RequiredFloat returns a FLOAT attribute that the node must set.
func (a *Attrs) RequiredFloat(name string) float32 {
	if !a.Has(name) {
		a.missing(name, onnxpb.AttributeProto_FLOAT)
	}
	return a.Float(name, 0)
}

// RequiredStr returns a STRING attribute that the node must set.
func (a *Attrs) RequiredStr(name string) string {
	if !a.Has(name) {
		a.missing(name, onnxpb.AttributeProto_STRING)
	}
	return a.Str(name, "")
}

// RequiredTensor returns a TENSOR attribute that the node must set.
func (a *Attrs) RequiredTensor(name string) *tensors.Tensor {
	if !a.Has(name) {
		a.missing(name, onnxpb.AttributeProto_TENSOR)
	}
	return a.Tensor(name)
}

// RequiredGraph returns a GRAPH attribute that the node must set.
func (a *Attrs) RequiredGraph(name string) *onnxpb.GraphProto {
	if !a.Has(name) {
		a.missing(name, onnxpb.AttributeProto_GRAPH)
	}
	return a.Graph(name)
}
