package onnx

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// readOpsets collects the model's operator set imports.
func readOpsets(mp *onnxpb.ModelProto) (map[string]int, error) {
	opsets := map[string]int{}
	for _, imp := range mp.GetOpsetImport() {
		d := ops.NormalizeDomain(imp.GetDomain())
		if _, dup := opsets[d]; dup {
			return nil, fmt.Errorf("opset of domain %s is imported twice", ops.DomainName(d))
		}
		if imp.GetVersion() < 1 || imp.GetVersion() > 1<<20 {
			return nil, fmt.Errorf("opset of domain %s has invalid version %d", ops.DomainName(d), imp.GetVersion())
		}
		opsets[d] = int(imp.GetVersion())
	}
	if len(opsets) == 0 && mp.GetIrVersion() < 3 {
		opsets[""] = 1 // before IR 3 the default opset was implicit
	}
	return opsets, nil
}

// buildGraph validates a model's main graph and compiles its nodes. With
// fixDefaults, graph inputs backed by an initializer are constants (see
// LoadOptions.ConstantDefaults).
func buildGraph(gp *onnxpb.GraphProto, opsets map[string]int, decode func(*onnxpb.TensorProto) (*tensors.Tensor, error), mem *loadBudget, qdq, fixDefaults bool) (*graph, error) {
	return buildGraphAt(gp, opsets, decode, mem, 0, qdq, fixDefaults)
}

