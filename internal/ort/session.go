package ort

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"
	"gorgonia.org/tensor"
)

var (
	ortOnce    sync.Once
	ortInitErr error
	ortLibPath string
)

// initORT loads the onnxruntime library and creates the process-wide
// environment, once. Later calls return the first call's outcome.
func initORT() error {
	ortOnce.Do(func() {
		lib, err := Library()
		if err != nil {
			ortInitErr = err
			return
		}
		ortLibPath = lib
		if ortgo.IsInitialized() {
			return
		}
		ortgo.SetSharedLibraryPath(lib)
		if err := ortgo.InitializeEnvironment(ortgo.WithLogLevelError()); err != nil {
			ortInitErr = fmt.Errorf("ort: initializing onnxruntime from %s: %w: %w", lib, ErrUnavailable, err)
		}
	})
	return ortInitErr
}

// Version loads onnxruntime if needed and returns the version string
// the library reports (for example "1.30.0").
func Version() (string, error) {
	if err := initORT(); err != nil {
		return "", err
	}
	return ortgo.GetVersion(), nil
}

// TensorInfo describes one graph input or output as onnxruntime sees it.
type TensorInfo struct {
	// Name is the graph input or output name.
	Name string
	// ElemType is onnxruntime's element type name, e.g. "float" or
	// "int64"; for a value that is not a tensor it names that kind.
	ElemType string
	// Dtype is the matching gorgonia dtype; it is the zero Dtype when
	// Run cannot exchange that element type.
	Dtype tensor.Dtype
	// Dims is the declared shape; symbolic or unknown dimensions are -1.
	Dims []int64
}

// String renders the info as name:type[dims].
func (ti TensorInfo) String() string {
	return fmt.Sprintf("%s:%s%v", ti.Name, ti.ElemType, ti.Dims)
}

// Session is an onnxruntime inference session over one model file. It
// is safe for concurrent use by several goroutines.
type Session struct {
	path    string
	inputs  []TensorInfo
	outputs []TensorInfo // the outputs Run returns, in the order asked for

	mu   sync.RWMutex
	sess *ortgo.DynamicAdvancedSession
}

// Open creates an onnxruntime session (CPU, default options) for the
// model file at modelPath that returns the named outputs, or every graph
// output when outputs is empty. Close it when done.
func Open(modelPath string, outputs []string) (*Session, error) {
	if err := initORT(); err != nil {
		return nil, err
	}
	return open(modelPath, outputs, nil)
}

// open is Open with onnxruntime session options (nil for the defaults).
func open(modelPath string, outputs []string, so *ortgo.SessionOptions) (*Session, error) {
	ins, outs, err := ortgo.GetInputOutputInfo(modelPath)
	if err != nil {
		return nil, fmt.Errorf("ort: onnxruntime cannot load %s: %w", modelPath, err)
	}
	s := &Session{path: modelPath}
	for _, in := range ins {
		s.inputs = append(s.inputs, tensorInfo(in))
	}
	all := make(map[string]TensorInfo, len(outs))
	var allNames []string
	for _, o := range outs {
		ti := tensorInfo(o)
		all[ti.Name] = ti
		allNames = append(allNames, ti.Name)
	}
	if len(outputs) == 0 {
		outputs = allNames
	}
	seen := make(map[string]bool, len(outputs))
	for _, name := range outputs {
		ti, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("ort: %s has no output %q (outputs: %s)", modelPath, name, strings.Join(allNames, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("ort: output %q asked for twice", name)
		}
		seen[name] = true
		s.outputs = append(s.outputs, ti)
	}
	inNames := make([]string, len(s.inputs))
	for i, in := range s.inputs {
		inNames[i] = in.Name
	}
	outNames := make([]string, len(s.outputs))
	for i, o := range s.outputs {
		outNames[i] = o.Name
	}
	sess, err := ortgo.NewDynamicAdvancedSession(modelPath, inNames, outNames, so)
	if err != nil {
		return nil, fmt.Errorf("ort: creating onnxruntime session for %s: %w", modelPath, err)
	}
	s.sess = sess
	return s, nil
}

// Inputs describes the model's graph inputs (initializers excluded), in
// graph order.
func (s *Session) Inputs() []TensorInfo { return cloneInfos(s.inputs) }

// Outputs describes the outputs Run returns, in the order they were asked
// for.
func (s *Session) Outputs() []TensorInfo { return cloneInfos(s.outputs) }

// Close releases the session. Calling it again is harmless.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	s.sess = nil
	if err != nil {
		return fmt.Errorf("ort: closing onnxruntime session for %s: %w", s.path, err)
	}
	return nil
}

