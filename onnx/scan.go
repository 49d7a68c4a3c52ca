package onnx

import (
	"errors"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// compileScan builds a Scan node (not yet registered).
func (b *builder) compileScan(np *onnxpb.NodeProto, declared, since int, desc string) (flowKernel, error) {
	return nil, errors.New("Scan: not yet")
}
