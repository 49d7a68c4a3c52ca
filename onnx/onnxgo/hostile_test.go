package onnxgo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	gonnx "github.com/owulveryck/onnx-go"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxgo"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// backendFrame marks this package's (not its tests') code in a stack.
const backendFrame = "github.com/onnxkit/onnxkit/onnx/onnxgo."

// decodePanic is a panic recovered while onnx-go decoded a model.
type decodePanic struct {
	value any
	stack string
	ours  bool // a frame of this backend's code was on the stack
}

func (p *decodePanic) Error() string {
	who := "onnx-go's decoder"
	if p.ours {
		who = "the onnxgo backend"
	}
	return fmt.Sprintf("panic in %s: %v", who, p.value)
}

// inBackend reports whether a stack printed by debug.Stack has a frame of
// this backend's code between the panic and the recover.
func inBackend(stack string) bool {
	// Frames above "panic(" are the deferred recover's; below, up to the
	// caller, the code that panicked.
	_, below, ok := strings.Cut(stack, "\npanic(")
	if !ok {
		below = stack
	}
	for _, line := range strings.Split(below, "\n") {
		if strings.HasPrefix(line, backendFrame) {
			return true
		}
		if strings.HasPrefix(line, "github.com/onnxkit/onnxkit/onnx/onnxgo_test.") {
			break // back in the caller
		}
	}
	return false
}

// decode runs onnx-go's UnmarshalBinary into a new backend. A panic is
// recovered and returned as a *decodePanic telling whose code it came
// from: only onnx-go's own decoder may panic, never this backend.
func decode(b []byte, opt onnx.LoadOptions) (m *gonnx.Model, backend *onnxgo.Graph, err error) {
	backend = onnxgo.NewGraphOptions(opt)
	m = gonnx.NewModel(backend)
	defer func() {
		if r := recover(); r != nil {
			st := string(debug.Stack())
			err = &decodePanic{value: r, stack: st, ours: inBackend(st)}
		}
	}()
	err = m.UnmarshalBinary(b)
	return m, backend, err
}

// feedInputs sets every graph input onnx-go lists to zeros of its
// declared shape (read from b with onnxkit's protobuf types, symbolic
// dimensions 1) and of the element type of onnx-go's placeholder; the
// placeholder itself (fixed dimensions only) where b does not parse or
// the shape is unknown. Shapes over maxPlaceholder elements are left
// unset.
func feedInputs(m *gonnx.Model, backend *onnxgo.Graph, b []byte) {
	declared := map[string]*onnxpb.TypeProto_Tensor{}
	mp := &onnxpb.ModelProto{}
	if proto.Unmarshal(b, mp) == nil {
		for _, in := range mp.GetGraph().GetInput() {
			if tt := in.GetType().GetTensorType(); tt.GetShape() != nil {
				declared[in.GetName()] = tt
			}
		}
	}
	for _, id := range m.Input {
		n, ok := backend.Node(id).(*onnxgo.Node)
		if !ok {
			continue
		}
		ph, ok := n.GetTensor().(*tensor.Dense)
		if !ok || ph == nil {
			continue
		}
		var x *tensor.Dense
		if tt := declared[n.GetName()]; tt != nil && len(tt.GetShape().GetDim()) > 0 {
			shape := make([]int, len(tt.GetShape().GetDim()))
			total := 1
			for i, d := range tt.GetShape().GetDim() {
				shape[i] = 1
				if v := d.GetDimValue(); v > 0 && v <= maxPlaceholder {
					shape[i] = int(v)
				}
				total *= shape[i]
				if total > maxPlaceholder {
					break
				}
			}
			if total > maxPlaceholder {
				continue
			}
			x = tensor.New(tensor.WithShape(shape...), tensor.Of(ph.Dtype()))
		} else {
			x = ph.Clone().(*tensor.Dense)
		}
		_ = n.SetTensor(x)
	}
}

// onlyOpset lists the hostile files that onnxkit refuses for nothing but
// the opset they import: onnx-go does not pass opset imports to backends,
// so through it they are ordinary models.
var onlyOpset = map[string]bool{
	"future_opset.onnx": true,
	"huge_opset.onnx":   true,
}

// TestHostileFiles feeds every file of onnx/testdata/hostile through
// onnx-go's decoder and this backend. onnx-go's decoder rejects some and
// panics on others (gorgonia's tensor.New on shapes that disagree with the
// data: logged as onnx-go's); whatever it accepts, Run must refuse with an
// error, never a panic.
func TestHostileFiles(t *testing.T) {
	files, err := filepath.Glob("../testdata/hostile/*.onnx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile files: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, backend, err := decode(b, onnx.LoadOptions{})
			if p, ok := err.(*decodePanic); ok {
				if p.ours {
					t.Fatalf("%v\n%s", p, p.stack)
				}
				t.Logf("%v (not this backend's code)", p)
				return
			}
			if err != nil {
				t.Logf("onnx-go's decoder rejects it: %v", err)
				return
			}
			feedInputs(m, backend, b)
			err = backend.Run()
			switch {
			case err == nil && !onlyOpset[name]:
				t.Fatal("Run accepted a file onnxkit refuses")
			case err != nil:
				t.Logf("Run: %v", err)
			}
		})
	}
}
