package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

const mib = 1 << 20

// wantLimitError checks that err is a memory-limit error (and not an
// invalid-model or internal one) whose message holds every fragment.
func wantLimitError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error; want the memory limit to be exceeded")
	}
	t.Log(err)
	if !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("error does not wrap ErrMemoryLimit: %v", err)
	}
	if errors.Is(err, ErrInvalidModel) || errors.Is(err, ErrInternal) {
		t.Errorf("a model over the memory limit is reported as invalid or internal: %v", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q lacks %q", err, f)
		}
	}
}

// TestMemoryLimitAtLoad: initializers and values folded at load time count
// against the model's limit; the default limit loads them.
func TestMemoryLimitAtLoad(t *testing.T) {
	big := tensors.Vector(make([]float32, mib/4)...) // 1 MiB
	withInit := modelProto(13, &onnxpb.GraphProto{
		Node:        []*onnxpb.NodeProto{nodeProto("Add", "add", []string{"x", "w"}, []string{"y"})},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("w", big)},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, mib/4))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, mib/4))},
	})
	_, err := LoadOptions{MemoryLimit: mib / 2}.FromProto("init.onnx", withInit)
	wantLimitError(t, err, "onnx: load init.onnx: ", `initializer "w"`, "1048576 bytes", "memory limit of 524288 bytes")
	m, err := FromProto("init.onnx", withInit)
	if err != nil {
		t.Fatalf("default limit: %v", err)
	}
	if m.MemoryLimit() != DefaultMemoryLimit {
		t.Errorf("MemoryLimit() = %d, want %d", m.MemoryLimit(), DefaultMemoryLimit)
	}
	if m, err := (LoadOptions{MemoryLimit: -1}).FromProto("init.onnx", withInit); err != nil || m.MemoryLimit() != math.MaxInt64 {
		t.Errorf("no limit: %v", err)
	}

	// ConstantOfShape of a constant shape is evaluated at load: 4 MiB.
	folded := modelProto(13, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeProto("ConstantOfShape", "fill", []string{"shape"}, []string{"c"}),
			nodeProto("Add", "add", []string{"x", "c"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("shape", tensors.Vector[int64](1024, 1024))},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, 1))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, 1024, 1024))},
	})
	_, err = LoadOptions{MemoryLimit: 3 * mib}.FromProto("fold.onnx", folded)
	wantLimitError(t, err, `node "fill" (ConstantOfShape), evaluated at load time: output "c"`, "memory limit of 3145728 bytes")
	if _, err := (LoadOptions{MemoryLimit: 5 * mib}).FromProto("fold.onnx", folded); err != nil {
		t.Errorf("5 MiB limit: %v", err)
	}
}

// TestMemoryLimitFiles: a file larger than the limit is not read, nor is
// external data that would not fit.
func TestMemoryLimitFiles(t *testing.T) {
	dir := t.TempDir()
	data := tensors.ToProto("", tensors.Vector(make([]float32, 256)...)).RawData // 1 KiB
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	mp := modelProto(13, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{nodeProto("Add", "add", []string{"x", "w"}, []string{"y"})},
		Initializer: []*onnxpb.TensorProto{{
			Name: "w", DataType: int32(tensors.Float32), Dims: []int64{256},
			DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "w.bin"}},
		}},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, 256))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, 256))},
	})
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(b) >= 1000 {
		t.Fatalf("the model file is %d bytes; the test wants it smaller than its external data", len(b))
	}
	_, err = LoadOptions{MemoryLimit: 1000}.Load(path)
	wantLimitError(t, err, "onnx: load "+path+": ", `tensor "w"`, "w.bin: 1024 bytes for float32 [256], more than the 1000 bytes left")
	_, err = LoadOptions{MemoryLimit: int64(len(b)) - 1}.Load(path)
	wantLimitError(t, err, "onnx: load "+path+": ", fmt.Sprintf("the file is %d bytes, more than the memory limit of %d bytes", len(b), len(b)-1))
	if _, err := (LoadOptions{MemoryLimit: 1024}).Load(path); err != nil {
		t.Errorf("limit of exactly the data: %v", err)
	}
}

