package onnx

import (
	"fmt"
	"sync"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Model is a validated ONNX model ready to run. It is immutable: Run may be
// called from many goroutines at once, and runs never affect each other.
type Model struct {
	name   string // file path or caller-given name, for messages
	dir    string // folder that external data must stay inside; "" if none
	proto  *onnxpb.ModelProto
	opsets map[string]int
	g      *graph
	limit  int64 // memory limit in bytes (see LoadOptions)

	sessions sync.Pool // of *Session, for Run
}

// ValueInfo describes a graph input or output.
type ValueInfo struct {
	Name string
	// Type is the declared type (element type and shape, possibly with
	// symbolic or unknown dimensions), refined by static inference for
	// outputs.
	Type tensors.Type
	// HasDefault marks a graph input backed by an initializer: Run uses
	// the initializer unless the caller passes the input.
	HasDefault bool
}

// Name returns the path or name the model was loaded from.
func (m *Model) Name() string { return m.name }

// Proto returns the model as decoded. It is shared with the Model: treat it
// as read-only (clone it with proto.Clone to derive a new model, then
// FromProto).
func (m *Model) Proto() *onnxpb.ModelProto { return m.proto }

// Opset returns the model's version of an operator set domain ("" or
// "ai.onnx" for the default one), or 0 if it does not import it.
func (m *Model) Opset(domain string) int { return m.opsets[ops.NormalizeDomain(domain)] }

// Inputs describes the graph inputs in order, including those with a
// default (initializer) value.
func (m *Model) Inputs() []ValueInfo { return append([]ValueInfo{}, m.g.inputs...) }

// Outputs describes the graph outputs in order.
func (m *Model) Outputs() []ValueInfo { return append([]ValueInfo{}, m.g.outputs...) }

// ValueType returns the static type of any named value of the graph (input,
// initializer or node output) as far as inference knows it, falling back
// on the model's value_info declaration, and whether the name exists.
func (m *Model) ValueType(name string) (tensors.Type, bool) {
	s, ok := m.g.slots[name]
	if !ok {
		return tensors.Type{}, false
	}
	t := m.g.types[s]
	if d, ok := m.g.declared[name]; ok && t.DType == tensors.Undefined && !t.RankKnown {
		t = d
	}
	return t, true
}

// Constant returns the load-time value of a named value of the main graph:
// an initializer that is not an overridable input, or the output of a node
// whose inputs are all constants, which the loader evaluated once. The
// tensor is shared with the model: treat it as read-only. The result is
// false for values computed by runs.
func (m *Model) Constant(name string) (*tensors.Tensor, bool) {
	s, ok := m.g.slots[name]
	if !ok || m.g.consts[s] == nil {
		return nil, false
	}
	return m.g.consts[s], true
}

// Initializer returns the value of the named initializer (external data
// resolved), or an error naming the tensor when there is none.
func (m *Model) Initializer(name string) (*tensors.Tensor, error) {
	for _, tp := range m.proto.GetGraph().GetInitializer() {
		if tp.GetName() == name {
			t, err := m.decodeTensor(tp)
			if err != nil {
				return nil, fmt.Errorf("onnx: %s: initializer %q: %w", m.name, name, err)
			}
			return t, nil
		}
	}
	return nil, fmt.Errorf("onnx: %s: no initializer %q", m.name, name)
}

// MemoryLimit returns the model's memory limit in bytes (see LoadOptions);
// math.MaxInt64 means none.
func (m *Model) MemoryLimit() int64 { return m.limit }
