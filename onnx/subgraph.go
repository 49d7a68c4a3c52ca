package onnx

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Subgraphs: the control flow operators If, Loop (loop.go) and Scan
// (scan.go).
//
// An If node holds two graphs, then_branch and else_branch; a Loop or Scan
// node a body. Subgraphs may read values of the enclosing graphs by name
// (outer-scope values). The loader makes those reads explicit:
// withCaptures gives the node one extra, implicit input per outer value
// its subgraphs read (its captures), so that topological sorting, planning
// and constant folding treat them as ordinary inputs. compile then builds
// each subgraph as a graph of its own whose graph inputs are the inputs it
// declares (a body's) followed by the captures it reads, and returns a
// flow kernel that runs it within the enclosing run: with its context,
// checked between nodes and between iterations, and what is left of its
// memory limit.
//
// Subgraphs nest (an If inside a branch) up to MaxSubgraphDepth levels; a
// deeper model is refused at load, naming the node.

// MaxSubgraphDepth is the deepest nesting of subgraphs a model may have.
const MaxSubgraphDepth = 64

func init() {
	registerFlow(ops.Op{Type: "If", Since: []int{1, 11, 13, 16}, Values: true})
}

// registerFlow registers a control flow operator, which only graphs built
// here run (compile builds its subgraphs): its Prepare refuses to serve
// anyone else.
func registerFlow(op ops.Op) {
	op.Prepare = func(n *ops.Node) (ops.Kernel, error) {
		return nil, fmt.Errorf("%s runs only in graphs built by package onnx", op.Type)
	}
	ops.Register(op)
}

// isControlFlow reports whether a node is one of the default domain's
// operators with subgraphs: If, Loop, Scan or SequenceMap.
func isControlFlow(np *onnxpb.NodeProto) bool {
	switch np.GetOpType() {
	case "If", "Loop", "Scan", "SequenceMap":
		return ops.NormalizeDomain(np.GetDomain()) == ""
	}
	return false
}

// withCaptures returns the nodes with every control flow node replaced by a copy
// whose inputs also list its captures. The model's protos are not
// modified.
func (b *builder) withCaptures(nodes []*onnxpb.NodeProto) ([]*onnxpb.NodeProto, error) {
	var out []*onnxpb.NodeProto
	for i, np := range nodes {
		if !isControlFlow(np) {
			continue
		}
		if out == nil {
			out = slices.Clone(nodes)
		}
		if err := b.checkBodyInputs(np); err != nil {
			return nil, invalid(fmt.Errorf("%s: %w", ops.Describe(np, i), err))
		}
		var captures []string
		for _, a := range np.GetAttribute() {
			sub := a.GetG()
			if sub == nil {
				continue
			}
			free, err := freeNames(sub, b.depth+1)
			if err != nil {
				return nil, invalid(fmt.Errorf("%s: attribute %q: %w", ops.Describe(np, i), a.GetName(), err))
			}
			for _, f := range free {
				if !slices.Contains(captures, f) {
					captures = append(captures, f)
				}
			}
		}
		c := &onnxpb.NodeProto{
			Name: np.Name, OpType: np.OpType, Domain: np.Domain, DocString: np.DocString,
			Input:     append(slices.Clone(np.GetInput()), captures...),
			Output:    np.GetOutput(),
			Attribute: np.GetAttribute(),
		}
		if b.declared == nil {
			b.declared = map[*onnxpb.NodeProto]int{}
		}
		b.declared[c] = len(np.GetInput())
		out[i] = c
	}
	if out == nil {
		return nodes, nil
	}
	return out, nil
}

// checkBodyInputs checks that a Loop or Scan body declares one input per
// input of the node (Loop, Scan) or per input after sequence_lens
// (Scan-8), before captures are computed: a body missing an input would
// otherwise read its name from the enclosing graph.
func (b *builder) checkBodyInputs(np *onnxpb.NodeProto) error {
	want := len(np.GetInput())
	switch {
	case np.GetOpType() == "Scan" && b.opsets[""] < 9:
		want--
	case np.GetOpType() != "Loop" && np.GetOpType() != "Scan" && np.GetOpType() != "SequenceMap":
		return nil
	}
	for _, a := range np.GetAttribute() {
		if a.GetName() == "body" && a.GetG() != nil {
			if n := len(a.GetG().GetInput()); n != want {
				return fmt.Errorf("body has %d inputs, the node %d (want one per node input%s)", n, want,
					map[bool]string{true: " after sequence_lens", false: ""}[want != len(np.GetInput())])
			}
		}
	}
	return nil
}

