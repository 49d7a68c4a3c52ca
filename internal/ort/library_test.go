package ort

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"
)

func TestLibraryExplicit(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	t.Setenv(LibraryEnv, missing)
	if _, err := Library(); err == nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Library with $%s=%s (missing): %v; want an ErrUnavailable error naming it", LibraryEnv, missing, err)
	}
	present := filepath.Join(t.TempDir(), "lib.so")
	if err := os.WriteFile(present, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(LibraryEnv, present)
	if got, err := Library(); err != nil || got != present {
		t.Errorf("Library = %q, %v; want %q from $%s", got, err, present, LibraryEnv)
	}
	// SetLibrary (--ort-lib) comes before the environment.
	SetLibrary(missing)
	defer SetLibrary("")
	if _, err := Library(); err == nil || !strings.Contains(err.Error(), "--ort-lib") {
		t.Errorf("Library with SetLibrary(%s) (missing) = %v; want an error naming --ort-lib", missing, err)
	}
}

func TestLibraryNotFoundNamesPlaces(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	t.Setenv("PATH", "") // no npm
	t.Setenv("NPM_CONFIG_PREFIX", t.TempDir())
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	c := candidates()
	for _, p := range c {
		if regularFile(p) == nil {
			t.Skipf("a library is installed system-wide at %s", p)
		}
	}
	_, err := Library()
	if err == nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Library = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{LibraryEnv, "/usr/local/lib/node_modules/onnxruntime-node", "/usr/lib/x86_64-linux-gnu", "npm install -g --ignore-scripts onnxruntime-node@1.30.0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLibraryInstalled(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	lib, err := Library()
	peer.Require(t, err)
	if filepath.Base(lib) != "libonnxruntime.so.1" {
		t.Errorf("Library = %s, want a libonnxruntime.so.1", lib)
	}
}
