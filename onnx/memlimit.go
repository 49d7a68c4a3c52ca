package onnx

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
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
// ops.MaxTensorBytes (4 GiB unless changed with ops.SetMaxTensorBytes) and
// ops.MaxElements, so a run holds at most the limit plus one node's
// outputs. Elements of string tensors count 16 bytes each.
type LoadOptions struct {
	// MemoryLimit is the limit in bytes: 0 means DefaultMemoryLimit, a
	// negative value means no limit beyond ops.MaxTensorBytes per tensor.
	MemoryLimit int64
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
	return newModel(path, filepath.Dir(path), mp, o.limit()) // external data stays in that folder
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
	return newModel(name, "", &mp, o.limit())
}

// FromProto is the package-level FromProto with these options.
func (o LoadOptions) FromProto(name string, mp *onnxpb.ModelProto) (*Model, error) {
	if mp == nil {
		return nil, invalid(fmt.Errorf("onnx: load %s: nil model", name))
	}
	return newModel(name, "", mp, o.limit())
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

// MemoryLimit returns the model's memory limit in bytes (see LoadOptions);
// math.MaxInt64 means none.
func (m *Model) MemoryLimit() int64 { return m.limit }

// tensorBytes is the memory a tensor's elements take, as counted against
// memory limits.
func tensorBytes(t *tensors.Tensor) int64 {
	if t == nil {
		return 0
	}
	n := int64(t.Len()) * tensors.ElemBytes(t.DType())
	if s, ok := t.Data().([]string); ok {
		for _, v := range s {
			n += int64(len(v))
		}
	}
	return n
}

// dataPointer identifies a tensor's backing array, to tell outputs that
// share memory with an input from fresh allocations. Empty tensors give 0.
func dataPointer(t *tensors.Tensor) uintptr {
	if t == nil || t.Len() == 0 {
		return 0
	}
	v := reflect.ValueOf(t.Data())
	if v.Kind() != reflect.Slice {
		return 0
	}
	return v.Pointer()
}

// loadBudget counts the bytes of tensors a model holds while it loads.
type loadBudget struct {
	limit, used int64
}

// left returns how many bytes may still be charged.
func (b *loadBudget) left() int64 { return b.limit - b.used }

// charge counts a tensor that the model keeps; what names it in the error.
func (b *loadBudget) charge(t *tensors.Tensor, what string) error {
	n := tensorBytes(t)
	if n > b.left() {
		return &classed{fmt.Errorf("%s (%v, %d bytes) brings the model's tensors to %d bytes, more than the memory limit of %d bytes",
			what, t, n, b.used+n, b.limit), ErrMemoryLimit}
	}
	b.used += n
	return nil
}

// runBudget counts the bytes of the tensors a run has computed and still
// holds. Tensors are tracked by backing array, so views count once. Its
// maps keep their room across reset, so a session's runs do not allocate.
type runBudget struct {
	limit, used int64
	held        map[uintptr]heldArray // backing array -> size and holders
	slotOf      map[int]uintptr       // slot -> backing array it holds
}

type heldArray struct {
	bytes int64
	refs  int
}

func newRunBudget(limit int64) *runBudget {
	return &runBudget{limit: limit, held: map[uintptr]heldArray{}, slotOf: map[int]uintptr{}}
}

// reset forgets everything held, for a new run.
func (b *runBudget) reset() {
	b.used = 0
	clear(b.held)
	clear(b.slotOf)
}

// produced records a node output stored in slot s. An output sharing its
// array with one the run already holds adds a reference; one sharing it
// with a constant or caller input (listed in inputs but not held) costs
// nothing; anything else is a fresh allocation and is charged.
func (b *runBudget) produced(s int, t *tensors.Tensor, inputs []*tensors.Tensor) {
	p := dataPointer(t)
	if p == 0 {
		return
	}
	if h, ok := b.held[p]; ok {
		h.refs++
		b.held[p] = h
		b.slotOf[s] = p
		return
	}
	for _, in := range inputs {
		if dataPointer(in) == p {
			return
		}
	}
	n := tensorBytes(t)
	b.held[p] = heldArray{bytes: n, refs: 1}
	b.slotOf[s] = p
	b.used += n
}

// released drops the run's reference to the value in slot s.
func (b *runBudget) released(s int) {
	p, ok := b.slotOf[s]
	if !ok {
		return
	}
	delete(b.slotOf, s)
	if h, ok := b.held[p]; ok {
		if h.refs--; h.refs == 0 {
			b.used -= h.bytes
			delete(b.held, p)
		} else {
			b.held[p] = h
		}
	}
}

// check reports an error naming the step when the run holds too much.
func (b *runBudget) check(st *step, out []*tensors.Tensor) error {
	if b.used <= b.limit {
		return nil
	}
	var biggest *tensors.Tensor
	for i, s := range st.out {
		if s >= 0 && i < len(out) && (biggest == nil || tensorBytes(out[i]) > tensorBytes(biggest)) {
			biggest = out[i]
		}
	}
	return &classed{fmt.Errorf("%s: its output %v (%d bytes) brings the tensors this run holds to %d bytes, more than the memory limit of %d bytes",
		st.desc, biggest, tensorBytes(biggest), b.used, b.limit), ErrMemoryLimit}
}

// sharesData reports whether t shares its backing array with one of in.
func sharesData(t *tensors.Tensor, in []*tensors.Tensor) bool {
	p := dataPointer(t)
	if p == 0 {
		return false
	}
	for _, x := range in {
		if dataPointer(x) == p {
			return true
		}
	}
	return false
}

// MaxTensorFileBytes is the size of the largest tensor file ReadTensorFile
// and ReadTensor read: ops.MaxTensorBytes plus 1 MiB for headers.
func MaxTensorFileBytes() int64 { return tensors.MaxTensorBytes() + 1<<20 }
