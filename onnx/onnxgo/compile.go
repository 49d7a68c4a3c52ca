package onnxgo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	gonnx "github.com/owulveryck/onnx-go"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// maxOpsetTries bounds the opsets at which Run tries to load a model whose
// nodes fit several (see layout.opsets).
const maxOpsetTries = 4

// leafKind tells what a node that no operation computes is.
type leafKind int

const (
	declaredInput leafKind = iota // a graph input: Model.SetInput feeds it
	initializer                   // a constant that came with the model
	undefined                     // a name the model reads but never defines
)

// value is one ONNX value and the nodes onnx-go made for it: one, or one
// per listing when the model lists the name twice (say as a graph input
// and a graph output), since each listing makes a node.
type value struct {
	name  string
	nodes []*Node
	kind  leafKind // for values no operation computes
	init  *Node    // the node holding an initializer's tensor
}

// layout is what the nodes and operations that onnx-go built mean as an
// ONNX graph. It depends only on what the decoder did, so Run finds it
// once.
type layout struct {
	names   map[int64]string // the ONNX value name of every node that takes part
	leaves  []*value         // values read by operations and computed by none
	outputs []*value         // computed values that Run writes back: the graph outputs and value_info
	nodes   []*onnxpb.NodeProto
	opsets  []int // ai.onnx opsets to try loading the model at, best first
}

// prepare finds the graph's layout.
//
// onnx-go tells a backend neither which nodes are the graph's inputs,
// initializers and outputs nor the model's opset. Its decoder makes the
// nodes of the graph inputs first, then those of value_info and of the
// graph outputs (setting a placeholder tensor on each that has a type),
// then those of the initializers that are not graph inputs (setting their
// tensor), and only then, node by node, the operations, each with edges
// from its outputs to its inputs. So the nodes made before the first edge
// are the listed values (and at most the outputs and unknown inputs of
// the first operation); those of them that an operation computes are
// graph outputs or value_info, and Run writes their values back. With B
// the first of them: the nodes below B that no operation computes are
// graph inputs, unless the decoder set a tensor on them twice (an
// initializer also listed as a graph input); those above B with a tensor
// are initializers.
func (g *Graph) prepare() (*layout, error) {
	if g.layout != nil {
		return g.layout, nil
	}
	if g.err != nil {
		return nil, g.err
	}
	if len(g.ops) == 0 {
		return nil, errors.New("onnxgo: the graph has no operation: decode a model into it with onnx-go's Model.UnmarshalBinary first")
	}
	consumed := map[int64]bool{}
	for _, op := range g.ops {
		for _, id := range op.inputs {
			if id >= 0 {
				consumed[id] = true
			}
		}
	}
	listed := func(n *Node) bool { return g.preEdge < 0 || n.id < g.preEdge }
	if err := g.checkNameless(consumed, listed); err != nil {
		return nil, err
	}
	b := int64(math.MaxInt64)
	for _, n := range g.nodes {
		if n != nil && n.producer != nil && listed(n) {
			b = min(b, n.id)
		}
	}

	l := &layout{names: map[int64]string{}}
	byName := map[string]*value{}
	var order []*value
	for _, n := range g.nodes {
		if n == nil || n.name == "" || n.fake || (n.producer == nil && !consumed[n.id] && !listed(n)) {
			continue
		}
		v := byName[n.name]
		if v == nil {
			v = &value{name: n.name}
			byName[n.name] = v
			order = append(order, v)
		}
		v.nodes = append(v.nodes, n)
		l.names[n.id] = n.name
	}
	for _, v := range order {
		var producer *Node
		used := false
		for _, n := range v.nodes {
			if n.producer != nil {
				producer = n
			}
			used = used || consumed[n.id]
		}
		if producer != nil {
			for _, n := range v.nodes {
				if n != producer && listed(n) && listed(producer) {
					// onnxkit refuses a graph output listed twice, or
					// a computed graph input; onnx-go's lists cannot be
					// told apart.
					return nil, fmt.Errorf("onnxgo: value %q is computed and listed twice among the graph's inputs, outputs and value_info", v.name)
				}
			}
			if listed(producer) {
				l.outputs = append(l.outputs, v)
			}
			continue
		}
		if !used {
			// Listed, computed by nothing and read by nothing: an unused
			// graph input, which has a tensor (its placeholder) when it
			// has a type, or a graph output that nothing computes
			// (onnxkit refuses it; onnx-go would return no tensor for
			// it when it has no type).
			for _, n := range v.nodes {
				if n.t == nil {
					return nil, fmt.Errorf("onnxgo: value %q is listed among the graph's inputs or outputs without a type, and no node computes or reads it", v.name)
				}
			}
			continue
		}
		v.kind = undefined
		for _, n := range v.nodes {
			switch {
			case n.id < b && n.decodeSets <= 1:
				if v.kind == undefined {
					v.kind = declaredInput
				}
			case n.t != nil && n.decodeSets > 0:
				v.kind, v.init = initializer, n
			}
		}
		l.leaves = append(l.leaves, v)
	}
	if len(l.outputs) == 0 {
		return nil, errors.New("onnxgo: the graph computes no output")
	}
	for _, op := range g.ops {
		np, err := g.nodeProto(op, l.names)
		if err != nil {
			return nil, err
		}
		l.nodes = append(l.nodes, np)
	}
	l.opsets = candidateOpsets(g.ops)
	g.layout = l
	return l, nil
}

