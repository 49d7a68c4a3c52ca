package onnxgo_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxgo"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// maxPlaceholder bounds the elements of the placeholder tensors that
// onnx-go's decoder allocates for the declared shapes of graph inputs,
// outputs and value_info (it allocates them before a backend is
// involved, so a mutated dimension of 10^12 would exhaust memory there).
const maxPlaceholder = 1 << 20

// Limits while fuzzing, as package onnx's fuzz targets have: small enough
// that a few fuzzers at once stay far from the machine's memory, large
// enough for the seeds (LeNet's largest tensor is 4.9 MB).
const (
	fuzzTensorBytes = 16 << 20 // a single allocation (tensors.SetMaxTensorBytes)
	fuzzModelBytes  = 64 << 20 // what a model holds (LoadOptions.MemoryLimit)
)

// placeholderTooBig reports whether onnx-go's decoder would allocate a
// placeholder of more than maxPlaceholder elements for b. It reads the
// wire format directly (onnx-go's protobuf decoder accepts what
// onnxkit's may refuse, such as names that are not UTF-8) and counts
// every dimension of every listing of a value, as protobuf's merging of
// repeated fields would.
func placeholderTooBig(b []byte) bool {
	tooBig := false
	fields(b, func(num protowire.Number, v []byte) { // ModelProto
		if num != 7 {
			return
		}
		fields(v, func(num protowire.Number, v []byte) { // GraphProto
			if num != 11 && num != 12 && num != 13 {
				return
			}
			elems := uint64(1)
			fields(v, func(num protowire.Number, v []byte) { // ValueInfoProto
				if num != 2 {
					return
				}
				fields(v, func(num protowire.Number, v []byte) { // TypeProto
					if num != 1 {
						return
					}
					fields(v, func(num protowire.Number, v []byte) { // TypeProto.Tensor
						if num != 2 {
							return
						}
						fields(v, func(num protowire.Number, v []byte) { // TensorShapeProto
							if num != 1 {
								return
							}
							varints(v, 1, func(d uint64) { // Dimension.dim_value
								n := int64(d)
								if n < 0 {
									n = -n
								}
								if n != 0 && elems > maxPlaceholder/uint64(max(n, 1)) {
									tooBig = true
								}
								elems *= uint64(max(n, 1))
							})
						})
					})
				})
			})
		})
	})
	return tooBig
}

// fields calls f for every length-delimited field of a message, stopping
// at the first malformed byte.
func fields(b []byte, f func(protowire.Number, []byte)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return
			}
			f(num, v)
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return
		}
		b = b[m:]
	}
}

// varints calls f for every varint field numbered want of a message.
func varints(b []byte, want protowire.Number, f func(uint64)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		if typ == protowire.VarintType && num == want {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return
			}
			f(v)
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return
		}
		b = b[m:]
	}
}

// recordOnnxGoPanic keeps one example input per kind of panic of
// onnx-go's own decoder in $ONNXGO_PANIC_DIR, when that is set, as
// <hash>.onnx with the panic's text in <hash>.txt.
func recordOnnxGoPanic(p *decodePanic, b []byte) {
	dir := os.Getenv("ONNXGO_PANIC_DIR")
	if dir == "" {
		return
	}
	msg := fmt.Sprint(p.value)
	// One example per kind: numbers (shapes, sizes) do not count.
	kind := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '#'
		}
		return r
	}, msg)
	sum := sha256.Sum256([]byte(kind))
	base := filepath.Join(dir, fmt.Sprintf("%x", sum[:6]))
	if _, err := os.Stat(base + ".txt"); err == nil {
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(base+".onnx", b, 0o644)
	_ = os.WriteFile(base+".txt", []byte(msg+"\n\n"+p.stack), 0o644)
}

// FuzzOnnxGo feeds bytes through onnx-go's decoder into this backend,
// sets every input onnx-go lists (see feedInputs) and runs the graph for
// at most 5 seconds.
// Errors are fine; a panic is not, except one in onnx-go's own decoder
// (no frame of this backend's code below it), which is recovered here
// only, not counted as a failure, and recorded (see recordOnnxGoPanic).
// Inputs for which the decoder itself would allocate placeholders of
// more than maxPlaceholder elements are skipped, and onnxkit's memory
// limits are lowered (fuzzTensorBytes, fuzzModelBytes): a mutated Expand
// or Reshape may otherwise make one tensor of up to 4 GiB, and a worker
// killed for memory ends the fuzzing run.
func FuzzOnnxGo(f *testing.F) {
	hostile, _ := filepath.Glob("../testdata/hostile/*.onnx")
	for _, p := range hostile {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	if dir, err := peer.FixturesDir(); err == nil {
		models, _ := filepath.Glob(filepath.Join(dir, "*", "*.onnx"))
		for _, p := range models {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(lenet(f, 13).b)
	old := tensors.SetMaxTensorBytes(fuzzTensorBytes)
	f.Cleanup(func() { tensors.SetMaxTensorBytes(old) })
	f.Fuzz(func(t *testing.T, b []byte) {
		if placeholderTooBig(b) {
			return
		}
		m, backend, err := decode(b, onnx.LoadOptions{MemoryLimit: fuzzModelBytes})
		if p, ok := err.(*decodePanic); ok {
			if p.ours {
				t.Fatalf("%v\n%s", p, p.stack)
			}
			recordOnnxGoPanic(p, b)
			return
		}
		if err != nil {
			return
		}
		feedInputs(m, backend, b)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := backend.RunContext(ctx); err != nil {
			return
		}
		outs, err := m.GetOutputTensors()
		if err != nil {
			t.Fatalf("Run succeeded but GetOutputTensors fails: %v", err)
		}
		for i, o := range outs {
			if o != nil {
				continue
			}
			// The one case checkNameless cannot tell: a nameless graph
			// output without a type, after the last initializer, whose
			// node onnx-go also uses for an omitted input (see doc.go).
			if n, ok := backend.Node(m.Output[i]).(*onnxgo.Node); ok && n.GetName() == "" {
				continue
			}
			t.Fatalf("Run succeeded but output %d has no tensor", i)
		}
	})
}

func TestPlaceholderTooBig(t *testing.T) {
	if placeholderTooBig(lenet(t, 13).b) {
		t.Fatal("LeNet's placeholders counted as too big")
	}
	b, err := os.ReadFile("../testdata/hostile/negative_input_dim.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if placeholderTooBig(b) {
		t.Fatal("a small negative dimension counted as too big")
	}
	big, _ := writeModel(t, model(13, onnxpbGraphHuge()))
	if !placeholderTooBig(big) {
		t.Fatal("a [1e6, 1e6] graph input is not counted as too big")
	}
}

func onnxpbGraphHuge() *onnxpb.GraphProto {
	return &onnxpb.GraphProto{
		Name:   "huge",
		Input:  []*onnxpb.ValueInfoProto{vi("x", tensorType(onnxpb.TensorProto_FLOAT, 1000000, 1000000))},
		Output: []*onnxpb.ValueInfoProto{vi("y", nil)},
		Node:   []*onnxpb.NodeProto{nd("Relu", []string{"x"}, []string{"y"})},
	}
}
