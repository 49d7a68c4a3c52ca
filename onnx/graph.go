package onnx

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
)

// graph is a validated, compiled graph. It is never modified after
// building, so any number of runs may use it at once.
type graph struct {
	names    []string            // slot -> value name
	slots    map[string]int      // value name -> slot
	consts   []*Tensor           // slot -> value known at load time, or nil
	defaults []*Tensor           // slot -> initializer of an overridable graph input, or nil
	types    []ops.Type          // slot -> static type (declarations of graph inputs, inference)
	declared map[string]ops.Type // types declared in value_info, for display only
	inputs   []ValueInfo         // graph inputs, in order
	inSlot   []int               // slot of each graph input
	inIndex  map[string]int      // graph input name -> index in inputs
	outputs  []ValueInfo         // graph outputs, in order
	outSlot  []int
	steps    []*step // nodes to run, in topological order
	producer []int   // slot -> index in steps of the node computing it, or -1
	base     *plan   // plan for the graph outputs
	// fused maps a step to the fused step that can replace it and the
	// steps after it that it absorbs (see fuse), or has step -1.
	fused []fusion
	// baked lists the overridable inputs whose defaults fused steps hold
	// as constants; unfused is the plan for the graph outputs that runs
	// when the caller overrides one of them.
	baked   []int
	unfused *plan
}

// fusion is a convolution and the nodes after it that it can compute in
// the same pass: the Add of a per-channel constant (as its bias) and a
// Relu.
type fusion struct {
	step     int   // the fused step, or -1
	absorbed []int // the steps it stands for besides the convolution
	inner    []int // the values it does not compute: they must not be fetched
}

// step is one compiled node.
type step struct {
	c    *ops.Compiled
	desc string
	in   []int // slot per input, -1 if omitted
	out  []int // slot per output, -1 if omitted
}

// builder holds what a graph build needs besides the graph itself.
type builder struct {
	g      *graph
	opsets map[string]int
	decode func(*onnxpb.TensorProto) (*Tensor, error)
	mem    *loadBudget // bytes of initializers and folded constants
	// warned maps each load-time warning to the nodes it concerns, in the
	// order first seen (warnOrder).
	warned    map[string][]string
	warnOrder []string
}

// warn records a load-time warning about a node.
func (b *builder) warn(msg, desc string) {
	if b.warned == nil {
		b.warned = map[string][]string{}
	}
	if _, ok := b.warned[msg]; !ok {
		b.warnOrder = append(b.warnOrder, msg)
	}
	b.warned[msg] = append(b.warned[msg], desc)
}

func (b *builder) slot(name string) int {
	if s, ok := b.g.slots[name]; ok {
		return s
	}
	return b.g.newSlot(name)
}

// newSlot adds a slot for a value of that name, with no producer, constant
// or type yet.
func (g *graph) newSlot(name string) int {
	s := len(g.names)
	g.slots[name] = s
	g.names = append(g.names, name)
	g.consts = append(g.consts, nil)
	g.defaults = append(g.defaults, nil)
	g.types = append(g.types, ops.Type{})
	g.producer = append(g.producer, -1)
	return s
}

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

// typeFromProto converts a declared value type. A missing type is unknown;
// non-tensor types and unsupported element types are ErrUnsupported.
func typeFromProto(tp *onnxpb.TypeProto) (ops.Type, error) {
	if tp == nil {
		return ops.Type{}, nil
	}
	var kind string
	switch tp.GetValue().(type) {
	case *onnxpb.TypeProto_TensorType:
	case *onnxpb.TypeProto_SequenceType:
		kind = "sequence"
	case *onnxpb.TypeProto_MapType:
		kind = "map"
	case *onnxpb.TypeProto_OptionalType:
		kind = "optional"
	case *onnxpb.TypeProto_SparseTensorType:
		kind = "sparse tensor"
	case nil:
		return ops.Type{}, nil
	}
	if kind != "" {
		return ops.Type{}, fmt.Errorf("%s values: %w", kind, ErrUnsupported)
	}
	tt := tp.GetTensorType()
	t := ops.Type{DType: ops.DType(tt.GetElemType())}
	if t.DType != ops.Undefined && !t.DType.Supported() {
		return ops.Type{}, fmt.Errorf("element type %v: %w", t.DType, ErrUnsupported)
	}
	if sh := tt.GetShape(); sh != nil {
		t.RankKnown = true
		t.Dims = make([]ops.Dim, len(sh.GetDim()))
		for i, d := range sh.GetDim() {
			switch v := d.GetValue().(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				if v.DimValue < 0 || v.DimValue > ops.MaxElements {
					return ops.Type{}, fmt.Errorf("dimension %d is %d", i, v.DimValue)
				}
				t.Dims[i] = ops.Dim{Size: int(v.DimValue)}
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				t.Dims[i] = ops.Dim{Size: -1, Param: v.DimParam}
			default:
				t.Dims[i] = ops.UnknownDim
			}
		}
	}
	return t, nil
}

