package peer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	if !filepath.IsAbs(root) {
		t.Errorf("RepoRoot = %q, want an absolute path", root)
	}
	mod, err := moduleOf(filepath.Join(root, "go.mod"))
	if err != nil || mod != ModulePath {
		t.Errorf("go.mod at %s declares %q (err %v), want %q", root, mod, err, ModulePath)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "peer", "doc.go")); err != nil {
		t.Errorf("RepoRoot %s does not contain this package: %v", root, err)
	}
}

func TestRepoRootFromOutside(t *testing.T) {
	dir := t.TempDir()
	// A go.mod of another module must not be mistaken for onnxkit's.
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if root, err := repoRootFrom(dir); err == nil {
		t.Fatalf("repoRootFrom(%s) = %q, want an error", dir, root)
	}
}

func TestFixtures(t *testing.T) {
	dir := Fixtures(t)
	if !filepath.IsAbs(dir) || filepath.Base(dir) != "fixtures" {
		t.Errorf("Fixtures = %q, want an absolute .../fixtures", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	if len(entries) == 0 {
		t.Errorf("%s is empty", dir)
	}
}

// recorder is a testing.TB that records Skipf and Fatalf instead of
// stopping the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	missing := fmt.Errorf("libfoo missing: %w", ErrUnavailable)

	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Require(r, missing)
	if r.failed == "" || r.skipped != "" || !strings.Contains(r.failed, "libfoo missing") {
		t.Errorf("under CI=true: failed=%q skipped=%q, want a failure naming the error", r.failed, r.skipped)
	}

	t.Setenv("CI", "")
	r = &recorder{TB: t}
	Require(r, missing)
	if r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, "libfoo missing") {
		t.Errorf("outside CI: failed=%q skipped=%q, want a skip naming the error", r.failed, r.skipped)
	}

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	Require(r, nil)
	if r.failed != "" || r.skipped != "" {
		t.Errorf("nil error: failed=%q skipped=%q, want neither", r.failed, r.skipped)
	}
}

func TestONNXTestData(t *testing.T) {
	dir, err := ONNXTestData()
	Require(t, err)
	if _, err := os.Stat(filepath.Join(dir, "test_add", "model.onnx")); err != nil {
		t.Errorf("ONNX backend test data at %s lacks test_add: %v", dir, err)
	}
}
