package onnxpb_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// realModels lists .onnx files made by other tools: the ONNX backend test
// models shipped by Debian's libonnx-testdata and the project's fixtures.
func realModels(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{
		"/usr/share/libonnx-testdata/data/*/*/model.onnx",
		"/work/shared/fixtures/*/*.onnx",
		"../../../shared/fixtures/*/*.onnx",
	} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no real .onnx files found (libonnx-testdata not installed?)")
		}
		t.Skip("no real .onnx files found (install libonnx-testdata)")
	}
	return files
}

// unknownFields reports whether m or any message below it holds fields that
// the schema does not declare, which would mean a field number or wire type
// in onnx.proto disagrees with what real producers write.
func unknownFields(m protoreflect.Message) bool {
	if len(m.GetUnknown()) > 0 {
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = unknownFields(l.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			found = unknownFields(v.Message())
		}
		return !found
	})
	return found
}

func TestRealModelsRoundTrip(t *testing.T) {
	files := realModels(t)
	identical := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m onnxpb.ModelProto
		if err := proto.Unmarshal(b, &m); err != nil {
			t.Errorf("%s: decode: %v", f, err)
			continue
		}
		if m.GetGraph() == nil || m.GetIrVersion() == 0 {
			t.Errorf("%s: decoded without graph or ir_version", f)
		}
		if unknownFields(m.ProtoReflect()) {
			t.Errorf("%s: decoded with unknown fields: schema disagrees with the file", f)
		}
		out, err := proto.MarshalOptions{Deterministic: true}.Marshal(&m)
		if err != nil {
			t.Errorf("%s: encode: %v", f, err)
			continue
		}
		var again onnxpb.ModelProto
		if err := proto.Unmarshal(out, &again); err != nil {
			t.Errorf("%s: decode re-encoded: %v", f, err)
			continue
		}
		if !proto.Equal(&m, &again) {
			t.Errorf("%s: re-encoded model differs from the original", f)
		}
		if bytes.Equal(b, out) {
			identical++
		}
	}
	t.Logf("%d models decoded and re-encoded; %d byte-identical to the original", len(files), identical)
}
