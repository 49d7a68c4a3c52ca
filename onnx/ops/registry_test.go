package ops

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestLookupResolvesVersions(t *testing.T) {
	for _, c := range []struct {
		op          string
		opset, want int
	}{
		{"Relu", 6, 6}, {"Relu", 12, 6}, {"Relu", 13, 13}, {"Relu", 17, 14},
		{"Add", 6, 6}, {"Add", 8, 7}, {"Add", 14, 14},
		{"Reshape", 4, 1}, {"Reshape", 5, 5}, {"Reshape", 16, 14},
		{"Shape", 14, 13}, {"Shape", 15, 15},
	} {
		_, since, err := Lookup("", c.op, c.opset)
		if err != nil || since != c.want {
			t.Errorf("Lookup(%s, %d) = %d, %v; want %d", c.op, c.opset, since, err, c.want)
		}
		if _, since2, _ := Lookup("ai.onnx", c.op, c.opset); since2 != since {
			t.Errorf("domain ai.onnx resolves %s differently", c.op)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	cases := []struct {
		domain, op  string
		opset       int
		want        []string
		unsupported bool
	}{
		{TrainingDomain, "Gradient", 1, []string{"Gradient", "version 1", "opset 1", "not implemented", "no graph autodiff"}, true},
		{"", "NoSuchOp", 13, []string{"NoSuchOp is not an operator of ai.onnx"}, false},
		{"", "Shape", 0, []string{"does not exist at ai.onnx opset 0"}, false},
		{"", "Upsample", 10, []string{"deprecated"}, false},
		{"com.example", "Foo", 1, []string{"Foo", "com.example", "not implemented"}, true},
		{"ai.onnx.ml", "LinearClassifier", 1, []string{"LinearClassifier", "not implemented"}, true},
	}
	for _, c := range cases {
		_, _, err := Lookup(c.domain, c.op, c.opset)
		if err == nil {
			t.Errorf("Lookup(%q, %s, %d) succeeded", c.domain, c.op, c.opset)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Lookup(%q, %s, %d): %q lacks %q", c.domain, c.op, c.opset, err, w)
			}
		}
		if errors.Is(err, tensors.ErrUnsupported) != c.unsupported {
			t.Errorf("Lookup(%q, %s, %d): ErrUnsupported = %v, want %v", c.domain, c.op, c.opset, !c.unsupported, c.unsupported)
		}
	}
}

// A registration must not serve an opset where a newer, unregistered
// version of the operator is in effect.
func TestLookupRefusesStaleVersion(t *testing.T) {
	const domain = "test.stale"
	k := opKey{domain, "Thing"}
	schemas[k] = []schema{{since: 1, maxIn: 1, maxOut: 1}, {since: 5, maxIn: 1, maxOut: 1}}
	maxOpset[domain] = 5
	defer func() { delete(schemas, k); delete(maxOpset, domain); delete(registry, k) }()
	Register(Op{Domain: domain, Type: "Thing", Since: []int{1}, Prepare: func(*Node) (Kernel, error) { return nil, nil }})
	if _, v, err := Lookup(domain, "Thing", 4); err != nil || v != 1 {
		t.Errorf("opset 4: %d %v", v, err)
	}
	_, _, err := Lookup(domain, "Thing", 5)
	if err == nil || !strings.Contains(err.Error(), "implemented versions: 1") || !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("opset 5: %v", err)
	}
}

func TestRegisterPanicsOnMistakes(t *testing.T) {
	prep := func(*Node) (Kernel, error) { return nil, nil }
	for name, op := range map[string]Op{
		"unknown version": {Type: "Relu", Since: []int{7}, Prepare: prep},
		"duplicate":       {Type: "Relu", Since: []int{14}, Prepare: prep},
		"not an op":       {Type: "Bogus", Since: []int{1}, Prepare: prep},
		"no prepare":      {Type: "Abs", Since: []int{13}},
		"no versions":     {Type: "Abs", Prepare: prep},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			Register(op)
		}()
	}
}