// checkNameless refuses graph inputs, outputs and value_info without a
// name, which onnxkit refuses too. The decoder makes a node for each such
// listing and uses the last one for the empty name ("") of omitted inputs
// and outputs too (or makes one node for them, after the listings, if
// there is none). So more than one nameless node, a nameless node with a
// tensor (only listings have one) or made before a node with one (the
// last initializer or typed listing), or one that no operation uses is a
// nameless listing. (A single nameless listing without a type, after the
// last node with a tensor, that an operation also uses for an omitted
// value cannot be told from that value's node.)
func (g *Graph) checkNameless(consumed map[int64]bool, listed func(*Node) bool) error {
	omitted := map[int64]bool{}
	for _, op := range g.ops {
		for _, id := range op.outputs {
			omitted[id] = true
		}
	}
	var nameless []*Node
	lastSet := int64(-1) // the last node given a tensor while decoding
	for _, n := range g.nodes {
		if n != nil && n.name == "" {
			nameless = append(nameless, n)
		}
		if n != nil && n.decodeSets > 0 {
			lastSet = n.id
		}
	}
	for _, n := range nameless {
		if len(nameless) > 1 || n.decodeSets > 0 || n.id < lastSet || (listed(n) && !consumed[n.id] && !omitted[n.id]) {
			return errors.New("onnxgo: a graph input, output or value_info has no name")
		}
	}
	return nil
}

// candidateOpsets orders the ai.onnx opsets at which to load the graph.
// onnx-go does not pass the model's opset on, but the form of the nodes
// (their input and output counts and attribute names) tells the opsets
// they may come from. The candidates are the opsets at which every node
// fits, newest first, from opset 7 on when any of them is (before 7,
// operators such as Add broadcast only when told to: a graph that fits
// both is read with the semantics of today); when no opset fits every
// node, only the newest that fits the most, so that loading it reports
// the node at fault. Opsets at which every operator has the same version
// are the same: only the newest of them is kept.
func candidateOpsets(opl []*operation) []int {
	maxv := ops.MaxOpset(ops.DomainONNX)
	count := make([]int, maxv+1)
	constrained := 0
	for _, op := range opl {
		fitsSome := false
		for v := 1; v <= maxv; v++ {
			if op.fits[v] {
				count[v]++
				fitsSome = true
			}
		}
		if fitsSome {
			constrained++
		}
	}
	var all []int
	for v := maxv; v >= 1; v-- {
		if count[v] == constrained {
			all = append(all, v)
		}
	}
	if len(all) > 0 && all[0] >= 7 {
		all = slices.DeleteFunc(all, func(v int) bool { return v < 7 })
	}
	if len(all) == 0 || constrained == 0 {
		best := maxv
		for v := maxv; v >= 1; v-- {
			if count[v] > count[best] {
				best = v
			}
		}
		return []int{best}
	}
	seen := map[string]bool{}
	var out []int
	for _, v := range all {
		var sig strings.Builder
		for _, op := range opl {
			_, since, _ := ops.Lookup(ops.DomainONNX, op.op.Name, v)
			fmt.Fprintf(&sig, "%d,", since)
		}
		if seen[sig.String()] {
			continue
		}
		seen[sig.String()] = true
		out = append(out, v)
		if len(out) == maxOpsetTries {
			break
		}
	}
	return out
}