// buildGraph validates a model's main graph and compiles its nodes.
func buildGraph(gp *onnxpb.GraphProto, opsets map[string]int, decode func(*onnxpb.TensorProto) (*Tensor, error), mem *loadBudget) (*graph, error) {
	if gp == nil {
		return nil, invalid(errors.New("model has no graph"))
	}
	b := &builder{g: &graph{slots: map[string]int{}}, opsets: opsets, decode: decode, mem: mem}
	g := b.g
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("sparse initializer %q: %w", gp.GetSparseInitializer()[0].GetValues().GetName(), ErrUnsupported)
	}

	// Initializers.
	inits := map[string]*Tensor{}
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
		t, err := typeFromProto(vi.GetType())
		if err != nil {
			return nil, invalid(fmt.Errorf("graph input %q: %w", name, err))
		}
		s := b.slot(name)
		info := ValueInfo{Name: name, Type: t}
		if def := inits[name]; def != nil {
			if t.DType != ops.Undefined && t.DType != def.DType() {
				return nil, invalid(fmt.Errorf("graph input %q is declared %v but its initializer is %v", name, t.DType, def.DType()))
			}
			info.HasDefault = true
			g.defaults[s] = def
			// Callers may feed another shape: only the declaration (checked
			// at run time) and the element type are certain.
			if t.DType == ops.Undefined {
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
			g.types[s] = ops.TypeOf(g.consts[s])
		}
	}

	// Node outputs: each name is defined once in the whole graph.
	nodes := gp.GetNode()
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
	g.declared = map[string]ops.Type{}
	for _, vi := range gp.GetValueInfo() {
		if t, err := typeFromProto(vi.GetType()); err == nil {
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
		t, err := typeFromProto(vi.GetType())
		if err != nil {
			return nil, invalid(fmt.Errorf("graph output %q: %w", name, err))
		}
		if g.types[s].DType != ops.Undefined || g.types[s].RankKnown {
			t = g.types[s]
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

// fuse finds the convolutions that can compute, in the same pass, the
// nodes that alone read their output: an Add of a per-channel constant
// (which becomes the convolution's bias, when it has none) and then a
// Relu (ops.Compiled.WithRelu). For each it adds a step that does; plans
// run it in place of the separate steps when they do not fetch the values
// in between. This is the fusion onnxruntime does for Conv, Add and Relu.
func (g *graph) fuse() {
	g.fused = make([]fusion, len(g.steps))
	for i := range g.fused {
		g.fused[i].step = -1
	}
	readers := make([][]int, len(g.names))
	for i, st := range g.steps {
		for _, s := range st.in {
			if s >= 0 && !slices.Contains(readers[s], i) {
				readers[s] = append(readers[s], i)
			}
		}
	}
	isOut := make([]bool, len(g.names))
	for _, s := range g.outSlot {
		isOut[s] = true
	}
	// next returns the one step reading slot s when it is a standard op
	// of the given type and s is no graph output, or nil.
	next := func(s int, op string) (int, *step) {
		if isOut[s] || len(readers[s]) != 1 {
			return -1, nil
		}
		r := g.steps[readers[s][0]]
		if r.c.Node.Type != op || r.c.Node.Domain != "" || len(r.out) != 1 || r.out[0] < 0 {
			return -1, nil
		}
		return readers[s][0], r
	}
	for i, st := range g.steps { // the steps before the ones appended below
		if st.c.Node.Type != "Conv" || st.c.Node.Domain != "" || len(st.out) != 1 || st.out[0] < 0 {
			continue
		}
		f := fusion{step: -1}
		in, cur, kern := st.in, st.out[0], st.c.Recycling
		if len(in) < 3 || in[2] < 0 {
			if j, add := next(cur, "Add"); add != nil {
				if bias, baked := g.channelBias(add, cur); bias >= 0 {
					if baked >= 0 && !slices.Contains(g.baked, baked) {
						g.baked = append(g.baked, baked)
					}
					in = []int{in[0], in[1], bias}
					f.absorbed, f.inner = append(f.absorbed, j), append(f.inner, cur)
					cur = add.out[0]
				}
			}
		}
		if st.c.WithRelu != nil {
			if j, relu := next(cur, "Relu"); relu != nil && len(relu.in) == 1 {
				kern = st.c.WithRelu
				f.absorbed, f.inner = append(f.absorbed, j), append(f.inner, cur)
				cur = relu.out[0]
			}
		}
		if len(f.absorbed) == 0 || kern == nil {
			continue
		}
		desc := st.desc
		for _, j := range f.absorbed {
			desc += " with " + g.steps[j].desc
		}
		f.step = len(g.steps)
		g.fused[i] = f
		g.steps = append(g.steps, &step{
			c:    &ops.Compiled{Node: st.c.Node, Op: st.c.Op, Recycling: kern, Kernel: withoutLast(kern)},
			desc: desc,
			in:   in,
			out:  []int{cur},
		})
	}
}

// channelBias returns a constant slot holding the bias vector that add, an
// Add of the convolution output in and a constant, adds: the constant must
// have one value per output channel (shape [M,1,…] or [1,M,1,…] against the
// output [N,M,…]) of the output's element type. It returns -1 when add is
// no such Add. The constant may be the default of an overridable input (an
// initializer listed as a graph input, as in IR version 3): baked is then
// that input's slot, for the plans without fusion to serve the runs that
// override it (see overridesBaked); otherwise baked is -1.
func (g *graph) channelBias(add *step, in int) (s, baked int) {
	if len(add.in) != 2 {
		return -1, -1
	}
	other := add.in[0]
	if other == in {
		other = add.in[1]
	}
	if other < 0 || other == in {
		return -1, -1
	}
	c, out := g.consts[other], g.types[in]
	baked = -1
	if c == nil && g.defaults[other] != nil {
		c, baked = g.defaults[other], other
	}
	if c == nil || !out.RankKnown || len(out.Dims) < 3 || !out.Dims[1].Known() || c.DType() != out.DType {
		return -1, -1
	}
	shape := c.Shape()
	if len(shape) > len(out.Dims) || len(shape) < len(out.Dims)-1 {
		return -1, -1
	}
	lead := len(out.Dims) - len(shape) // 0 or 1 missing leading axes
	for k, d := range shape {
		want := 1
		if k+lead == 1 {
			want = out.Dims[1].Size
		}
		if d != want {
			return -1, -1
		}
	}
	v, err := c.Reshape(out.Dims[1].Size)
	if err != nil {
		return -1, -1
	}
	name := fmt.Sprintf("onnxkit/fused-bias/%d", len(g.names))
	for _, taken := g.slots[name]; taken; _, taken = g.slots[name] {
		name += "'" // a model's own value of that name
	}
	s = g.newSlot(name)
	g.consts[s] = v
	g.types[s] = ops.Type{DType: c.DType(), RankKnown: true, Dims: []ops.Dim{out.Dims[1]}}
	return s, baked
}

// withoutLast is the plain kernel of a recycling one.
func withoutLast(f ops.RecyclingKernel) ops.Kernel {
	return func(in []*Tensor) ([]*Tensor, error) { return f(in, nil) }
}

// topoSort orders the nodes so that each comes after the producers of its
// inputs, keeping the file's order where it already is one. A cycle is an
// error naming the nodes on it.
func topoSort(nodes []*onnxpb.NodeProto, producedBy map[string]int, desc []string) ([]int, error) {
	waiting := make([]int, len(nodes))
	consumers := make([][]int, len(nodes))
	for i, np := range nodes {
		for _, in := range np.GetInput() {
			if p, ok := producedBy[in]; ok && in != "" {
				waiting[i]++
				consumers[p] = append(consumers[p], i)
			}
		}
	}
	order := make([]int, 0, len(nodes))
	for i := range nodes {
		if waiting[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, c := range consumers[order[k]] {
			if waiting[c]--; waiting[c] == 0 {
				order = append(order, c)
			}
		}
	}
	if len(order) == len(nodes) {
		return order, nil
	}
	// Walk back from a blocked node through blocked producers until a node
	// repeats: the nodes from its first visit on form a cycle.
	start := -1
	for i := range nodes {
		if waiting[i] > 0 {
			start = i
			break
		}
	}
	pos := map[int]int{}
	var path []int
	for cur := start; ; {
		if p, seen := pos[cur]; seen {
			path = path[p:]
			break
		}
		pos[cur] = len(path)
		path = append(path, cur)
		next := -1
		for _, in := range nodes[cur].GetInput() {
			if p, ok := producedBy[in]; ok && in != "" && waiting[p] > 0 {
				next = p
				break
			}
		}
		if next < 0 { // cannot happen: a blocked node has a blocked producer
			break
		}
		cur = next
	}
	names := make([]string, len(path))
	for i, n := range path {
		names[len(path)-1-i] = desc[n]
	}
	return nil, fmt.Errorf("graph has a cycle: %s -> %s", strings.Join(names, " -> "), names[0])
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
		Const: func(name string) *Tensor {
			if s, ok := g.slots[name]; ok {
				return g.consts[s]
			}
			return nil
		},
		Type: func(name string) ops.Type {
			if s, ok := g.slots[name]; ok {
				return g.types[s]
			}
			return ops.Type{}
		},
		Decode: b.decode,
		Warn:   func(msg string) { b.warn(msg, desc) },
	}
	var c *ops.Compiled
	err := guard(desc, "prepare", func() (err error) {
		c, err = ops.Compile(np, env)
		return err
	})
	if err != nil {
		return invalid(fmt.Errorf("%s: %w", desc, err))
	}
	st := &step{c: c, desc: desc, in: make([]int, len(np.GetInput())), out: make([]int, len(np.GetOutput()))}
	inTypes := make([]ops.Type, len(st.in))
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
	var outTypes []ops.Type
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
	if allConst && !c.Op.Volatile {
		in := make([]*Tensor, len(st.in))
		for i, s := range st.in {
			if s >= 0 {
				in[i] = g.consts[s]
			}
		}
		out, err := st.run(in, nil, false)
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
				g.types[s] = ops.TypeOf(out[i])
			}
		}
		return nil
	}
	for _, s := range st.out {
		if s >= 0 {
			g.producer[s] = len(g.steps)
		}
	}
	g.steps = append(g.steps, st)
	return nil
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

// run calls the kernel, turning a panic into an ErrInternal error, and
// checks what it returns.
//
// With recycle set and a kernel that can, the kernel reuses last, the
// results of its previous call in the same session (see ops.Recycling).
func (st *step) run(in, last []*Tensor, recycle bool) (out []*Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &classed{fmt.Errorf("%s: kernel panicked: %v", st.desc, r), ErrInternal}
		}
	}()
	if recycle && st.c.Recycling != nil {
		out, err = st.c.Recycling(in, last)
	} else {
		out, err = st.c.Kernel(in)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.desc, err)
	}
	for i, s := range st.out {
		if s < 0 {
			continue
		}
		if i >= len(out) || out[i] == nil {
			return nil, &classed{fmt.Errorf("%s: kernel returned no tensor for output %d", st.desc, i), ErrInternal}
		}
		if err := out[i].Check(); err != nil {
			return nil, &classed{fmt.Errorf("%s: output %d: %w", st.desc, i, err), ErrInternal}
		}
	}
	return out, nil
}