// buildGraphAt is buildGraph for a graph at a subgraph nesting depth.
func buildGraphAt(gp *onnxpb.GraphProto, opsets map[string]int, decode func(*onnxpb.TensorProto) (*tensors.Tensor, error), mem *loadBudget, depth int, qdq, fixDefaults bool) (*graph, error) {
	if gp == nil {
		return nil, invalid(errors.New("model has no graph"))
	}
	b := &builder{g: &graph{slots: map[string]int{}}, opsets: opsets, decode: decode, mem: mem, depth: depth}
	g := b.g
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("sparse initializer %q: %w", gp.GetSparseInitializer()[0].GetValues().GetName(), ErrUnsupported)
	}

	// Initializers.
	inits := map[string]*tensors.Tensor{}
	for _, tp := range gp.GetInitializer() {
		name := tp.GetName()
		if name == "" {
			return nil, invalid(errors.New("initializer without a name"))
		}
		if inits[name] != nil {
			return nil, invalid(fmt.Errorf("initializer %q is defined twice", name))
		}
		t, err := decode(tp)
		if err != nil {
			return nil, invalid(fmt.Errorf("initializer: %w", err))
		}
		if err := mem.charge(t, fmt.Sprintf("initializer %q", name)); err != nil {
			return nil, err
		}
		inits[name] = t
	}

	// Graph inputs; those with an initializer are overridable defaults.
	for _, vi := range gp.GetInput() {
		name := vi.GetName()
		if name == "" {
			return nil, invalid(errors.New("graph input without a name"))
		}
		if _, dup := g.slots[name]; dup {
			return nil, invalid(fmt.Errorf("graph input %q is listed twice", name))
		}
		if fixDefaults && inits[name] != nil {
			continue // a constant, added with the other initializers below
		}
		t, err := tensors.TypeFromProto(vi.GetType())
		if err != nil {
			return nil, invalid(fmt.Errorf("graph input %q: %w", name, err))
		}
		s := b.slot(name)
		info := ValueInfo{Name: name, Type: t}
		if def := inits[name]; def != nil {
			if t.DType != tensors.Undefined && t.DType != def.DType() {
				return nil, invalid(fmt.Errorf("graph input %q is declared %v but its initializer is %v", name, t.DType, def.DType()))
			}
			info.HasDefault = true
			g.defaults[s] = def
			// Callers may feed another shape: only the declaration (checked
			// at run time) and the element type are certain.
			if t.DType == tensors.Undefined {
				t.DType = def.DType()
			}
			g.types[s] = t
		} else {
			g.types[s] = t
		}
		if g.inIndex == nil {
			g.inIndex = map[string]int{}
		}
		g.inIndex[info.Name] = len(g.inputs)
		g.inputs = append(g.inputs, info)
		g.inSlot = append(g.inSlot, s)
	}
	for _, tp := range gp.GetInitializer() {
		if _, isInput := g.slots[tp.GetName()]; !isInput {
			s := b.slot(tp.GetName())
			g.consts[s] = inits[tp.GetName()]
			g.types[s] = tensors.TypeOf(g.consts[s])
		}
	}

	// Quantized patterns in QDQ format run as integer operators (fuse_qdq.go).
	fixed := map[string]*tensors.Tensor{}
	for name, t := range inits {
		if _, isInput := g.inIndex[name]; !isInput {
			fixed[name] = t
		}
	}
	outNames := map[string]bool{}
	for _, vi := range gp.GetOutput() {
		outNames[vi.GetName()] = true
	}
	nodes, microsoft := gp.GetNode(), false
	if qdq {
		nodes, microsoft = fuseQDQ(nodes, fixed, outNames)
		if len(nodes) != len(gp.GetNode()) {
			kept := map[string]bool{}
			for _, np := range nodes {
				for _, o := range np.GetOutput() {
					kept[o] = true
				}
			}
			g.fusedAway = map[string]bool{}
			for _, np := range gp.GetNode() {
				for _, o := range np.GetOutput() {
					if !kept[o] {
						g.fusedAway[o] = true
					}
				}
			}
		}
	}
	if _, ok := b.opsets[ops.DomainMicrosoft]; microsoft && !ok {
		b.opsets = maps.Clone(b.opsets)
		b.opsets[ops.DomainMicrosoft] = 1
	}

	// Node outputs: each name is defined once in the whole graph.
	nodes, err := b.withCaptures(nodes)
	if err != nil {
		return nil, err
	}
	desc := make([]string, len(nodes))
	producedBy := map[string]int{}
	for i, np := range nodes {
		desc[i] = ops.Describe(np, i)
		if np.GetOpType() == "" {
			return nil, invalid(fmt.Errorf("%s has no op_type", desc[i]))
		}
		for _, o := range np.GetOutput() {
			if o == "" {
				continue
			}
			if p, dup := producedBy[o]; dup {
				return nil, invalid(fmt.Errorf("%s: output %q is also produced by %s", desc[i], o, desc[p]))
			}
			if _, isGraphValue := g.slots[o]; isGraphValue {
				return nil, invalid(fmt.Errorf("%s: output %q has the name of a graph input or initializer", desc[i], o))
			}
			producedBy[o] = i
		}
	}
	// Node inputs must be defined somewhere.
	for i, np := range nodes {
		for _, in := range np.GetInput() {
			if in == "" {
				continue
			}
			if _, ok := g.slots[in]; ok {
				continue
			}
			if _, ok := producedBy[in]; !ok {
				return nil, invalid(fmt.Errorf("%s: input %q is not defined (not a graph input, initializer or node output)", desc[i], in))
			}
		}
	}
	order, err := topoSort(nodes, producedBy, desc)
	if err != nil {
		return nil, invalid(err)
	}

	// Types declared for intermediate values are shown by ValueType where
	// inference knows nothing, but never fed to inference or operators:
	// unlike graph inputs they are not checked and may be stale.
	g.declared = map[string]tensors.Type{}
	for _, vi := range gp.GetValueInfo() {
		if t, err := tensors.TypeFromProto(vi.GetType()); err == nil {
			g.declared[vi.GetName()] = t
		}
	}

	for _, i := range order {
		if err := b.addNode(nodes[i], i, desc[i]); err != nil {
			return nil, err
		}
	}
	for _, msg := range b.warnOrder {
		LoadWarning(fmt.Sprintf("%s: %s", strings.Join(b.warned[msg], ", "), msg))
	}
	b.warned, b.warnOrder = nil, nil

	// Graph outputs.
	seen := map[string]bool{}
	for _, vi := range gp.GetOutput() {
		name := vi.GetName()
		if name == "" {
			return nil, invalid(errors.New("graph output without a name"))
		}
		if seen[name] {
			return nil, invalid(fmt.Errorf("graph output %q is listed twice", name))
		}
		seen[name] = true
		s, ok := g.slots[name]
		if !ok {
			return nil, invalid(fmt.Errorf("graph output %q is not computed by any node, input or initializer", name))
		}
		t, err := tensors.TypeFromProto(vi.GetType())
		if err != nil {
			return nil, invalid(fmt.Errorf("graph output %q: %w", name, err))
		}
		switch inf := g.types[s]; {
		case inf.Kind != tensors.TensorKind || inf.RankKnown:
			t = inf
		case inf.DType != tensors.Undefined:
			// The declaration's shape, checked by nothing, completes what
			// inference left unknown.
			if t.Kind != tensors.TensorKind || (t.DType != tensors.Undefined && t.DType != inf.DType) {
				t = tensors.Type{}
			}
			t.DType = inf.DType
		}
		g.outputs = append(g.outputs, ValueInfo{Name: name, Type: t})
		g.outSlot = append(g.outSlot, s)
	}
	g.fuse()
	g.base = g.makePlan(g.outSlot, true)
	if len(g.baked) > 0 {
		g.unfused = g.makePlan(g.outSlot, false)
	}
	return g, nil
}