// fitting tells at which ai.onnx opsets the node's form is that of its
// operator (fits[v], v from 1 to ops.MaxOpset). The error says why
// onnxkit implements the operator at no opset.
func fitting(np *onnxpb.NodeProto) ([]bool, error) {
	maxv := ops.MaxOpset(ops.DomainONNX)
	fits := make([]bool, maxv+1)
	implemented := false
	var why error
	for v := 1; v <= maxv; v++ {
		if _, _, err := ops.Lookup(ops.DomainONNX, np.GetOpType(), v); err != nil {
			why = err
			continue
		}
		implemented = true
		fits[v] = ops.Fits(np, v) == nil
	}
	if !implemented {
		return nil, why
	}
	return fits, nil
}

// nodeProto writes an operation as an ONNX node, naming values with names
// (or the nodes' own names when names is nil).
func (g *Graph) nodeProto(op *operation, names map[int64]string) (*onnxpb.NodeProto, error) {
	name := func(id int64) string {
		if id < 0 {
			return ""
		}
		if names != nil {
			return names[id]
		}
		return g.node(id).name
	}
	np := &onnxpb.NodeProto{OpType: op.op.Name}
	for _, id := range op.inputs {
		np.Input = append(np.Input, name(id))
	}
	for _, id := range op.outputs {
		out := name(id)
		np.Output = append(np.Output, out)
		if np.Name == "" {
			np.Name = out
		}
	}
	keys := make([]string, 0, len(op.op.Attributes))
	for k := range op.op.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, err := attributeProto(k, op.op.Attributes[k])
		if err != nil {
			return nil, err
		}
		np.Attribute = append(np.Attribute, a)
	}
	return np, nil
}

// attributeProto converts an attribute as onnx-go's decoder hands it over
// (the Go value of the AttributeProto's field that its type selects) back
// to an AttributeProto.
func attributeProto(name string, v any) (*onnxpb.AttributeProto, error) {
	a := &onnxpb.AttributeProto{Name: name}
	switch x := v.(type) {
	case float32:
		a.Type, a.F = onnxpb.AttributeProto_FLOAT, &x
	case int64:
		a.Type, a.I = onnxpb.AttributeProto_INT, &x
	case string:
		a.Type, a.S = onnxpb.AttributeProto_STRING, []byte(x)
	case []float32:
		a.Type, a.Floats = onnxpb.AttributeProto_FLOATS, x
	case []int64:
		a.Type, a.Ints = onnxpb.AttributeProto_INTS, x
	case []string:
		a.Type = onnxpb.AttributeProto_STRINGS
		for _, s := range x {
			a.Strings = append(a.Strings, []byte(s))
		}
	case struct{}:
		a.Type = onnxpb.AttributeProto_UNDEFINED
	case tensor.Tensor:
		d, ok := x.(*tensor.Dense)
		if !ok || d == nil {
			return nil, fmt.Errorf("attribute %q: tensor of type %T, want *tensor.Dense", name, v)
		}
		tp, err := onnx.DenseToProto(name, d)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		a.Type, a.T = onnxpb.AttributeProto_TENSOR, tp
	default:
		return nil, fmt.Errorf("attribute %q: value of type %T: %w", name, v,
			&gonnx.ErrNotImplemented{AttributeName: name, AttributeValue: v, Message: "onnxgo: no ONNX attribute type for this Go type"})
	}
	return a, nil
}

