package onnx_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeSamplesAreExamples checks that every Go code block of the
// README is a part of an Example test, line by line, so that the README's
// code compiles and runs as shown.
func TestReadmeSamplesAreExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob("../*/*/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../*/example_test.go")
	examples = append(examples, more...)
	have := map[string]bool{}
	for _, f := range examples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			have[strings.TrimSpace(l)] = true
		}
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README has no Go code blocks")
	}
	for i, b := range blocks {
		for _, l := range strings.Split(b[1], "\n") {
			if l = strings.TrimSpace(l); l != "" && !have[l] {
				t.Errorf("README Go block %d: line %q is in no Example test (%d files read)", i+1, l, len(examples))
			}
		}
	}
}
