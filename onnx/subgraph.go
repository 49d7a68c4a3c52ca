package onnx

import (
	"errors"
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Subgraphs: the If operator.
//
// An If node holds two graphs, then_branch and else_branch, that may read
// values of the enclosing graphs by name (outer-scope values). The loader
// makes those reads explicit: withCaptures gives the node one extra,
// implicit input per outer value its branches read (its captures), so that
// topological sorting, planning and constant folding treat them as
// ordinary inputs. compile then builds each branch as a graph of its own
// whose graph inputs are the captures it reads, and returns a kernel that
// runs the branch chosen by the condition on them.
//
// Subgraphs nest (an If inside a branch) up to MaxSubgraphDepth levels; a
// deeper model is refused at load, naming the node.

// MaxSubgraphDepth is the deepest nesting of subgraphs a model may have.
const MaxSubgraphDepth = 64

func init() {
	ops.Register(ops.Op{
		Type:  "If",
		Since: []int{1, 11, 13, 16},
		Prepare: func(n *ops.Node) (ops.Kernel, error) {
			return nil, errors.New("If runs only in graphs built by package onnx")
		},
	})
}

// isIf reports whether a node is the default domain's If.
func isIf(np *onnxpb.NodeProto) bool {
	return np.GetOpType() == "If" && ops.NormalizeDomain(np.GetDomain()) == ""
}

// withCaptures returns the nodes with every If node replaced by a copy
// whose inputs also list its captures. The model's protos are not
// modified.
func (b *builder) withCaptures(nodes []*onnxpb.NodeProto) ([]*onnxpb.NodeProto, error) {
	var out []*onnxpb.NodeProto
	for i, np := range nodes {
		if !isIf(np) {
			continue
		}
		if out == nil {
			out = slices.Clone(nodes)
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

// compile is ops.Compile, except for If nodes, which it builds here.
func (b *builder) compile(np *onnxpb.NodeProto, env ops.Env, desc string) (*ops.Compiled, error) {
	declared, ok := b.declared[np]
	if !ok {
		return ops.Compile(np, env)
	}
	op, since, err := ops.Lookup(np.GetDomain(), np.GetOpType(), env.Opset)
	if err != nil {
		return nil, err
	}
	if declared != 1 || np.GetInput()[0] == "" {
		return nil, fmt.Errorf("If takes exactly one input (cond), the node has %d", declared)
	}
	var thenG, elseG *onnxpb.GraphProto
	for _, a := range np.GetAttribute() {
		switch {
		case a.GetName() == "then_branch" && a.GetType() == onnxpb.AttributeProto_GRAPH:
			thenG = a.GetG()
		case a.GetName() == "else_branch" && a.GetType() == onnxpb.AttributeProto_GRAPH:
			elseG = a.GetG()
		default:
			return nil, fmt.Errorf("attribute %q (%v) is not defined for If", a.GetName(), a.GetType())
		}
	}
	if thenG == nil || elseG == nil {
		return nil, errors.New("required attributes then_branch and else_branch (graphs) must both be set")
	}
	branches := [2]*branch{}
	for i, g := range []*onnxpb.GraphProto{thenG, elseG} {
		name := [...]string{"then_branch", "else_branch"}[i]
		br, err := b.buildBranch(g, desc+" "+name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(br.outputs) != len(np.GetOutput()) {
			return nil, invalid(fmt.Errorf("%s has %d outputs, the node %d", name, len(br.outputs), len(np.GetOutput())))
		}
		branches[i] = br
	}
	node := &ops.Node{
		Name: np.GetName(), Type: np.GetOpType(), Domain: np.GetDomain(),
		Opset: env.Opset, Since: since, Index: env.Index,
		Inputs: np.GetInput(), Outputs: np.GetOutput(), Proto: np,
	}
	captures := np.GetInput()[1:]
	kernel := func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		cond := in[0]
		if cond.DType() != tensors.Bool || cond.Len() != 1 {
			return nil, fmt.Errorf("input cond %v must hold one bool", cond)
		}
		br := branches[1]
		if tensors.Data[bool](cond)[0] {
			br = branches[0]
		}
		return br.run(captures, in[1:])
	}
	return &ops.Compiled{Node: node, Op: op, Kernel: kernel}, nil
}

// branch is a compiled subgraph: a model of its own whose graph inputs are
// the outer values it reads.
type branch struct {
	m       *Model
	outputs []string
}

// buildBranch compiles a subgraph, giving it its free names as graph
// inputs, except those whose value is known at load time (outer
// initializers and constants), which it gets as constants: operators can
// then prepare with them (say, transpose weights once) and constant
// subexpressions fold. They share the outer tensors, so the load budget
// does not count them twice.
func (b *builder) buildBranch(g *onnxpb.GraphProto, name string) (*branch, error) {
	free, err := freeNames(g, b.depth+1)
	if err != nil {
		return nil, err
	}
	if len(g.GetInput()) > 0 {
		return nil, invalid(fmt.Errorf("an If branch takes no inputs, this one declares %d", len(g.GetInput())))
	}
	sub := &onnxpb.GraphProto{
		Name: g.Name, Node: g.Node, SparseInitializer: g.SparseInitializer,
		Output: g.Output, ValueInfo: g.ValueInfo,
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
	sg, err := buildGraphAt(sub, b.opsets, decode, b.mem, b.depth+1, false)
	if err != nil {
		return nil, err
	}
	br := &branch{m: &Model{name: name, g: sg, limit: b.mem.limit}}
	for _, o := range g.GetOutput() {
		br.outputs = append(br.outputs, o.GetName())
	}
	return br, nil
}

// run runs the branch on the captured values it reads (names[i] has value
// vals[i]) and returns its outputs in order.
func (br *branch) run(names []string, vals []*tensors.Tensor) ([]*tensors.Tensor, error) {
	feeds := map[string]*tensors.Tensor{}
	for i, name := range names {
		if _, ok := br.m.g.inIndex[name]; ok {
			feeds[name] = vals[i]
		}
	}
	res, err := br.m.RunTensors(feeds, br.outputs...)
	if err != nil {
		return nil, err
	}
	out := make([]*tensors.Tensor, len(br.outputs))
	for i, o := range br.outputs {
		out[i] = res[o]
	}
	return out, nil
}