// feeds returns the values Run feeds (the nodes set through Model.SetInput
// or SetTensor since decoding) and the key of the model they need:
// their names, element types and shapes but the first dimension, which the
// model leaves symbolic so that batches of any size run without
// recompiling.
func (g *Graph) feeds(l *layout) (map[string]*tensor.Dense, string, error) {
	in := map[string]*tensor.Dense{}
	var key strings.Builder
	for _, v := range l.leaves {
		fed := v.fed()
		if fed == nil {
			if v.kind == declaredInput {
				return nil, "", fmt.Errorf("onnxgo: graph input %q has no value: set it with onnx-go's Model.SetInput before Run", v.name)
			}
			continue
		}
		d, ok := fed.t.(*tensor.Dense)
		if !ok || d == nil {
			return nil, "", fmt.Errorf("onnxgo: input %q: value of type %T, want a *tensor.Dense", v.name, fed.t)
		}
		in[v.name] = d
		shape := d.Shape()
		fmt.Fprintf(&key, "%q:%v:%d:", v.name, d.Dtype(), len(shape))
		if len(shape) > 1 {
			fmt.Fprint(&key, []int(shape[1:]))
		}
		key.WriteByte(';')
	}
	return in, key.String(), nil
}

// build compiles the graph for the fed values in: it writes the ONNX model
// and loads it with onnxkit at the first of the layout's opsets that works.
func (g *Graph) build(l *layout, in map[string]*tensor.Dense) (*onnx.Model, int, error) {
	gp := &onnxpb.GraphProto{Name: "onnx-go graph", Node: l.nodes}
	for _, v := range l.leaves {
		if d, fed := in[v.name]; fed {
			vi, err := inputInfo(v.name, d)
			if err != nil {
				return nil, 0, err
			}
			gp.Input = append(gp.Input, vi)
			continue
		}
		if v.kind != initializer {
			continue
		}
		t := v.init.t
		d, ok := t.(*tensor.Dense)
		if !ok || d == nil {
			return nil, 0, fmt.Errorf("onnxgo: initializer %q: value of type %T, want a *tensor.Dense", v.name, t)
		}
		tp, err := onnx.DenseToProto(v.name, d)
		if err != nil {
			return nil, 0, fmt.Errorf("onnxgo: initializer %q: %w", v.name, err)
		}
		gp.Initializer = append(gp.Initializer, tp)
	}
	for _, v := range l.outputs {
		gp.Output = append(gp.Output, &onnxpb.ValueInfoProto{Name: v.name})
	}
	var first error
	for _, v := range l.opsets {
		mp := &onnxpb.ModelProto{
			IrVersion:    8,
			ProducerName: "onnxkit/onnx/onnxgo",
			OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: "", Version: int64(v)}},
			Graph:        gp,
		}
		m, err := g.opt.FromProto("onnx-go graph", mp)
		if err == nil {
			return m, v, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("no ai.onnx opset fits the graph's nodes")
	}
	return nil, 0, loadError(first, l.nodes)
}

// inputInfo declares a fed value as a graph input: its element type and
// rank, with a symbolic first dimension.
func inputInfo(name string, d *tensor.Dense) (*onnxpb.ValueInfoProto, error) {
	dt, err := onnx.DTypeOfDense(d.Dtype())
	if err != nil {
		return nil, fmt.Errorf("onnxgo: input %q: %w", name, err)
	}
	sh := &onnxpb.TensorShapeProto{}
	for i, s := range d.Shape() {
		dim := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(s)}}
		if i == 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
		}
		sh.Dim = append(sh.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{
		Name: name,
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: int32(dt),
			Shape:    sh,
		}}},
	}, nil
}

