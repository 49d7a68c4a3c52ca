package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// readModelProto decodes an ONNX file without validating it, reading at
// most the memory limit (--memory-limit).
func readModelProto(path string) (*onnxpb.ModelProto, error) {
	mp, err := loadOptions.ReadProto(path)
	switch {
	case errors.Is(err, onnx.ErrInvalidModel):
		_, why, _ := strings.Cut(err.Error(), "not an ONNX model: ")
		return nil, fmt.Errorf("%s is not an ONNX model, or is truncated or damaged (protobuf decoding failed: %s)", path, why)
	case err != nil:
		return nil, err
	}
	if mp.GetGraph() == nil && mp.GetIrVersion() == 0 {
		return nil, fmt.Errorf("%s is not an ONNX model (it holds no graph and no IR version)", path)
	}
	return mp, nil
}

// loadModel loads an ONNX file for running, telling files that are not
// ONNX at all from models that are invalid or unsupported.
func loadModel(path string) (*onnx.Model, error) {
	mp, err := readModelProto(path)
	if err != nil {
		return nil, err
	}
	return loadOptions.LoadProto(path, mp)
}

// metadataOf returns a model file's metadata_props as a map.
func metadataOf(m *onnx.Model) map[string]string {
	out := map[string]string{}
	for _, p := range m.Proto().GetMetadataProps() {
		out[p.GetKey()] = p.GetValue()
	}
	return out
}