// checkOpset checks that a node's domain is imported at a version whose
// operator definitions onnxkit knows.
func checkOpset(domain string, opset int, imported bool) error {
	if !imported || opset == 0 {
		return fmt.Errorf("the model does not import an opset for domain %s", ops.DomainName(domain))
	}
	if m := ops.MaxOpset(domain); m > 0 && opset > m {
		return fmt.Errorf("the model imports %s opset %d; onnxkit knows opsets up to %d: %w", ops.DomainName(domain), opset, m, ErrUnsupported)
	}
	return nil
}

// addNode compiles one node, infers its output types and, when all its
// inputs are known at load time, evaluates it once.
func (b *builder) addNode(np *onnxpb.NodeProto, index int, desc string) error {
	g := b.g
	domain := ops.NormalizeDomain(np.GetDomain())
	opset, ok := b.opsets[domain]
	if err := checkOpset(domain, opset, ok); err != nil {
		return invalid(fmt.Errorf("%s: %w", desc, err))
	}
	env := ops.Env{
		Opset: opset,
		Index: index,
		Const: func(name string) *tensors.Tensor {
			if s, ok := g.slots[name]; ok {
				return g.consts[s]
			}
			return nil
		},
		Type: func(name string) tensors.Type {
			if s, ok := g.slots[name]; ok {
				return g.types[s]
			}
			return tensors.Type{}
		},
		Decode: b.decode,
		Warn:   func(msg string) { b.warn(msg, desc) },
		ShapeValue: func(name string) []tensors.Dim {
			if s, ok := g.slots[name]; ok {
				return b.shapeVals[s]
			}
			return nil
		},
	}
	var c *ops.Compiled
	err := guard(desc, "prepare", func() (err error) {
		c, err = b.compile(np, env, desc)
		return err
	})
	if err != nil {
		return invalid(fmt.Errorf("%s: %w", desc, err))
	}
	st := &step{c: c, desc: desc, in: make([]int, len(np.GetInput())), out: make([]int, len(np.GetOutput())), flow: b.flows[c]}
	inTypes := make([]tensors.Type, len(st.in))
	allConst := true
	for i, name := range np.GetInput() {
		st.in[i] = -1
		if name == "" {
			continue
		}
		s := g.slots[name]
		st.in[i] = s
		inTypes[i] = g.types[s]
		if g.consts[s] == nil {
			allConst = false
		}
	}
	if !c.Op.Values {
		for i, t := range inTypes {
			if t.Kind != tensors.TensorKind {
				return invalid(fmt.Errorf("%s: input %d (%q) is a %v; %s takes tensors", desc, i, np.GetInput()[i], t, np.GetOpType()))
			}
		}
	}
	var outTypes []tensors.Type
	err = guard(desc, "shape inference", func() (err error) {
		outTypes, err = c.Infer(inTypes)
		return err
	})
	if err != nil {
		return invalid(fmt.Errorf("%s: shape inference: %w", desc, err))
	}
	for i, name := range np.GetOutput() {
		st.out[i] = -1
		if name == "" {
			continue
		}
		s := b.slot(name)
		st.out[i] = s
		g.types[s] = outTypes[i]
	}
	// In the main graph, whose inputs runs check against their declared
	// shapes, a Shape of a static shape is a constant too, and the
	// entries of other shapes computed from static types are recorded for
	// the inference of the nodes that read them.
	if !allConst && b.depth == 0 && len(st.out) > 0 && st.out[0] >= 0 {
		var v []tensors.Dim
		if err := guard(desc, "shape value inference", func() error { v = c.ShapeValue(inTypes); return nil }); err != nil {
			return invalid(fmt.Errorf("%s: %w", desc, err))
		}
		if v != nil {
			if b.shapeVals == nil {
				b.shapeVals = map[int][]tensors.Dim{}
			}
			b.shapeVals[st.out[0]] = v
		}
	}
	if !allConst && b.depth == 0 {
		var out []*tensors.Tensor
		if err := guard(desc, "static evaluation", func() error { out = c.Static(inTypes); return nil }); err != nil {
			return invalid(fmt.Errorf("%s: %w", desc, err))
		}
		if len(out) == len(st.out) {
			for i, s := range st.out {
				if s >= 0 {
					if err := b.mem.charge(out[i], fmt.Sprintf("%s, evaluated at load time: output %q", desc, np.GetOutput()[i])); err != nil {
						return err
					}
					g.consts[s] = out[i]
					g.types[s] = tensors.TypeOf(out[i])
				}
			}
			return nil
		}
	}
	if allConst && !c.Op.Volatile && !runsLoop(np, 0) {
		in := make([]*tensors.Tensor, len(st.in))
		for i, s := range st.in {
			if s >= 0 {
				in[i] = g.consts[s]
			}
		}
		out, err := st.run(context.Background(), nil, in, nil, false, nil)
		if err != nil {
			return invalid(err)
		}
		for i, s := range st.out {
			if s >= 0 && !sharesData(out[i], in) {
				if err := b.mem.charge(out[i], fmt.Sprintf("%s, evaluated at load time: output %q", desc, np.GetOutput()[i])); err != nil {
					return err
				}
			}
		}
		for i, s := range st.out {
			if s >= 0 {
				g.consts[s] = out[i]
				g.types[s] = tensors.TypeOf(out[i])
			}
		}
		return nil
	}
	if !allConst && b.depth == 0 && st.flow == nil && !c.Op.Volatile && !runsLoop(np, 0) {
		b.assume(st)
	}
	for _, s := range st.out {
		if s >= 0 {
			g.producer[s] = len(g.steps)
		}
	}
	g.steps = append(g.steps, st)
	return nil
}