// loadError turns onnxkit's refusal of a node it does not support into
// onnx-go's *onnx.ErrNotImplemented, the error onnx-go's callers handle,
// with onnxkit's message (naming the node) as its Message.
func loadError(err error, nodes []*onnxpb.NodeProto) error {
	if !errors.Is(err, onnx.ErrUnsupported) {
		return fmt.Errorf("onnxgo: %w", err)
	}
	msg := err.Error()
	op := ""
	for i, np := range nodes {
		if strings.Contains(msg, ops.Describe(np, i)) {
			op = np.GetOpType()
			break
		}
	}
	return &gonnx.ErrNotImplemented{Operator: op, Message: "onnxgo: " + msg}
}

// Run computes the graph's outputs from the values set with onnx-go's
// Model.SetInput; read them with Model.GetOutputTensors. The first Run
// compiles the graph into an onnxkit model, kept for the next runs; it is
// compiled again only when an input's element type, rank or a dimension
// other than the first changes (batches of any size share one model).
// Outputs are fresh tensors: those of a previous run are not overwritten.
func (g *Graph) Run() error { return g.run(nil) }

// RunContext is Run stopping early, between two nodes, when ctx is done;
// the error then wraps ctx.Err(). It bounds the time a model from a
// stranger may take.
func (g *Graph) RunContext(ctx context.Context) error { return g.run(ctx) }

func (g *Graph) run(ctx context.Context) error {
	l, err := g.prepare()
	if err != nil {
		return err
	}
	in, key, err := g.feeds(l)
	if err != nil {
		return err
	}
	if g.compiled == nil || key != g.key {
		if g.fail != nil && g.fail.key == key {
			return g.fail.err
		}
		m, v, err := g.build(l, in)
		if err != nil {
			g.fail = &failedBuild{key, err}
			return err
		}
		g.compiled, g.key, g.opset, g.fail = m, key, v, nil
	}
	var out map[string]*tensor.Dense
	if ctx == nil {
		out, err = g.compiled.Run(in)
	} else {
		out, err = runContext(ctx, g.compiled, in)
	}
	if err != nil {
		return fmt.Errorf("onnxgo: %w", err)
	}
	for _, v := range l.outputs {
		t, ok := out[v.name]
		if !ok {
			return fmt.Errorf("onnxgo: output %q: not computed", v.name)
		}
		for _, n := range v.nodes {
			n.t = t
		}
	}
	// A graph output that is a graph input shows the input.
	for _, v := range l.leaves {
		if fed := v.fed(); fed != nil {
			for _, n := range v.nodes {
				if n != fed && !n.fed {
					n.t = fed.t
				}
			}
		}
	}
	return nil
}

// runContext is Model.Run with a context.
func runContext(ctx context.Context, m *onnx.Model, in map[string]*tensor.Dense) (map[string]*tensor.Dense, error) {
	ts := make(map[string]*tensors.Tensor, len(in))
	for name, d := range in {
		t, err := onnx.FromDense(d)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		ts[name] = t
	}
	res, err := m.RunTensorsContext(ctx, ts)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*tensor.Dense, len(res))
	for name, t := range res {
		d, err := onnx.ToDense(t) // a copy
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		out[name] = d
	}
	return out, nil
}

// fed returns the node of the value that was last given a value through
// onnx-go (Model.SetInput, or SetTensor after decoding), or nil.
func (v *value) fed() *Node {
	var f *Node
	for _, n := range v.nodes {
		if n.fed && (f == nil || n.fedAt > f.fedAt) {
			f = n
		}
	}
	return f
}

// Model returns the onnxkit model the last successful Run compiled (nil
// before), and the ai.onnx opset it was loaded at. It may be saved, or run
// directly with onnxkit's API.
func (g *Graph) Model() (*onnx.Model, int) { return g.compiled, g.opset }