// freeNames lists, in order of first use, the names a graph at the given
// nesting depth reads without defining them: node inputs and graph
// outputs that are neither its inputs, its initializers nor its nodes'
// outputs, including those of the graphs nested in its nodes.
func freeNames(g *onnxpb.GraphProto, depth int) ([]string, error) {
	if depth > MaxSubgraphDepth {
		return nil, fmt.Errorf("subgraphs are nested more than %d deep: %w", MaxSubgraphDepth, tensors.ErrUnsupported)
	}
	defined := map[string]bool{"": true}
	for _, vi := range g.GetInput() {
		defined[vi.GetName()] = true
	}
	for _, t := range g.GetInitializer() {
		defined[t.GetName()] = true
	}
	for _, t := range g.GetSparseInitializer() {
		defined[t.GetValues().GetName()] = true
	}
	for _, n := range g.GetNode() {
		for _, o := range n.GetOutput() {
			defined[o] = true
		}
	}
	var free []string
	use := func(name string) {
		if !defined[name] && !slices.Contains(free, name) {
			free = append(free, name)
		}
	}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			use(in)
		}
		for _, a := range n.GetAttribute() {
			subs := a.GetGraphs()
			if a.GetG() != nil {
				subs = append([]*onnxpb.GraphProto{a.GetG()}, subs...)
			}
			for _, sub := range subs {
				inner, err := freeNames(sub, depth+1)
				if err != nil {
					return nil, err
				}
				for _, name := range inner {
					use(name)
				}
			}
		}
	}
	for _, o := range g.GetOutput() {
		use(o.GetName())
	}
	return free, nil
}

// flowKernel runs a control flow node (If, Loop, Scan) within a run: ctx
// is the run's context, mem its memory budget (nil at load time), fs what
// the node keeps between the runs of a session (nil outside sessions).
type flowKernel func(ctx context.Context, mem *runBudget, in []*tensors.Tensor, fs *flowState) ([]*tensors.Tensor, error)

// flowState is what a control flow step keeps in a Session between runs:
// a session per subgraph, made on first use, whose buffers the
// subgraph's next run reuses, so that an If of a session in steady state
// allocates nothing. The outputs of such a run belong to the subgraph's
// session and stay valid until it runs again, that is until the step's
// next run in the enclosing session, as the enclosing session's own
// values do.
type flowState struct {
	subs  []*Session                 // per subgraph (an If's then_branch, else_branch)
	feeds map[string]*tensors.Tensor // a subgraph run's inputs
	out   []*tensors.Tensor          // the step's result slice
}

// session returns the session of the i-th subgraph, m.
func (fs *flowState) session(i int, m *Model) *Session {
	for len(fs.subs) <= i {
		fs.subs = append(fs.subs, nil)
	}
	if fs.subs[i] == nil {
		fs.subs[i] = m.NewSession()
	}
	return fs.subs[i]
}

// flowInfer gives the static types of a control flow node's outputs from
// those of its inputs and its subgraphs' outputs.
type flowInfer func(in []tensors.Type) []tensors.Type

// compile is ops.Compile, except for the control flow nodes (If, Loop,
// Scan), which it builds here.
func (b *builder) compile(np *onnxpb.NodeProto, env ops.Env, desc string) (*ops.Compiled, error) {
	declared, ok := b.declared[np]
	if !ok {
		return ops.Compile(np, env)
	}
	op, since, err := ops.Lookup(np.GetDomain(), np.GetOpType(), env.Opset)
	if err != nil {
		return nil, err
	}
	node := &ops.Node{
		Name: np.GetName(), Type: np.GetOpType(), Domain: np.GetDomain(),
		Opset: env.Opset, Since: since, Index: env.Index,
		Inputs: np.GetInput(), Outputs: np.GetOutput(), Proto: np,
	}
	var flow flowKernel
	var infer flowInfer
	switch np.GetOpType() {
	case "Loop":
		flow, infer, err = b.compileLoop(np, declared, desc)
	case "Scan":
		flow, infer, err = b.compileScan(np, declared, since, desc)
	case "SequenceMap":
		flow, infer, err = b.compileSequenceMap(np, declared, desc)
	default:
		flow, infer, err = b.compileIf(np, declared, desc)
	}
	if err != nil {
		return nil, err
	}
	// The node's own copy of the operator, inferring its output types
	// from its subgraphs.
	withInfer := *op
	withInfer.Infer = func(_ *ops.Node, in []tensors.Type) ([]tensors.Type, error) { return infer(in), nil }
	op = &withInfer
	c := &ops.Compiled{Node: node, Op: op, Kernel: func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		return flow(context.Background(), nil, in, nil)
	}}
	if b.flows == nil {
		b.flows = map[*ops.Compiled]flowKernel{}
	}
	b.flows[c] = flow
	return c, nil
}

