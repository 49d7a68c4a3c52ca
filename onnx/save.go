package onnx

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Marshal encodes the model (deterministically: the same model always gives
// the same bytes).
func (m *Model) Marshal() ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.proto)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode %s: %w", m.name, err)
	}
	return b, nil
}

// Save writes the model to path atomically (see package internal/atomicfile):
// path holds either the old file or the complete new one, and a failed save
// leaves no temporary file behind. The folder must exist and be writable.
// A model with external data can only be saved into its own folder, where
// the data files are.
func (m *Model) Save(path string) error {
	dir := filepath.Dir(path)
	if hasExternalData(m.proto) {
		same, serr := sameDir(dir, m.dir)
		if serr != nil || !same {
			return fmt.Errorf("onnx: save %s: the model refers to external data files in %q; save it in that folder", path, m.dir)
		}
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	if fi, serr := os.Stat(dir); serr != nil {
		return fmt.Errorf("onnx: save %s: folder %s: %w", path, dir, serr)
	} else if !fi.IsDir() {
		return fmt.Errorf("onnx: save %s: %s is not a folder", path, dir)
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("onnx: save: %w", err)
	}
	return nil
}

func sameDir(a, b string) (bool, error) {
	if b == "" {
		return false, nil
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// hasExternalData reports whether an initializer or a tensor attribute of
// the main graph refers to external data.
func hasExternalData(mp *onnxpb.ModelProto) bool {
	for _, t := range mp.GetGraph().GetInitializer() {
		if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
			return true
		}
	}
	for _, n := range mp.GetGraph().GetNode() {
		for _, a := range n.GetAttribute() {
			if a.GetT().GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
				return true
			}
		}
	}
	return false
}