// Run feeds inputs, keyed by graph input name, to the model and returns the
// session's outputs keyed by name. Every graph input must be given.
// Supported element types are float32, float64, int64, int32, int8, uint8
// and bool; output shapes need not be known in advance.
func (s *Session) Run(inputs map[string]*tensor.Dense) (map[string]*tensor.Dense, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sess == nil {
		return nil, fmt.Errorf("ort: onnxruntime session for %s is closed", s.path)
	}
	known := make(map[string]bool, len(s.inputs))
	for _, in := range s.inputs {
		known[in.Name] = true
	}
	var extra []string
	for name := range inputs {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("ort: %s has no input(s) %q (inputs: %v)", s.path, extra, s.inputs)
	}

	values := make([]ortgo.Value, len(s.inputs))
	defer destroyAll(values)
	for i, in := range s.inputs {
		d, ok := inputs[in.Name]
		if !ok {
			return nil, fmt.Errorf("ort: input %s of %s not given", in, s.path)
		}
		v, err := toORT(d)
		if err != nil {
			return nil, fmt.Errorf("ort: input %q of %s: %w", in.Name, s.path, err)
		}
		values[i] = v
	}

	outs := make([]ortgo.Value, len(s.outputs))
	defer destroyAll(outs)
	for i, o := range s.outputs {
		if len(o.Dims) != 0 {
			continue // allocated by onnxruntime
		}
		// onnxruntime_go cannot wrap an auto-allocated rank-0 result, so
		// scalar outputs get a preallocated scalar of the declared type.
		v, err := newORTScalar(o.Dtype)
		if err != nil {
			return nil, fmt.Errorf("ort: output %s of %s: %w", o, s.path, err)
		}
		outs[i] = v
	}
	if err := s.sess.Run(values, outs); err != nil {
		return nil, fmt.Errorf("ort: onnxruntime run of %s: %w", s.path, err)
	}
	res := make(map[string]*tensor.Dense, len(outs))
	for i, v := range outs {
		d, err := fromORT(v)
		if err != nil {
			return nil, fmt.Errorf("ort: output %q of %s: %w", s.outputs[i].Name, s.path, err)
		}
		res[s.outputs[i].Name] = d
	}
	return res, nil
}

// Run runs the model file at modelPath once in onnxruntime (CPU,
// default session options) and returns the named outputs, or all graph
// outputs when outputs is empty. See Session.Run for the accepted
// inputs. The shared library comes from ORTLibrary; when it is missing the
// error wraps ErrUnavailable.
func Run(modelPath string, inputs map[string]*tensor.Dense, outputs []string) (map[string]*tensor.Dense, error) {
	s, err := Open(modelPath, outputs)
	if err != nil {
		return nil, err
	}
	res, err := s.Run(inputs)
	if cerr := s.Close(); err == nil && cerr != nil {
		return nil, cerr
	}
	return res, err
}

// ModelIO returns the graph inputs and outputs of the model file at
// modelPath as onnxruntime reports them.
func ModelIO(modelPath string) (inputs, outputs []TensorInfo, err error) {
	if err := initORT(); err != nil {
		return nil, nil, err
	}
	ins, outs, err := ortgo.GetInputOutputInfo(modelPath)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: onnxruntime cannot load %s: %w", modelPath, err)
	}
	for _, in := range ins {
		inputs = append(inputs, tensorInfo(in))
	}
	for _, o := range outs {
		outputs = append(outputs, tensorInfo(o))
	}
	return inputs, outputs, nil
}

func cloneInfos(in []TensorInfo) []TensorInfo {
	out := make([]TensorInfo, len(in))
	for i, ti := range in {
		ti.Dims = append([]int64(nil), ti.Dims...)
		out[i] = ti
	}
	return out
}

func destroyAll(vs []ortgo.Value) {
	for _, v := range vs {
		if v != nil {
			_ = v.Destroy()
		}
	}
}

// elemTypes maps onnxruntime element types to the names and gorgonia
// dtypes used here; a zero Dtype marks a type Run cannot exchange.
var elemTypes = map[ortgo.TensorElementDataType]struct {
	name  string
	dtype tensor.Dtype
}{
	ortgo.TensorElementDataTypeFloat:   {"float", tensor.Float32},
	ortgo.TensorElementDataTypeDouble:  {"double", tensor.Float64},
	ortgo.TensorElementDataTypeInt64:   {"int64", tensor.Int64},
	ortgo.TensorElementDataTypeInt32:   {"int32", tensor.Int32},
	ortgo.TensorElementDataTypeInt8:    {"int8", tensor.Int8},
	ortgo.TensorElementDataTypeUint8:   {"uint8", tensor.Uint8},
	ortgo.TensorElementDataTypeBool:    {"bool", tensor.Bool},
	ortgo.TensorElementDataTypeInt16:   {"int16", tensor.Dtype{}},
	ortgo.TensorElementDataTypeUint16:  {"uint16", tensor.Dtype{}},
	ortgo.TensorElementDataTypeUint32:  {"uint32", tensor.Dtype{}},
	ortgo.TensorElementDataTypeUint64:  {"uint64", tensor.Dtype{}},
	ortgo.TensorElementDataTypeFloat16: {"float16", tensor.Dtype{}},
	ortgo.TensorElementDataTypeString:  {"string", tensor.Dtype{}},
}