// compileIf builds an If node's branches.
func (b *builder) compileIf(np *onnxpb.NodeProto, declared int, desc string) (flowKernel, flowInfer, error) {
	if declared != 1 || np.GetInput()[0] == "" {
		return nil, nil, fmt.Errorf("If takes exactly one input (cond), the node has %d", declared)
	}
	var thenG, elseG *onnxpb.GraphProto
	for _, a := range np.GetAttribute() {
		switch {
		case a.GetName() == "then_branch" && a.GetType() == onnxpb.AttributeProto_GRAPH:
			thenG = a.GetG()
		case a.GetName() == "else_branch" && a.GetType() == onnxpb.AttributeProto_GRAPH:
			elseG = a.GetG()
		default:
			return nil, nil, fmt.Errorf("attribute %q (%v) is not defined for If", a.GetName(), a.GetType())
		}
	}
	if thenG == nil || elseG == nil {
		return nil, nil, errors.New("required attributes then_branch and else_branch (graphs) must both be set")
	}
	branches := [2]*branch{}
	for i, g := range []*onnxpb.GraphProto{thenG, elseG} {
		name := [...]string{"then_branch", "else_branch"}[i]
		if len(g.GetInput()) > 0 {
			return nil, nil, invalid(fmt.Errorf("%s: an If branch takes no inputs, this one declares %d", name, len(g.GetInput())))
		}
		br, err := b.buildBranch(g, desc+" "+name)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(br.outputs) != len(np.GetOutput()) {
			return nil, nil, invalid(fmt.Errorf("%s has %d outputs, the node %d", name, len(br.outputs), len(np.GetOutput())))
		}
		branches[i] = br
	}
	captures := np.GetInput()[1:]
	limit := b.mem.limit
	infer := func([]tensors.Type) []tensors.Type {
		out := make([]tensors.Type, len(branches[0].outputs))
		for k := range out {
			out[k] = ops.JoinTypes(branches[0].m.g.outputs[k].Type, branches[1].m.g.outputs[k].Type)
		}
		return out
	}
	return func(ctx context.Context, mem *runBudget, in []*tensors.Tensor, fs *flowState) ([]*tensors.Tensor, error) {
		cond := in[0]
		if cond.DType() != tensors.Bool || cond.Len() != 1 {
			return nil, fmt.Errorf("input cond %v must hold one bool", cond)
		}
		i := 1
		if tensors.Data[bool](cond)[0] {
			i = 0
		}
		if fs != nil {
			return branches[i].callSession(ctx, available(mem, limit), captures, in[1:], fs, i)
		}
		return branches[i].call(ctx, available(mem, limit), captures, in[1:], nil)
	}, infer, nil
}

// available is how many bytes a subgraph run may hold: what the enclosing
// run has left, or the model's limit at load time (mem nil).
func available(mem *runBudget, limit int64) int64 {
	if mem == nil {
		return limit
	}
	return mem.limit - mem.used
}

// branch is a compiled subgraph: a model of its own whose graph inputs are
// the outer values it reads.
type branch struct {
	m       *Model
	outputs []string
}

