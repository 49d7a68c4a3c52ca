package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.onnx")
	if err := WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q, %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "m.onnx")
	for _, p := range []string{missing} {
		err := WriteFile(p, []byte("x"), 0o644)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("WriteFile(%s) = %v, want an error naming the path", p, err)
		}
		if err := CheckWritable(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("CheckWritable(%s) = %v", p, err)
		}
	}
	// A directory in the way is refused by CheckWritable.
	if err := CheckWritable(dir); err == nil {
		t.Fatal("CheckWritable accepted a directory")
	}
	// An existing file survives a failed write (rename over a directory fails).
	keep := filepath.Join(dir, "keep")
	os.WriteFile(keep, []byte("old"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := WriteFile(filepath.Join(dir, "sub"), []byte("new"), 0o644); err == nil {
		t.Fatal("rename over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
}

// makeReadOnly makes dir unwritable even for root (chattr +i), or by mode
// for other users, and returns the undo.
func makeReadOnly(t *testing.T, dir string) func() {
	t.Helper()
	if os.Getuid() != 0 {
		os.Chmod(dir, 0o555)
		return func() { os.Chmod(dir, 0o755) }
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make a directory read-only as root here (chattr: %v %s)", err, out)
	}
	return func() { exec.Command("chattr", "-i", dir).Run() }
}

func TestReadOnlyDirectory(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.onnx")
	os.WriteFile(p, []byte("old"), 0o644)
	undo := makeReadOnly(t, dir)
	defer undo()
	err := WriteFile(p, []byte("new"), 0o644)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("write into read-only directory: %v", err)
	}
	if err := CheckWritable(p); err == nil {
		t.Fatal("CheckWritable accepted a read-only directory")
	}
	undo()
	b, _ := os.ReadFile(p)
	entries, _ := os.ReadDir(dir)
	if string(b) != "old" || len(entries) != 1 {
		t.Fatalf("existing file now %q, directory holds %d entries", b, len(entries))
	}
}

// TestFailureKeepsOldFile injects failures after the temporary file is
// written: the old file must survive untouched and no temporary remain.
func TestFailureKeepsOldFile(t *testing.T) {
	injected := errors.New("injected failure")
	for _, hook := range []string{"sync", "rename"} {
		t.Run(hook, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.onnx")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			oldSync, oldRename := syncFile, renameFile
			defer func() { syncFile, renameFile = oldSync, oldRename }()
			if hook == "sync" {
				syncFile = func(*os.File) error { return injected }
			} else {
				renameFile = func(string, string) error { return injected }
			}
			err := WriteFile(path, []byte("new"), 0o644)
			if !errors.Is(err, injected) || !strings.Contains(err.Error(), hook) || !strings.Contains(err.Error(), path) {
				t.Errorf("WriteFile: %v", err)
			}
			if b, _ := os.ReadFile(path); string(b) != "old" {
				t.Errorf("old file now holds %q", b)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("temporary files left: %v", entries)
			}
		})
	}
}
