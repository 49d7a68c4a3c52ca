package onnxgo

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	gonnx "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx"
)

// Graph is an onnx-go backend that runs models with onnxkit's runtime. It
// implements onnx-go's onnx.Backend (a gonum DirectedWeightedBuilder that
// carries operations) and Run, so it satisfies onnx-go's
// backend.ComputationBackend. Create it with NewGraph, hand it to
// onnx.NewModel, decode one model into it and Run it as many times as
// needed. A Graph holds one model; it is not safe for concurrent use (nor
// is onnx-go's Model).
type Graph struct {
	nodes []*Node           // by ID; nil for an ID handed out but not added
	out   map[int64][]edge  // edges by source node, in the order they were set
	in    map[int64][]int64 // sources of the edges into a node, in order

	ops     []*operation
	pending []edge // edges set since the last ApplyOperation
	decoded bool   // ApplyOperation was called: onnx-go's tensors are set
	preEdge int64  // nodes with a lower ID were made before the first edge, -1 before it
	sets    int64  // SetTensor calls after decoding

	err error // the first misuse of the builder methods, reported by Run
	opt onnx.LoadOptions

	layout   *layout      // what the nodes and operations mean, found by the first Run
	compiled *onnx.Model  // the model compiled for key
	key      string       // the element types and shapes compiled was built for
	opset    int          // the ai.onnx opset compiled was loaded at
	fail     *failedBuild // the last compilation that failed, not retried for the same key
}

// failedBuild remembers a compilation error so that Run does not rebuild
// a model that cannot load for every call.
type failedBuild struct {
	key string
	err error
}

// edge is one weighted edge: onnx-go draws one from each output of an
// operation to each of its inputs, weighted by the input's position.
type edge struct {
	from, to int64
	w        float64
}

// operation is one ApplyOperation call: an ONNX node.
type operation struct {
	op      gonnx.Operation
	outputs []int64 // output nodes, in the node's output order
	inputs  []int64 // input nodes by position, -1 for an omitted input
	fits    []bool  // fits[v]: the node's form is that of its operator at ai.onnx opset v
}

// maxInputs bounds the input positions (edge weights) a node may have.
const maxInputs = 1 << 20

// NewGraph returns an empty Graph, ready for onnx.NewModel: the
// replacement for gorgonnx.NewGraph.
func NewGraph() *Graph { return NewGraphOptions(onnx.LoadOptions{}) }

// NewGraphOptions is NewGraph compiling the model with the given load
// options, such as a memory limit for models from strangers.
func NewGraphOptions(opt onnx.LoadOptions) *Graph {
	return &Graph{out: map[int64][]edge{}, in: map[int64][]int64{}, preEdge: -1, opt: opt}
}

// Node is a node of a Graph: a value of the ONNX graph (a graph input, an
// initializer or an operator's output). It implements onnx-go's Namer,
// Documenter and DataCarrier.
type Node struct {
	id          int64
	name        string
	description string
	g           *Graph
	t           tensor.Tensor
	added       bool
	decodeSets  int        // SetTensor calls while onnx-go decoded the model
	fed         bool       // SetTensor was called after decoding: a value to feed
	fedAt       int64      // when, counting the graph's SetTensor calls
	producer    *operation // the operation that computes the node, if any
	fake        bool       // the input the decoder makes up for a node without inputs
}

// ID returns the node's ID, to satisfy gonum's graph.Node.
func (n *Node) ID() int64 { return n.id }

// SetName sets the node's name (the name of the ONNX value).
func (n *Node) SetName(name string) { n.name = name }

// GetName returns the node's name.
func (n *Node) GetName() string { return n.name }

// SetDescription sets the node's description.
func (n *Node) SetDescription(desc string) { n.description = desc }

// GetDescription returns the node's description.
func (n *Node) GetDescription() string { return n.description }

// SetTensor sets the node's value. onnx-go calls it for graph inputs,
// outputs and initializers while it decodes a model; afterwards (through
// Model.SetInput) it feeds the node's value to the next Run.
func (n *Node) SetTensor(t tensor.Tensor) error {
	if n.g != nil && n.g.decoded {
		n.fed = true
		n.g.sets++
		n.fedAt = n.g.sets
	} else {
		n.decodeSets++
	}
	n.t = t
	return nil
}

// GetTensor returns the node's value: after Run, the value the model
// computed for it.
func (n *Node) GetTensor() tensor.Tensor { return n.t }

// String names the node for messages.
func (n *Node) String() string { return fmt.Sprintf("%q", n.name) }

func (g *Graph) fault(err error) {
	if g.err == nil {
		g.err = err
	}
}