// buildBranch compiles a subgraph, giving it its free names as graph
// inputs after the ones it declares (a Loop or Scan body's), except those whose value is known at load time (outer
// initializers and constants), which it gets as constants: operators can
// then prepare with them (say, transpose weights once) and constant
// subexpressions fold. They share the outer tensors, so the load budget
// does not count them twice.
func (b *builder) buildBranch(g *onnxpb.GraphProto, name string) (*branch, error) {
	free, err := freeNames(g, b.depth+1)
	if err != nil {
		return nil, err
	}
	sub := &onnxpb.GraphProto{
		Name: g.Name, Node: g.Node, SparseInitializer: g.SparseInitializer,
		Input: slices.Clone(g.GetInput()), Output: g.Output, ValueInfo: g.ValueInfo,
	}
	shared := map[*onnxpb.TensorProto]*tensors.Tensor{}
	for _, f := range free {
		if s, ok := b.g.slots[f]; ok && b.g.consts[s] != nil {
			tp := &onnxpb.TensorProto{Name: f}
			shared[tp] = b.g.consts[s]
			sub.Initializer = append(sub.Initializer, tp)
			b.mem.used -= tensorBytes(b.g.consts[s]) // charged again by the build
			continue
		}
		t := &onnxpb.TypeProto{}
		if s, ok := b.g.slots[f]; ok && b.g.types[s].DType != tensors.Undefined {
			t = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(b.g.types[s].DType)}}}
		}
		sub.Input = append(sub.Input, &onnxpb.ValueInfoProto{Name: f, Type: t})
	}
	sub.Initializer = append(slices.Clone(g.GetInitializer()), sub.Initializer...)
	decode := func(tp *onnxpb.TensorProto) (*tensors.Tensor, error) {
		if t, ok := shared[tp]; ok {
			return t, nil
		}
		return b.decode(tp)
	}
	sg, err := buildGraphAt(sub, b.opsets, decode, b.mem, b.depth+1, false, false)
	if err != nil {
		return nil, err
	}
	br := &branch{m: &Model{name: name, g: sg, limit: b.mem.limit}}
	for _, o := range g.GetOutput() {
		br.outputs = append(br.outputs, o.GetName())
	}
	return br, nil
}

// call runs the branch within a run, holding at most limit bytes, on the
// captured values it reads (names[i] has value vals[i]) and its declared
// inputs (feeds, by name), and returns its outputs in order.
func (br *branch) call(ctx context.Context, limit int64, names []string, vals []*tensors.Tensor, feeds map[string]*tensors.Tensor) ([]*tensors.Tensor, error) {
	m := br.m
	g := m.g
	if feeds == nil {
		feeds = map[string]*tensors.Tensor{}
	}
	for i, name := range names {
		if _, ok := g.inIndex[name]; ok {
			feeds[name] = vals[i]
		}
	}
	p := g.base
	if g.unfused != nil && g.overridesBaked(feeds) {
		p = g.unfused
	}
	state := make([]*tensors.Tensor, len(g.names))
	if err := m.setInputs(state, feeds, p); err != nil {
		// The values come from the model, not the caller: not ErrBadInput.
		return nil, errors.New(err.Error())
	}
	if err := m.execute(ctx, p, state, newRunBudget(limit), nil); err != nil {
		return nil, err
	}
	out := make([]*tensors.Tensor, len(g.outSlot))
	for i, s := range g.outSlot {
		out[i] = state[s]
	}
	return out, nil
}

// callSession is call in the i-th session of fs, which the branch's runs
// in that session reuse: in steady state it allocates nothing. The outputs
// are the session's, valid until its next run.
func (br *branch) callSession(ctx context.Context, limit int64, names []string, vals []*tensors.Tensor, fs *flowState, i int) ([]*tensors.Tensor, error) {
	s := fs.session(i, br.m)
	g := br.m.g
	if fs.feeds == nil {
		fs.feeds = make(map[string]*tensors.Tensor, len(names))
	}
	clear(fs.feeds)
	for k, name := range names {
		if _, ok := g.inIndex[name]; ok {
			fs.feeds[name] = vals[k]
		}
	}
	fs.out = slices.Grow(fs.out[:0], len(g.outSlot))[:len(g.outSlot)]
	err := s.run(ctx, fs.feeds, limit, fs.out)
	clear(fs.feeds) // hold no outer value between runs
	if err != nil {
		if errors.Is(err, ErrBadInput) {
			// The values come from the model, not the caller: not ErrBadInput.
			return nil, errors.New(err.Error())
		}
		return nil, err
	}
	return fs.out, nil
}

// stateless makes a flow kernel of one that keeps nothing between runs
// (Loop, Scan and SequenceMap, whose subgraphs run once per iteration and
// feed each iteration the values the one before computed).
func stateless(f func(ctx context.Context, mem *runBudget, in []*tensors.Tensor) ([]*tensors.Tensor, error)) flowKernel {
	return func(ctx context.Context, mem *runBudget, in []*tensors.Tensor, _ *flowState) ([]*tensors.Tensor, error) {
		return f(ctx, mem, in)
	}
}