// TestRegisteredVersionsAreSchemaVersions cross-checks the whole registry
// against the ONNX operator definitions.
func TestRegisteredVersionsAreSchemaVersions(t *testing.T) {
	regs := Registered()
	if len(regs) == 0 {
		t.Fatal("no operators registered")
	}
	for _, r := range regs {
		if !IsStandardDomain(r.Domain) {
			continue
		}
		found := false
		for _, v := range schemaVersions(opKey{r.Domain, r.Type}) {
			found = found || v == r.Since
		}
		if !found {
			t.Errorf("%s version %d is not an ONNX version of the operator", r.Type, r.Since)
		}
	}
	if MaxOpset("") != 18 || MaxOpset("ai.onnx") != 18 {
		t.Errorf("MaxOpset = %d, want 18 (schemas.txt from ONNX 1.12 plus the opset-18 additions)", MaxOpset(""))
	}
}

func attr(name string, typ onnxpb.AttributeProto_AttributeType, set func(*onnxpb.AttributeProto)) *onnxpb.AttributeProto {
	a := &onnxpb.AttributeProto{Name: name, Type: typ}
	if set != nil {
		set(a)
	}
	return a
}

func TestAttrs(t *testing.T) {
	a, err := NewAttrs([]*onnxpb.AttributeProto{
		attr("axis", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(-2) }),
		attr("perm", onnxpb.AttributeProto_INTS, func(a *onnxpb.AttributeProto) { a.Ints = []int64{1, 0} }),
		attr("alpha", onnxpb.AttributeProto_FLOAT, func(a *onnxpb.AttributeProto) { a.F = proto.Float32(0.5) }),
		attr("mode", onnxpb.AttributeProto_STRING, func(a *onnxpb.AttributeProto) { a.S = []byte("edge") }),
		attr("extra", onnxpb.AttributeProto_INT, nil),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := a.Int("axis", 1); v != -2 {
		t.Errorf("Int = %d", v)
	}
	if v := a.Int("missing", 7); v != 7 {
		t.Errorf("default Int = %d", v)
	}
	if v := a.Ints("perm", nil); len(v) != 2 || v[0] != 1 {
		t.Errorf("Ints = %v", v)
	}
	if v := a.Float("alpha", 0); v != 0.5 {
		t.Errorf("Float = %v", v)
	}
	if v := a.Enum("mode", "constant", "constant", "edge"); v != "edge" {
		t.Errorf("Enum = %q", v)
	}
	if a.Err() != nil {
		t.Fatalf("unexpected error %v", a.Err())
	}
	if un := a.Unread(); len(un) != 1 || un[0] != "extra" {
		t.Errorf("Unread = %v, want [extra]", un)
	}
	a.Ignore("extra")
	if un := a.Unread(); len(un) != 0 {
		t.Errorf("Unread after Ignore = %v", un)
	}

	// Wrong type: sticky error naming the attribute and both types.
	if v := a.Float("axis", 3); v != 3 {
		t.Errorf("wrong-type getter returned %v, want the default", v)
	}
	a.Ints("missing2", nil)
	if err := a.Err(); err == nil || !strings.Contains(err.Error(), `"axis"`) || !strings.Contains(err.Error(), "INT") || !strings.Contains(err.Error(), "FLOAT") {
		t.Errorf("type error: %v", err)
	}

	b, _ := NewAttrs([]*onnxpb.AttributeProto{attr("mode", onnxpb.AttributeProto_STRING, func(a *onnxpb.AttributeProto) { a.S = []byte("wrap") })}, nil)
	b.Enum("mode", "constant", "constant", "edge")
	if err := b.Err(); !errors.Is(err, tensors.ErrUnsupported) || !strings.Contains(err.Error(), "wrap") {
		t.Errorf("Enum: %v", err)
	}
	c, _ := NewAttrs(nil, nil)
	c.RequiredInt("to")
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), `required attribute "to"`) {
		t.Errorf("RequiredInt: %v", err)
	}
	d, _ := NewAttrs([]*onnxpb.AttributeProto{attr("keepdims", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(2) })}, nil)
	d.Bool("keepdims", true)
	if d.Err() == nil {
		t.Error("Bool accepted 2")
	}
	if _, err := NewAttrs([]*onnxpb.AttributeProto{attr("x", 2, nil), attr("x", 2, nil)}, nil); err == nil {
		t.Error("duplicate attribute accepted")
	}
}