// NewNode returns a new node with the next free ID (IDs count from 0, as
// onnx-go's Model.SetInput expects). Add it with AddNode.
func (g *Graph) NewNode() graph.Node {
	n := &Node{id: int64(len(g.nodes)), g: g}
	g.nodes = append(g.nodes, nil)
	return n
}

// AddNode adds a node made by NewNode. Other nodes are refused: Run
// reports the first refusal.
func (g *Graph) AddNode(gn graph.Node) {
	n, ok := gn.(*Node)
	switch {
	case !ok || n == nil:
		g.fault(fmt.Errorf("onnxgo: AddNode: %T is not a node of this backend", gn))
	case n.g != g || n.id < 0 || n.id >= int64(len(g.nodes)):
		g.fault(fmt.Errorf("onnxgo: AddNode: node %d was not made by this graph's NewNode", n.id))
	case g.nodes[n.id] != nil:
		g.fault(fmt.Errorf("onnxgo: AddNode: node %d %q is already in the graph", n.id, n.name))
	default:
		n.added = true
		g.nodes[n.id] = n
	}
}

// NewWeightedEdge returns an edge from one node to another with a weight.
// Add it with SetWeightedEdge.
func (g *Graph) NewWeightedEdge(from, to graph.Node, weight float64) graph.WeightedEdge {
	return simple.WeightedEdge{F: from, T: to, W: weight}
}

// SetWeightedEdge adds an edge, adding its nodes if needed. Unlike gonum's
// simple graphs it keeps every edge set between the same two nodes (an
// operator may read one value at two positions) and accepts an edge from
// a node to itself, which the model's compilation then rejects.
func (g *Graph) SetWeightedEdge(e graph.WeightedEdge) {
	if e == nil || e.From() == nil || e.To() == nil {
		g.fault(fmt.Errorf("onnxgo: SetWeightedEdge: nil edge or node"))
		return
	}
	from, to := g.own(e.From()), g.own(e.To())
	if from == nil || to == nil {
		return
	}
	w := e.Weight()
	if math.IsNaN(w) || w < 0 || w != math.Trunc(w) || w > maxInputs {
		g.fault(fmt.Errorf("onnxgo: edge from %q to %q has weight %v, not an input position", from.name, to.name, w))
		return
	}
	if g.preEdge < 0 {
		g.preEdge = int64(len(g.nodes))
	}
	ed := edge{from: from.id, to: to.id, w: w}
	g.out[from.id] = append(g.out[from.id], ed)
	g.in[to.id] = append(g.in[to.id], from.id)
	g.pending = append(g.pending, ed)
}

// own returns gn as a node of g, adding it if it is not yet added, or
// records a fault.
func (g *Graph) own(gn graph.Node) *Node {
	n, ok := gn.(*Node)
	if !ok || n == nil || n.g != g || n.id < 0 || n.id >= int64(len(g.nodes)) {
		g.fault(fmt.Errorf("onnxgo: SetWeightedEdge: %v is not a node of this graph", gn))
		return nil
	}
	if g.nodes[n.id] == nil {
		g.AddNode(n)
	}
	return n
}

// Node returns the node with the given ID, or nil.
func (g *Graph) Node(id int64) graph.Node {
	if n := g.node(id); n != nil {
		return n
	}
	return nil
}

func (g *Graph) node(id int64) *Node {
	if id < 0 || id >= int64(len(g.nodes)) {
		return nil
	}
	return g.nodes[id]
}

// Nodes returns the graph's nodes in ID order.
func (g *Graph) Nodes() graph.Nodes {
	var ns []graph.Node
	for _, n := range g.nodes {
		if n != nil {
			ns = append(ns, n)
		}
	}
	return iterator.NewOrderedNodes(ns)
}

