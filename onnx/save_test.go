package onnx

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// noTemps fails if dir holds anything but the listed files.
func noTemps(t *testing.T, dir string, allowed ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ok := false
		for _, a := range allowed {
			ok = ok || e.Name() == a
		}
		if !ok {
			t.Errorf("%s left behind in %s", e.Name(), dir)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m, err := FromProto("small", smallModel())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	noTemps(t, dir, "model.onnx")
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(back.Proto(), m.Proto()) {
		t.Error("saved model differs from the original")
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("saved file mode %v, %v", fi.Mode(), err)
	}
	b1, _ := m.Marshal()
	b2, _ := back.Marshal()
	if string(b1) != string(b2) {
		t.Error("Marshal is not deterministic across save and load")
	}
	x := mustTensor(t, []int{1, 4}, []float32{-1, 0, 1, 2})
	out, err := back.RunTensors(map[string]*tensors.Tensor{"x": x})
	if err != nil || tensors.Data[float32](out["y"])[0] != 0 || tensors.Data[float32](out["y"])[2] != 2 {
		t.Errorf("reloaded model: %v %v", out, err)
	}
}

func TestSaveErrors(t *testing.T) {
	m, err := FromProto("small", smallModel())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing", "m.onnx"), "folder"},
		{filepath.Join(file, "m.onnx"), "not a folder"},
		{"/proc/m.onnx", "write /proc/m.onnx"}, // not writable, even by root
	} {
		err := m.Save(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("Save(%s): %v, want %q", c.path, err, c.want)
		}
	}
	noTemps(t, dir, "plain")
}

// TestSaveReadOnlyDir saves into a folder the process may not write to.
// Root ignores permission bits, so as root the test re-runs itself as an
// unprivileged user (nobody) to get a real permission error.
func TestSaveReadOnlyDir(t *testing.T) {
	if dir := os.Getenv("ONNXKIT_SAVE_RO_DIR"); dir != "" { // child process
		m, err := FromProto("small", smallModel())
		if err != nil {
			t.Fatal(err)
		}
		err = m.Save(filepath.Join(dir, "m.onnx"))
		if err == nil || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("Save into read-only folder: %v", err)
		}
		return
	}
	base, err := os.MkdirTemp("", "onnxkit-ro-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(ro, 0o755)
		m, err := FromProto("small", smallModel())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Save(filepath.Join(ro, "m.onnx")); err == nil || !errors.Is(err, os.ErrPermission) {
			t.Errorf("Save into read-only folder: %v", err)
		}
		noTemps(t, ro)
		return
	}
	// As root: copy the test binary where nobody can run it, then run it as
	// nobody against a folder nobody cannot write.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary: %v", err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	child := filepath.Join(base, "onnx.test")
	if err := os.WriteFile(child, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(child, "-test.run=^TestSaveReadOnlyDir$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ONNXKIT_SAVE_RO_DIR="+ro)
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run the test binary as nobody (noexec /tmp?): %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child run as nobody: %v\n%s", err, out.String())
	}
	noTemps(t, ro)
}

// externalModel writes a model whose initializer "w" (float32[2]) lives in
// an external file at location, with the bytes at offset.
func externalModel(t *testing.T, dir, location string, offset, length int64) string {
	t.Helper()
	ext := &onnxpb.TensorProto{
		Name: "w", DataType: int32(tensors.Float32), Dims: []int64{2},
		DataLocation: onnxpb.TensorProto_EXTERNAL,
		ExternalData: []*onnxpb.StringStringEntryProto{
			{Key: "location", Value: location},
			{Key: "offset", Value: itoa(offset)},
		},
	}
	if length >= 0 {
		ext.ExternalData = append(ext.ExternalData, &onnxpb.StringStringEntryProto{Key: "length", Value: itoa(length)})
	}
	mp := modelProto(13, &onnxpb.GraphProto{
		Node:        []*onnxpb.NodeProto{nodeProto("Add", "add", []string{"x", "w"}, []string{"y"})},
		Initializer: []*onnxpb.TensorProto{ext},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, 2))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, 2))},
	})
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestExternalData(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "model")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := tensors.ToProto("", tensors.Vector[float32](10, 20)).RawData
	padded := append([]byte("pad!"), data...)
	for name, b := range map[string][]byte{filepath.Join(dir, "w.bin"): padded, filepath.Join(root, "outside.bin"): padded} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "outside.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}

	path := externalModel(t, dir, "w.bin", 4, 8)
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": tensors.Vector[float32](1, 2)})
	if err != nil || tensors.Data[float32](out["y"])[1] != 22 {
		t.Fatalf("external data: %v %v", out, err)
	}
	if err := m.Save(filepath.Join(root, "elsewhere.onnx")); err == nil || !strings.Contains(err.Error(), "external data") {
		t.Errorf("Save elsewhere: %v", err)
	}
	if err := m.Save(path); err != nil {
		t.Errorf("Save in place: %v", err)
	}
	b, _ := os.ReadFile(path)
	if _, err := LoadBytes("mem", b); err == nil || !strings.Contains(err.Error(), "loaded from a file") {
		t.Errorf("LoadBytes with external data: %v", err)
	}

	for _, c := range []struct {
		location       string
		offset, length int64
		want           string
	}{
		{"../outside.bin", 4, 8, "outside the model's folder"},
		{filepath.Join(root, "outside.bin"), 4, 8, "outside the model's folder"},
		{"link.bin", 4, 8, "link.bin"},
		{"w.bin", 4, 4, "length 4, want 8"},
		{"w.bin", 8, 8, "beyond the end"},
		{"w.bin", 0, -1, "length 12, want 8"},
		{"nope.bin", 0, 8, "nope.bin"},
	} {
		path := externalModel(t, dir, c.location, c.offset, c.length)
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `tensor "w"`) {
			t.Errorf("location %q offset %d length %d: %v, want %q", c.location, c.offset, c.length, err, c.want)
		}
	}
}