func tensorInfo(in ortgo.InputOutputInfo) TensorInfo {
	ti := TensorInfo{Name: in.Name, Dims: append([]int64(nil), in.Dimensions...)}
	if in.OrtValueType != ortgo.ONNXTypeTensor {
		ti.ElemType = in.OrtValueType.String()
		return ti
	}
	if et, ok := elemTypes[in.DataType]; ok {
		ti.ElemType, ti.Dtype = et.name, et.dtype
	} else {
		ti.ElemType = in.DataType.String()
	}
	return ti
}

// toORT copies a gorgonia tensor into a new onnxruntime value.
func toORT(d *tensor.Dense) (ortgo.Value, error) {
	if d == nil {
		return nil, fmt.Errorf("nil tensor")
	}
	switch d.Dtype() {
	case tensor.Float32:
		return newORTValue[float32](d)
	case tensor.Float64:
		return newORTValue[float64](d)
	case tensor.Int64:
		return newORTValue[int64](d)
	case tensor.Int32:
		return newORTValue[int32](d)
	case tensor.Int8:
		return newORTValue[int8](d)
	case tensor.Uint8:
		return newORTValue[uint8](d)
	case tensor.Bool:
		return newORTValue[bool](d)
	}
	return nil, fmt.Errorf("unsupported element type %v", d.Dtype())
}

func newORTValue[T ortgo.TensorData](d *tensor.Dense) (ortgo.Value, error) {
	shape := d.Shape()
	if len(shape) == 0 {
		v, ok := d.Data().(T)
		if !ok {
			return nil, fmt.Errorf("scalar tensor holds %T, want %T", d.Data(), v)
		}
		s, err := ortgo.NewScalar(v)
		if err != nil {
			return nil, fmt.Errorf("creating onnxruntime scalar: %w", err)
		}
		return s, nil
	}
	dims := make([]int64, len(shape))
	n := 1
	for i, x := range shape {
		if x <= 0 {
			return nil, fmt.Errorf("shape %v has a non-positive dimension", shape)
		}
		dims[i] = int64(x)
		n *= x
	}
	src := d
	if d.RequiresIterator() || d.IsMaterializable() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("cannot materialize view of shape %v", shape)
		}
		src = m
	}
	data, ok := src.Data().([]T)
	if !ok {
		return nil, fmt.Errorf("tensor data is %T, want []%T", src.Data(), *new(T))
	}
	if len(data) < n {
		return nil, fmt.Errorf("tensor of shape %v holds %d elements, want %d", shape, len(data), n)
	}
	buf := make([]T, n)
	copy(buf, data[:n])
	v, err := ortgo.NewTensor(ortgo.NewShape(dims...), buf)
	if err != nil {
		return nil, fmt.Errorf("creating onnxruntime tensor of shape %v: %w", shape, err)
	}
	return v, nil
}

func newORTScalar(dt tensor.Dtype) (ortgo.Value, error) {
	switch dt {
	case tensor.Float32:
		return ortgo.NewEmptyScalar[float32]()
	case tensor.Float64:
		return ortgo.NewEmptyScalar[float64]()
	case tensor.Int64:
		return ortgo.NewEmptyScalar[int64]()
	case tensor.Int32:
		return ortgo.NewEmptyScalar[int32]()
	case tensor.Int8:
		return ortgo.NewEmptyScalar[int8]()
	case tensor.Uint8:
		return ortgo.NewEmptyScalar[uint8]()
	case tensor.Bool:
		return ortgo.NewEmptyScalar[bool]()
	}
	return nil, fmt.Errorf("unsupported scalar element type")
}

// fromORT copies an onnxruntime value into a new gorgonia tensor.
func fromORT(v ortgo.Value) (*tensor.Dense, error) {
	switch x := v.(type) {
	case *ortgo.Tensor[float32]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Tensor[float64]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Tensor[int64]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Tensor[int32]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Tensor[int8]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Tensor[uint8]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Tensor[bool]:
		return denseOf(x.GetShape(), x.GetData())
	case *ortgo.Scalar[float32]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case *ortgo.Scalar[float64]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case *ortgo.Scalar[int64]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case *ortgo.Scalar[int32]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case *ortgo.Scalar[int8]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case *ortgo.Scalar[uint8]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case *ortgo.Scalar[bool]:
		return tensor.New(tensor.FromScalar(x.GetData())), nil
	case nil:
		return nil, fmt.Errorf("onnxruntime returned no value")
	}
	return nil, fmt.Errorf("unsupported onnxruntime value %T (%v)", v, v.GetONNXType())
}

func denseOf[T any](shape ortgo.Shape, data []T) (*tensor.Dense, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("onnxruntime returned a rank-0 tensor without a value")
	}
	dims := make([]int, len(shape))
	n := 1
	for i, x := range shape {
		if x <= 0 {
			return nil, fmt.Errorf("shape %v has a zero or negative dimension, which gorgonia tensors cannot hold", shape)
		}
		dims[i] = int(x)
		n *= int(x)
	}
	if len(data) != n {
		return nil, fmt.Errorf("onnxruntime returned %d elements for shape %v", len(data), shape)
	}
	buf := make([]T, n)
	copy(buf, data)
	return tensor.New(tensor.WithShape(dims...), tensor.WithBacking(buf)), nil
}