// nodesOf returns the nodes of ids, without repeats, in order.
func (g *Graph) nodesOf(ids []int64) graph.Nodes {
	seen := map[int64]bool{}
	var ns []graph.Node
	for _, id := range ids {
		if n := g.node(id); n != nil && !seen[id] {
			seen[id] = true
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(ns)
}

// From returns the nodes an edge from the node reaches: an operation's
// inputs, for each of its outputs.
func (g *Graph) From(id int64) graph.Nodes {
	var ids []int64
	for _, e := range g.out[id] {
		ids = append(ids, e.to)
	}
	return g.nodesOf(ids)
}

// To returns the nodes with an edge to the node: the outputs of the
// operations that read it.
func (g *Graph) To(id int64) graph.Nodes { return g.nodesOf(g.in[id]) }

// HasEdgeBetween reports whether an edge joins the two nodes, either way.
func (g *Graph) HasEdgeBetween(xid, yid int64) bool {
	return g.HasEdgeFromTo(xid, yid) || g.HasEdgeFromTo(yid, xid)
}

// HasEdgeFromTo reports whether an edge goes from u to v.
func (g *Graph) HasEdgeFromTo(uid, vid int64) bool { return g.Edge(uid, vid) != nil }

// Edge returns the first edge set from u to v, or nil.
func (g *Graph) Edge(uid, vid int64) graph.Edge {
	if e := g.WeightedEdge(uid, vid); e != nil {
		return e
	}
	return nil
}

// WeightedEdge returns the first edge set from u to v, or nil.
func (g *Graph) WeightedEdge(uid, vid int64) graph.WeightedEdge {
	for _, e := range g.out[uid] {
		if e.to == vid {
			return simple.WeightedEdge{F: g.node(e.from), T: g.node(e.to), W: e.w}
		}
	}
	return nil
}

// Weight returns the weight of the first edge from x to y, as gonum's
// graph.Weighted does; a node's weight to itself is 0.
func (g *Graph) Weight(xid, yid int64) (w float64, ok bool) {
	if xid == yid {
		return 0, true
	}
	if e := g.WeightedEdge(xid, yid); e != nil {
		return e.Weight(), true
	}
	return math.Inf(1), false
}

// ApplyOperation records that the operation computes the nodes ns (its
// outputs, in order) from the nodes that the edges set since the previous
// call lead to (its inputs, ordered by weight). An operator that onnxkit
// does not implement at any opset is an *onnx.ErrNotImplemented of
// onnx-go, so that UnmarshalBinary fails with it.
func (g *Graph) ApplyOperation(o gonnx.Operation, ns ...graph.Node) error {
	pending := g.pending
	g.pending = nil
	g.decoded = true
	g.layout, g.compiled, g.key, g.fail = nil, nil, "", nil

	op := &operation{op: o}
	var first *Node // the first named output: the node's name in messages
	for _, gn := range ns {
		n, ok := gn.(*Node)
		if !ok || n == nil || n.g != g || g.node(n.id) != n {
			return fmt.Errorf("onnxgo: operation %s: output %v is not a node of this graph", o.Name, gn)
		}
		op.outputs = append(op.outputs, n.id)
		if n.name == "" {
			continue // an omitted optional output
		}
		if first == nil {
			first = n
		}
		if n.producer != nil {
			return fmt.Errorf("onnxgo: node %q (%s): value %q is also computed by a %s node", first.name, o.Name, n.name, n.producer.op.Name)
		}
	}
	if first == nil {
		// Nothing named comes out: nothing can read the node's results.
		return nil
	}
	for _, id := range op.outputs {
		if n := g.node(id); n.name != "" {
			n.producer = op
		}
	}

	// The inputs: the edges from the first named output, by weight.
	var ins []edge
	for _, e := range pending {
		if e.from == first.id {
			ins = append(ins, e)
		}
	}
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].w < ins[j].w })
	if len(ins) > 0 {
		op.inputs = make([]int64, int(ins[len(ins)-1].w)+1)
		for i := range op.inputs {
			op.inputs[i] = -1
		}
		for _, e := range ins {
			if op.inputs[int(e.w)] != -1 {
				return fmt.Errorf("onnxgo: node %q (%s): two values for input %d", first.name, o.Name, int(e.w))
			}
			op.inputs[int(e.w)] = e.to
		}
	}

	if g.fakeInput(op) {
		g.node(op.inputs[0]).fake = true
		op.inputs = nil
	}
	np, err := g.nodeProto(op, nil)
	if err != nil {
		return fmt.Errorf("onnxgo: node %q (%s): %w", first.name, o.Name, err)
	}
	op.fits, err = fitting(np)
	if err != nil {
		return &gonnx.ErrNotImplemented{
			Operator: o.Name,
			Message:  fmt.Sprintf("onnxgo: node %q: onnxkit does not implement it at any opset: %v", first.name, err),
		}
	}
	g.ops = append(g.ops, op)
	return nil
}

// fakeInput reports whether the operation's only input is the value that
// onnx-go's decoder makes up for a node without inputs (such as a
// Constant): a node named "<node name>/input" without a tensor, computed
// by nothing, made for this operation after every other node but its
// outputs.
func (g *Graph) fakeInput(op *operation) bool {
	if len(op.inputs) != 1 || op.inputs[0] < 0 {
		return false
	}
	n := g.node(op.inputs[0])
	if n == nil || !strings.HasSuffix(n.name, "/input") || n.t != nil || n.decodeSets > 0 || n.producer != nil {
		return false
	}
	for id := n.id + 1; id < int64(len(g.nodes)); id++ {
		if !slices.Contains(op.outputs, id) {
			return false
		}
	}
	for _, id := range g.in[n.id] {
		if !slices.Contains(op.outputs, id) {
			return false
		}
	}
	return true
}
