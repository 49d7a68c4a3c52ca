package ops

import (
	"errors"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// opset18Changed are the ai.onnx operators that got a new version at
// opset 18 (ONNX 1.13), by the ONNX changelog.
var opset18Changed = []string{
	"BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "CenterCropPad", "Col2Im",
	"GroupNormalization", "LpPool", "Mish", "OptionalGetElement", "OptionalHasElement",
	"Pad", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
	"ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare", "Resize",
	"ScatterElements", "ScatterND", "Split",
}

func TestOpset18Schemas(t *testing.T) {
	if got := MaxOpset(""); got != 18 {
		t.Fatalf("MaxOpset(ai.onnx) = %d, want 18", got)
	}
	if opset18Merged != len(opset18Changed) {
		t.Errorf("%d opset-18 rows merged, want %d", opset18Merged, len(opset18Changed))
	}
	for _, op := range opset18Changed {
		k := opKey{"", op}
		s, _ := schemaAt(k, 18)
		if s == nil || s.since != 18 {
			t.Errorf("%s: no version 18 in effect at opset 18", op)
			continue
		}
		// The operator at opset 17 is an older version or does not exist.
		if old, _ := schemaAt(k, 17); old != nil && old.since >= 18 {
			t.Errorf("%s: version %d in effect at opset 17", op, old.since)
		}
		// At opset 18 the operator runs its version-18 implementation or is
		// unsupported, never an older implementation.
		_, since, err := Lookup("", op, 18)
		switch {
		case err == nil && since != 18:
			t.Errorf("%s at opset 18 resolves to version %d", op, since)
		case err != nil && (!errors.Is(err, tensors.ErrUnsupported) || !strings.Contains(err.Error(), "version 18")):
			t.Errorf("%s at opset 18: %v (want an unsupported error naming version 18)", op, err)
		}
	}
	// Spot checks of the hand-written rows against the changelog.
	checks := []struct {
		op                           string
		minIn, maxIn, minOut, maxOut int
		attr                         string
	}{
		{"Pad", 2, 4, 1, 1, "mode"},
		{"Split", 1, 2, 1, maxVariadic, "num_outputs"},
		{"ReduceMean", 1, 2, 1, 1, "noop_with_empty_axes"},
		{"OptionalHasElement", 0, 1, 1, 1, ""},
		{"Resize", 1, 4, 1, 1, "keep_aspect_ratio_policy"},
		{"LpPool", 1, 1, 1, 1, "ceil_mode"},
	}
	for _, c := range checks {
		s, _ := schemaAt(opKey{"", c.op}, 18)
		if s.minIn != c.minIn || s.maxIn != c.maxIn || s.minOut != c.minOut || s.maxOut != c.maxOut || (c.attr != "" && !s.attrs[c.attr]) {
			t.Errorf("%s-18: %+v", c.op, *s)
		}
		if s.attrs["axes"] && strings.HasPrefix(c.op, "Reduce") {
			t.Errorf("%s-18 still has the axes attribute", c.op)
		}
	}
	// Unchanged operators keep their older versions at opset 18.
	for op, want := range map[string]int{"ReduceSum": 13, "Slice": 13, "Reshape": 14, "Concat": 13, "Shape": 15} {
		if s, _ := schemaAt(opKey{"", op}, 18); s == nil || s.since != want {
			t.Errorf("%s at opset 18: %+v, want version %d", op, s, want)
		}
	}
}

func TestLookupShapeOpVersions(t *testing.T) {
	for _, c := range []struct {
		op          string
		opset, want int
	}{
		{"ReduceMean", 17, 13}, {"ReduceMean", 18, 18}, {"ReduceMax", 12, 12}, {"ReduceMax", 18, 18},
		{"ReduceSum", 12, 11}, {"ReduceSum", 18, 13},
		{"Pad", 10, 2}, {"Pad", 17, 13}, {"Pad", 18, 18},
		{"Split", 12, 11}, {"Split", 17, 13}, {"Split", 18, 18},
		{"Slice", 9, 1}, {"Slice", 18, 13}, {"Squeeze", 12, 11}, {"Unsqueeze", 18, 13},
		{"Flatten", 10, 9}, {"Gather", 7, 1}, {"Expand", 12, 8}, {"Tile", 7, 6},
		{"ConstantOfShape", 18, 9}, {"ArgMax", 12, 12}, {"Transpose", 18, 13}, {"Concat", 7, 4},
	} {
		_, since, err := Lookup("", c.op, c.opset)
		if err != nil || since != c.want {
			t.Errorf("Lookup(%s, %d) = %d, %v; want %d", c.op, c.opset, since, err, c.want)
		}
	}
	// Tile-1 (a single axis) serves opsets 1 to 5.
	if _, since, err := Lookup("", "Tile", 5); err != nil || since != 1 {
		t.Errorf("Tile at opset 5: version %d, %v; want 1", since, err)
	}
}

func TestMergeSchemasKeepsGenerated(t *testing.T) {
	table := map[opKey][]schema{{"", "Foo"}: {{since: 1}, {since: 18, minIn: 7}}}
	maxv := map[string]int{"": 17}
	n := mergeSchemas(table, maxv, "", "Foo 18 0 1 1 1 1 -\nBar 18 0 2 2 1 1 a,b\n")
	foo, bar := table[opKey{"", "Foo"}], table[opKey{"", "Bar"}]
	if n != 1 || len(foo) != 2 || foo[1].minIn != 7 || len(bar) != 1 || !bar[0].attrs["b"] || maxv[""] != 18 {
		t.Errorf("merge: n=%d foo=%+v bar=%+v max=%d", n, foo, bar, maxv[""])
	}
}
