package tbpb

// Regenerate tensorboard.pb.go after editing tensorboard.proto. Needs protoc
// (3.21 or newer) and protoc-gen-go at the google.golang.org/protobuf
// version in go.mod:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//
// protoc runs from the module root so that the descriptor is registered as
// "trainer/tensorboard/tbpb/tensorboard.proto", a path no other binding
// uses.

//go:generate protoc -I../../.. --go_out=../../.. --go_opt=paths=source_relative trainer/tensorboard/tbpb/tensorboard.proto
