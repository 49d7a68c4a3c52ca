package onnxgo_test

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/owulveryck/onnx-go" // registers package onnx (file onnx.proto3)

	_ "github.com/onnxkit/onnxkit/onnx/onnxpb" // registers package onnxkit.onnx
)

// TestProtobufRegistrations: onnx-go's protobuf types (package onnx,
// file onnx.proto3) and onnxkit's (package onnxkit.onnx) are registered
// side by side in this binary. The protobuf runtime panics at init on a
// conflicting registration, so this binary starting at all is half the
// test; the other half is that neither set was dropped.
func TestProtobufRegistrations(t *testing.T) {
	for _, name := range []protoreflect.FullName{"onnx.ModelProto", "onnx.TensorProto", "onnxkit.onnx.ModelProto", "onnxkit.onnx.TensorProto"} {
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, path := range []string{"onnx.proto3", "onnx/onnxpb/onnx.proto"} {
		if _, err := protoregistry.GlobalFiles.FindFileByPath(path); err != nil {
			t.Errorf("file %s: %v", path, err)
		}
	}
}
