package onnxpb

// Regenerate onnx.pb.go after editing onnx.proto. Needs protoc (3.21 or
// newer) and protoc-gen-go at the google.golang.org/protobuf version in
// go.mod:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//
// protoc runs from the module root so that the descriptor is registered as
// "onnx/onnxpb/onnx.proto": a bare "onnx.proto" could collide with another
// ONNX binding linked into the same program.

//go:generate protoc -I../.. --go_out=../.. --go_opt=paths=source_relative onnx/onnxpb/onnx.proto
