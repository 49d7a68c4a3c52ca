package onnx

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// DefaultMemoryLimit is the memory limit of models loaded without
// LoadOptions, or with LoadOptions.MemoryLimit 0: 4 GiB. It fits LeNet
// evaluated on all 10,000 MNIST test images at once with room to spare.
const DefaultMemoryLimit = 4 << 30

// LoadOptions configure how a model is loaded and run. The zero value gives
// the defaults that Load, LoadBytes and FromProto use.
//
// Memory. A model's memory limit bounds, in bytes, the tensor data it may
// make onnxkit hold:
//
//   - at load time, its initializers (external data is checked before it
//     is read) together with the values of the nodes evaluated at load
//     time because their inputs are constant;
//   - during each run, the tensors that the run's nodes compute and that
//     are alive at the same time (values are dropped as soon as no
//     remaining node needs them). The model's constants and the caller's
//     inputs are not counted, and an output that shares memory with a node
//     input (Identity, Reshape) is not counted again.
//
// Exceeding it is an error wrapping ErrMemoryLimit that names the model,
// the node or tensor and the limit. The run-time budget is checked after
// each node; a single allocation is bounded beforehand by
// tensors.MaxTensorBytes (4 GiB unless changed with tensors.SetMaxTensorBytes) and
// tensors.MaxElements, so a run holds at most the limit plus one node's
// outputs. Elements of string tensors count 16 bytes each.
type LoadOptions struct {
	// MemoryLimit is the limit in bytes: 0 means DefaultMemoryLimit, a
	// negative value means no limit beyond tensors.MaxTensorBytes per tensor.
	MemoryLimit int64
	// KeepQDQ runs the QuantizeLinear/DequantizeLinear patterns of
	// quantized models as written (float operators on dequantized
	// values) instead of as the integer operators onnxruntime turns them
	// into (see fuse_qdq.go): every float value inside the patterns can
	// then be fetched, at float speed, and results may differ from
	// onnxruntime's by a quantization step where a value lies on a
	// rounding boundary.
	KeepQDQ bool
	// ConstantDefaults treats initializers that are also listed as graph
	// inputs (overridable defaults, common in models of IR version 3) as
	// plain constants: they are no longer inputs of the loaded model, and
	// the nodes that read only constants are evaluated at load time as
	// with any other initializer. onnxkit inspect loads models this way to
	// show the shapes and parameters that such defaults determine.
	ConstantDefaults bool
}

// maxProtoBytes is the largest protobuf message: 2 GiB - 1. Bigger models
// keep their tensors in external data files.
const maxProtoBytes = 1<<31 - 1

// limit returns the effective memory limit.
func (o LoadOptions) limit() int64 {
	switch {
	case o.MemoryLimit == 0:
		return DefaultMemoryLimit
	case o.MemoryLimit < 0:
		return math.MaxInt64
	}
	return o.MemoryLimit
}

// Load is the package-level Load with these options. A file larger than
// the memory limit is refused before it is read.
func (o LoadOptions) Load(path string) (*Model, error) {
	mp, err := o.ReadProto(path)
	if err != nil {
		return nil, err
	}
	return o.LoadProto(path, mp)
}

// LoadProto validates and compiles a model that ReadProto decoded from the
// file at path, reading external data from path's folder: the second half
// of Load, for callers that look at the proto first (onnxkit inspect).
// The model keeps mp, which the caller must not change afterwards.
func (o LoadOptions) LoadProto(path string, mp *onnxpb.ModelProto) (*Model, error) {
	if mp == nil {
		return nil, invalid(fmt.Errorf("onnx: load %s: nil model", path))
	}
	return newModel(path, filepath.Dir(path), mp, o) // external data stays in that folder
}

// ReadProto reads an .onnx file and decodes its protobuf without
// validating the model, for tools that show what a file holds. Like Load it
// refuses a file larger than the memory limit before reading it (and stops
// reading a pipe or device past the limit); a file that is not protobuf is
// an error wrapping ErrInvalidModel. External data is not read.
func (o LoadOptions) ReadProto(path string) (*onnxpb.ModelProto, error) {
	limit, name := o.limit(), "the memory limit"
	if limit > maxProtoBytes {
		limit, name = maxProtoBytes, "the protobuf size limit"
	}
	b, err := readFileLimited(path, limit, name)
	if errors.Is(err, ErrMemoryLimit) {
		return nil, fmt.Errorf("onnx: load %s: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("onnx: load: %w", err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, invalid(fmt.Errorf("onnx: load %s: not an ONNX model: %w", path, err))
	}
	return &mp, nil
}

// LoadBytes is the package-level LoadBytes with these options.
func (o LoadOptions) LoadBytes(name string, b []byte) (*Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, invalid(fmt.Errorf("onnx: load %s: not an ONNX model: %w", name, err))
	}
	return newModel(name, "", &mp, o)
}

// FromProto is the package-level FromProto with these options.
func (o LoadOptions) FromProto(name string, mp *onnxpb.ModelProto) (*Model, error) {
	if mp == nil {
		return nil, invalid(fmt.Errorf("onnx: load %s: nil model", name))
	}
	return newModel(name, "", mp, o)
}

// readFileLimited reads a whole file of at most max bytes. Larger files are
// refused with an error wrapping ErrMemoryLimit that calls max limitName,
// before anything is read when the file is a regular one, and after max+1
// bytes otherwise (a pipe, or a device such as /dev/zero that never ends).
func readFileLimited(path string, max int64, limitName string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	tooBig := func(what string) error {
		return &classed{fmt.Errorf("the file %s more than %s of %d bytes", what, limitName, max), ErrMemoryLimit}
	}
	if fi.Mode().IsRegular() {
		if fi.Size() > max {
			return nil, tooBig(fmt.Sprintf("is %d bytes,", fi.Size()))
		}
		return os.ReadFile(path)
	}
	r := io.Reader(f)
	if max < math.MaxInt64 {
		r = io.LimitReader(f, max+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, tooBig("holds")
	}
	return b, nil
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

func newModel(name, dir string, mp *onnxpb.ModelProto, o LoadOptions) (*Model, error) {
	limit := o.limit()
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
	if m.g, err = buildGraph(mp.GetGraph(), opsets, decode, budget, !o.KeepQDQ, o.ConstantDefaults); err != nil {
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
