//go:build unix

package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestExternalDataFIFO: external data naming a FIFO inside the model's
// folder is refused at once; opening it plainly would block the load until
// somebody wrote to the FIFO.
func TestExternalDataFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "w.bin"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	path := externalModel(t, dir, "w.bin", 0, 8)
	done := make(chan error, 1)
	go func() {
		_, err := Load(path)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), `tensor "w"`) || !strings.Contains(err.Error(), "w.bin is not a regular file") {
			t.Errorf("got %v, want an error naming the tensor and the FIFO", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocks on a FIFO named by external data")
	}
}

// TestEndlessFiles: models and tensor files that never end (a device like
// /dev/zero) are read up to the limit only; a model piped through a FIFO
// loads.
func TestEndlessFiles(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.onnx")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOptions{MemoryLimit: 1 << 20}.Load(zero)
	if err == nil || !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "onnx: load "+zero+": the file holds more than the memory limit of 1048576 bytes") {
		t.Errorf("model from /dev/zero: %v", err)
	}

	old := tensors.SetMaxTensorBytes(1 << 10)
	defer tensors.SetMaxTensorBytes(old)
	for _, name := range []string{"zero.npy", "zero.pb"} {
		p := filepath.Join(dir, name)
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Fatal(err)
		}
		_, err := ReadTensorFile(p)
		if err == nil || !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "more than the tensor file limit of 1049600 bytes") {
			t.Errorf("%s: %v", name, err)
		}
	}
	tensors.SetMaxTensorBytes(old)

	fifo := filepath.Join(dir, "piped.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	b, err := proto.Marshal(smallModel())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Write(b)
			f.Close()
		}
	}()
	if _, err := Load(fifo); err != nil {
		t.Errorf("model through a FIFO: %v", err)
	}
}
