package peer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPythonONNXVersion(t *testing.T) {
	v, err := PythonONNXVersion()
	Require(t, err)
	if !strings.HasPrefix(v, "1.") {
		t.Errorf("onnx version %q, want 1.x", v)
	}
	t.Logf("python3 onnx %s", v)
}

func TestCheckModelFixture(t *testing.T) {
	_, err := PythonONNXVersion()
	Require(t, err)
	model := filepath.Join(Fixtures(t), "pytorch-cnn-op11", "mnist_cnn.onnx")
	if _, err := os.Stat(model); err != nil {
		Require(t, err)
	}
	for _, full := range []bool{false, true} {
		if err := CheckModel(model, full); err != nil {
			t.Errorf("CheckModel(%s, full=%v): %v", model, full, err)
		}
	}
}

func TestCheckModelRejects(t *testing.T) {
	_, err := PythonONNXVersion()
	Require(t, err)
	dir := t.TempDir()

	garbage := filepath.Join(dir, "garbage.onnx")
	// 0xff starts a field with wire type 7, which no protobuf parser takes.
	if err := os.WriteFile(garbage, []byte("\xff\xff\xff\xff garbage, not an ONNX model"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = CheckModel(garbage, false)
	if err == nil {
		t.Fatalf("CheckModel accepted garbage")
	}
	msg := err.Error()
	if !strings.Contains(msg, "rejected") || !strings.Contains(msg, garbage) || !strings.Contains(msg, "DecodeError") || errors.Is(err, ErrUnavailable) {
		t.Errorf("error %q should say the checker rejected %s as undecodable", msg, garbage)
	}
	t.Logf("garbage: %v", err)

	// A model the checker can parse but must refuse: an empty ModelProto
	// has ir_version 0 and no opset import.
	empty := filepath.Join(dir, "empty.onnx")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = CheckModel(empty, true)
	if err == nil || !strings.Contains(err.Error(), "ValidationError") {
		t.Errorf("CheckModel(empty model) = %v, want a ValidationError", err)
	}
	t.Logf("empty: %v", err)

	if err := CheckModel(filepath.Join(dir, "absent.onnx"), false); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("CheckModel(absent file) = %v, want a plain error", err)
	}
}