// budgetModel is x -> a = Relu(x), b = Neg(x) -> Add(a, b) -> y: three
// tensors of x's size alive at the Add, and a chain x -> Relu -> Reshape ->
// Relu -> z where the Reshape shares the first Relu's memory.
func budgetModel() *onnxpb.ModelProto {
	return modelProto(14, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeProto("Relu", "pos", []string{"x"}, []string{"a"}),
			nodeProto("Neg", "neg", []string{"x"}, []string{"b"}),
			nodeProto("Add", "sum", []string{"a", "b"}, []string{"y"}),
			nodeProto("Relu", "r1", []string{"x"}, []string{"c1"}),
			nodeProto("Reshape", "flat", []string{"c1", "flat_shape"}, []string{"c2"}),
			nodeProto("Relu", "r2", []string{"c2"}, []string{"z"}),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("flat_shape", tensors.Vector[int64](-1))},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 1024))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 1024)), valueInfo("z", tensorType(tensors.Float32, "M"))},
	})
}

// TestMemoryLimitAtRun: what a run holds at once is bounded; values are
// released when no longer needed, views count once, inputs and constants
// do not count.
func TestMemoryLimitAtRun(t *testing.T) {
	const rows = 512 // x is 2 MiB
	x := mustTensor(t, []int{rows, 1024}, make([]float32, rows*1024))
	small := LoadOptions{MemoryLimit: 5 * mib}
	m, err := small.FromProto("budget.onnx", budgetModel())
	if err != nil {
		t.Fatal(err)
	}
	// a, b and y: 6 MiB at the Add.
	_, err = m.RunTensors(map[string]*tensors.Tensor{"x": x}, "y")
	wantLimitError(t, err, "onnx: run budget.onnx: ", `node "sum" (Add)`, "float32[512 1024] (2097152 bytes)", "6291456 bytes", "memory limit of 5242880 bytes")
	// c1 (shared by c2) and z: 4 MiB. Counting the Reshape view again
	// would make it 6.
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}, "z")
	if err != nil {
		t.Fatalf("chain with a view: %v", err)
	}
	if out["z"].Len() != rows*1024 {
		t.Errorf("z is %v", out["z"])
	}
	// Smaller batches fit.
	if _, err := m.RunTensors(map[string]*tensors.Tensor{"x": mustTensor(t, []int{64, 1024}, make([]float32, 64*1024))}); err != nil {
		t.Errorf("batch of 64: %v", err)
	}
	// The default limit runs the full batch.
	m, err = FromProto("budget.onnx", budgetModel())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}); err != nil {
		t.Errorf("default limit: %v", err)
	}
	// The same model file, through LoadBytes.
	b, err := proto.Marshal(budgetModel())
	if err != nil {
		t.Fatal(err)
	}
	m, err = LoadOptions{MemoryLimit: 3 * mib}.LoadBytes("bytes.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.RunTensors(map[string]*tensors.Tensor{"x": x}, "z")
	wantLimitError(t, err, `node "r2" (Relu)`, "memory limit of 3145728 bytes")
}

// TestMaxTensorBytes: one allocation over tensors.MaxTensorBytes fails before
// it happens, naming the node and the limit.
func TestMaxTensorBytes(t *testing.T) {
	if got := tensors.MaxTensorBytes(); got != tensors.DefaultMaxTensorBytes {
		t.Fatalf("MaxTensorBytes() = %d before any change, want the default %d", got, tensors.DefaultMaxTensorBytes)
	}
	old := tensors.SetMaxTensorBytes(mib)
	defer tensors.SetMaxTensorBytes(old)
	if old != tensors.DefaultMaxTensorBytes || tensors.MaxTensorBytes() != mib {
		t.Fatalf("SetMaxTensorBytes returned %d, MaxTensorBytes() = %d", old, tensors.MaxTensorBytes())
	}
	m, err := FromProto("budget.onnx", budgetModel())
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.RunTensors(map[string]*tensors.Tensor{"x": mustTensor(t, []int{512, 1024}, make([]float32, 512*1024))}, "y")
	wantLimitError(t, err, `node "pos" (Relu)`, "float32[512 1024] needs 2097152 bytes, more than the tensor size limit of 1048576 bytes")
	if _, err := m.RunTensors(map[string]*tensors.Tensor{"x": mustTensor(t, []int{16, 1024}, make([]float32, 16*1024))}); err != nil {
		t.Errorf("small batch: %v", err)
	}
	tensors.SetMaxTensorBytes(0)
	if tensors.MaxTensorBytes() != tensors.DefaultMaxTensorBytes {
		t.Errorf("SetMaxTensorBytes(0) left %d", tensors.MaxTensorBytes())
	}
}