// assume evaluates at load a step whose inputs are constants and defaults
// of overridable inputs (or values computed from them), recording its
// outputs as the values a run that overrides none of those inputs computes
// (graph.assumed), for fusions to hold as constants: IR version 3 models
// often derive weights from their defaults (a ConstantOfShape of a default
// shape). The step stays in the graph for the runs that override them. An
// evaluation that fails, or whose outputs the memory limit has no room
// for, records nothing: a run may still feed other inputs.
func (b *builder) assume(st *step) {
	g := b.g
	in := make([]*tensors.Tensor, len(st.in))
	var roots []int
	for i, s := range st.in {
		if s < 0 {
			continue
		}
		t, r := g.assumedConst(s)
		if t == nil {
			return
		}
		in[i] = t
		for _, x := range r {
			if !slices.Contains(roots, x) {
				roots = append(roots, x)
			}
		}
	}
	if len(roots) == 0 {
		return
	}
	out, err := st.run(context.Background(), nil, in, nil, false, nil)
	if err != nil {
		return
	}
	var charged int64
	for i, s := range st.out {
		if s >= 0 && !sharesData(out[i], in) {
			if b.mem.charge(out[i], st.desc) != nil {
				b.mem.used -= charged
				return
			}
			charged += tensorBytes(out[i])
		}
	}
	if g.assumed == nil {
		g.assumed = map[int]assumedValue{}
	}
	for i, s := range st.out {
		if s >= 0 {
			g.assumed[s] = assumedValue{t: out[i], roots: roots}
		}
	}
}

// guard runs f, turning a panic (a bug in an operator's Prepare or Infer)
// into an ErrInternal error instead of crashing the caller.
func guard(desc, what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &classed{fmt.Errorf("%s panicked: %v", what, r), ErrInternal}
		}
	}()
	return f()
}