// plan lists the steps needed to compute some values and when
// intermediate values can be dropped.
type plan struct {
	steps   []int   // indexes into graph.steps, in order
	release [][]int // per planned step: slots no longer needed after it
	needIn  []int   // indexes into graph.inputs of inputs without default the plan reads
}

// fusable reports whether a plan needing the steps need and fetching the
// values keep may run f in place of the steps it stands for.
func (g *graph) fusable(f fusion, need, keep []bool) bool {
	for _, j := range f.absorbed {
		if !need[j] {
			return false
		}
	}
	for _, s := range f.inner {
		if keep[s] {
			return false
		}
	}
	return true
}

// overridesBaked reports whether inputs override the default of an input
// that fused steps hold as a constant: such a run takes the plans without
// fusion.
func (g *graph) overridesBaked(inputs map[string]*Tensor) bool {
	for _, s := range g.baked {
		if _, ok := inputs[g.names[s]]; ok {
			return true
		}
	}
	return false
}

// makePlan plans the steps computing the values fetch, with the fused steps
// (see fuse) in place of the ones they stand for when fuse is set.
func (g *graph) makePlan(fetch []int, fuse bool) *plan {
	need := make([]bool, len(g.steps))
	used := make([]bool, len(g.names))
	stack := append([]int{}, fetch...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if used[s] {
			continue
		}
		used[s] = true
		if p := g.producer[s]; p >= 0 && !need[p] {
			need[p] = true
			for _, in := range g.steps[p].in {
				if in >= 0 {
					stack = append(stack, in)
				}
			}
		}
	}
	keep := make([]bool, len(g.names))
	for _, s := range fetch {
		keep[s] = true
	}
	p := &plan{}
	for i, ok := range need {
		if !ok {
			continue
		}
		if fuse && i < len(g.fused) && g.fused[i].step >= 0 && g.fusable(g.fused[i], need, keep) {
			// The convolution and the steps it absorbs as one step, where
			// the convolution was.
			for _, j := range g.fused[i].absorbed {
				need[j] = false
			}
			p.steps = append(p.steps, g.fused[i].step)
			continue
		}
		p.steps = append(p.steps, i)
	}
	last := make([]int, len(g.names))
	for i := range last {
		last[i] = -1
	}
	for k, si := range p.steps {
		for _, s := range g.steps[si].in {
			if s >= 0 {
				last[s] = k
			}
		}
	}
	p.release = make([][]int, len(p.steps))
	for s, k := range last {
		if k >= 0 && !keep[s] && g.consts[s] == nil {
			p.release[k] = append(p.release[k], s)
		}
	}
	for i, s := range g.inSlot {
		if used[s] && g.defaults[s] == nil {
			p.needIn = append(p.needIn, i)
		}
	}
	return p
}
