package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
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

// Load reads, validates and compiles an .onnx file. External tensor data
// is read from files inside the model's folder.
//
// Validation covers the graph (every node input defined, no cycle, every
// value produced once), the opset imports, every node's operator at the
// model's opset (unsupported ones are errors wrapping ErrUnsupported,
// naming the node, operator and opset), attributes and initializers
// (element counts matching the data present). Errors name the model and
// the node, input or tensor at fault.
//
// The model gets the default memory limit, DefaultMemoryLimit; use
// LoadOptions.Load to choose another.
func Load(path string) (*Model, error) { return LoadOptions{}.Load(path) }

// LoadBytes is Load for a model already in memory; name is used in
// messages. Models with external data cannot be loaded this way.
func LoadBytes(name string, b []byte) (*Model, error) { return LoadOptions{}.LoadBytes(name, b) }

// FromProto validates and compiles a model built in memory, for instance
// by an exporter. The model keeps mp: the caller must not modify it
// afterwards.
func FromProto(name string, mp *onnxpb.ModelProto) (*Model, error) {
	return LoadOptions{}.FromProto(name, mp)
}

func newModel(name, dir string, mp *onnxpb.ModelProto, limit int64) (*Model, error) {
	m := &Model{name: name, dir: dir, proto: mp, limit: limit}
	fail := func(err error) (*Model, error) {
		return nil, invalid(fmt.Errorf("onnx: load %s: %w", name, err))
	}
	if mp.GetIrVersion() < 1 {
		return fail(errors.New("ir_version is not set"))
	}
	opsets, err := readOpsets(mp)
	if err != nil {
		return fail(err)
	}
	m.opsets = opsets
	budget := &loadBudget{limit: limit}
	decode := func(tp *onnxpb.TensorProto) (*tensors.Tensor, error) { return m.decodeTensorWithin(tp, budget.left()) }
	if m.g, err = buildGraph(mp.GetGraph(), opsets, decode, budget); err != nil {
		return fail(err)
	}
	return m, nil
}

// decodeTensor converts an initializer or tensor attribute, resolving
// external data.
func (m *Model) decodeTensor(tp *onnxpb.TensorProto) (*tensors.Tensor, error) {
	return m.decodeTensorWithin(tp, m.limit)
}

// decodeTensorWithin is decodeTensor refusing external data of more than
// maxBytes before reading it.
func (m *Model) decodeTensorWithin(tp *onnxpb.TensorProto, maxBytes int64) (*tensors.Tensor, error) {
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		resolved, err := m.readExternal(tp, maxBytes)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: external data: %w", tp.GetName(), err)
		}
		tp = resolved
	}
	return tensors.FromProto(tp)
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

// Marshal encodes the model (deterministically: the same model always gives
// the same bytes).
func (m *Model) Marshal() ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.proto)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode %s: %w", m.name, err)
	}
	return b, nil
}

// Save writes the model to path atomically (see package internal/atomicfile):
// path holds either the old file or the complete new one, and a failed save
// leaves no temporary file behind. The folder must exist and be writable.
// A model with external data can only be saved into its own folder, where
// the data files are.
func (m *Model) Save(path string) error {
	dir := filepath.Dir(path)
	if hasExternalData(m.proto) {
		same, serr := sameDir(dir, m.dir)
		if serr != nil || !same {
			return fmt.Errorf("onnx: save %s: the model refers to external data files in %q; save it in that folder", path, m.dir)
		}
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	if fi, serr := os.Stat(dir); serr != nil {
		return fmt.Errorf("onnx: save %s: folder %s: %w", path, dir, serr)
	} else if !fi.IsDir() {
		return fmt.Errorf("onnx: save %s: %s is not a folder", path, dir)
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("onnx: save: %w", err)
	}
	return nil
}

func sameDir(a, b string) (bool, error) {
	if b == "" {
		return false, nil
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// hasExternalData reports whether an initializer or a tensor attribute of
// the main graph refers to external data.
func hasExternalData(mp *onnxpb.ModelProto) bool {
	for _, t := range mp.GetGraph().GetInitializer() {
		if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
			return true
		}
	}
	for _, n := range mp.GetGraph().GetNode() {
		for _, a := range n.GetAttribute() {
			if a.GetT().GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
				return true
			}
		}
	}
	return false
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