func node(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Input: in, Output: out, Attribute: attrs}
}

func TestCompileChecks(t *testing.T) {
	env := Env{Opset: 13}
	cases := []struct {
		name string
		np   *onnxpb.NodeProto
		env  Env
		want string
		uns  bool
	}{
		{"too many inputs", node("Relu", []string{"a", "b"}, []string{"y"}), env, "2 inputs, but Relu version 13 takes at most 1", false},
		{"too few inputs", node("Add", []string{"a"}, []string{"y"}), env, "1 inputs, but Add version 13 takes at least 2", false},
		{"required input empty", node("Add", []string{"a", ""}, []string{"y"}), env, "required input 1 of Add version 13 is empty", false},
		{"undefined attribute", node("Relu", []string{"a"}, []string{"y"}, attr("alpha", onnxpb.AttributeProto_FLOAT, nil)), env, `attribute "alpha" is not defined for Relu version 13`, false},
		{"legacy attr ignored", node("Relu", []string{"a"}, []string{"y"}, attr("consumed_inputs", onnxpb.AttributeProto_INTS, nil)), Env{Opset: 1}, "", false},
		{"shape start at 13", node("Shape", []string{"a"}, []string{"y"}, attr("start", onnxpb.AttributeProto_INT, nil)), env, `attribute "start" is not defined for Shape version 13`, false},
		{"sparse constant", node("Constant", nil, []string{"y"}, attr("sparse_value", onnxpb.AttributeProto_SPARSE_TENSOR, nil)), env, "sparse", true},
		{"reshape bad const spec", node("Reshape", []string{"x", "s"}, []string{"y"}), Env{Opset: 13, Const: func(string) *tensors.Tensor { return tensors.Vector[int64](-1, -1) }}, "more than one -1", false},
	}
	for _, c := range cases {
		_, err := Compile(c.np, c.env)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		} else if errors.Is(err, tensors.ErrUnsupported) != c.uns {
			t.Errorf("%s: ErrUnsupported = %v", c.name, !c.uns)
		}
	}
}

// TestUnreadAttributeRejected registers an operator that forgets an
// attribute and checks that Compile refuses nodes setting it.
func TestUnreadAttributeRejected(t *testing.T) {
	const domain = "test.unread"
	k := opKey{domain, "Lazy"}
	defer delete(registry, k)
	Register(Op{Domain: domain, Type: "Lazy", Since: []int{1}, Prepare: func(n *Node) (Kernel, error) {
		n.Attrs.Int("used", 0)
		return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) { return in, nil }, nil
	}})
	np := &onnxpb.NodeProto{OpType: "Lazy", Domain: domain, Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{
		attr("used", onnxpb.AttributeProto_INT, nil), attr("forgotten", onnxpb.AttributeProto_INT, nil),
	}}
	_, err := Compile(np, Env{Opset: 1})
	if err == nil || !strings.Contains(err.Error(), `"forgotten" is not supported`) || !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("err %v", err)
	}
}

func TestFits(t *testing.T) {
	axes := attr("axes", onnxpb.AttributeProto_INTS, func(a *onnxpb.AttributeProto) { a.Ints = []int64{0} })
	sqAttr := node("Squeeze", []string{"x"}, []string{"y"}, axes)
	sqIn := node("Squeeze", []string{"x", "axes"}, []string{"y"})
	for _, c := range []struct {
		np    *onnxpb.NodeProto
		opset int
		ok    bool
	}{
		{sqAttr, 11, true},
		{sqAttr, 13, false}, // axes became an input at version 13
		{sqIn, 11, false},
		{sqIn, 13, true},
		{node("Relu", []string{"x"}, []string{"y"}), 13, true},
		{node("Relu", []string{"x", "z"}, []string{"y"}), 13, false},
		{node("NoSuchOp", []string{"x"}, []string{"y"}), 13, false},
	} {
		err := Fits(c.np, c.opset)
		if (err == nil) != c.ok {
			t.Errorf("Fits(%s %v, opset %d) = %v, want ok=%v", c.np.GetOpType(), c.np.GetInput(), c.opset, err, c.ok)
		}
	}
}
