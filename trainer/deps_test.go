package trainer

import (
	"os/exec"
	"strings"
	"testing"
)

// Importing trainer must not link the 11.6 MB MNIST copy: only programs
// that import trainer/mnist/embedded carry it.
func TestNoEmbeddedMNISTInDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".", "./mnist").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/onnxkit/onnxkit/testdata" || strings.HasSuffix(p, "/trainer/mnist/embedded") {
			t.Errorf("trainer or trainer/mnist depends on %s", p)
		}
	}
}
