package ops

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Kernel computes a prepared node's outputs from its inputs.
//
// in has one entry per node input, nil for an omitted optional input. The
// result must have an entry for every node output that HasOutput reports
// (extra entries and entries for omitted outputs are ignored). Kernels must
// not modify their inputs (see Tensor) and must be safe to call from many
// goroutines at once: whatever Prepare captured is read-only.
type Kernel func(in []*tensors.Tensor) ([]*tensors.Tensor, error)

// Op registers the implementation of one operator for one or more of its
// versions.
type Op struct {
	// Domain is the operator's domain: "" (or "ai.onnx") for standard ONNX.
	Domain string
	// Type is the operator name as in NodeProto.op_type, e.g. "Relu".
	Type string
	// Since lists the operator versions (ONNX "since versions") that this
	// registration implements. A model at opset v runs the version with the
	// greatest since-version <= v; if that exact version is not registered
	// the node is unsupported, so an operator that changed in a later opset
	// is never run with stale semantics. Node.Since tells Prepare which
	// version it serves. Different versions may live in different
	// registrations.
	Since []int
	// Prepare is called once per node when a model is loaded. It reads and
	// checks the attributes (n.Attrs), may look at constant inputs
	// (n.Const) and static types (n.InputType), rejects what it does not
	// implement (errors wrapping ErrUnsupported), and returns the Kernel
	// that runs the node. Returned errors need not name the node: the
	// loader adds it.
	Prepare func(n *Node) (Kernel, error)
	// Infer, optional, computes the static types of the node's outputs from
	// those of its inputs (entries of in for omitted inputs are zero). It
	// may leave anything unknown, return fewer types than outputs, and use
	// n.Const. An error means the node can never run (e.g. static shapes
	// that cannot broadcast) and fails the load.
	Infer func(n *Node, in []tensors.Type) ([]tensors.Type, error)
	// Static, optional, computes the node's outputs at load time from the
	// static types of its inputs when they alone determine them (Shape of
	// an input whose dimensions are all known), or returns nil. The
	// loader then treats the outputs as constants, as it does those of
	// nodes whose inputs are all constant.
	Static func(n *Node, in []tensors.Type) []*tensors.Tensor
	// ShapeValue, optional, tells what is known of the entries of the
	// node's first output, a small integer vector such as a shape, when it
	// is not a constant (see shapevalue.go), or returns nil.
	ShapeValue func(n *Node, in []tensors.Type) []tensors.Dim
	// Inputs and Outputs ([min, max] counts) and Attributes (the names
	// the operator defines) describe an operator of a domain that has no
	// ONNX schemas (com.microsoft); Compile checks nodes against them as
	// it checks standard operators against their schemas. Unset, nothing
	// is checked. Standard operators take them from schemas.txt.
	Inputs, Outputs [2]int
	Attributes      []string
	// HalfAsFloat32 makes the runtime compute float16 and bfloat16 inputs
	// in float32, as onnxruntime's CPU provider does for operators without
	// half-precision kernels: half inputs (and constant inputs Prepare sees
	// with Node.Const, and static types) are widened to float32 exactly,
	// and float32 outputs are rounded to nearest even back to the half type
	// of the first half input. Set it on operators whose float32 kernel
	// computes what the schema asks of half types; element-type-agnostic
	// operators (data movement) hold half tensors as they are without it.
	HalfAsFloat32 bool
	// Values marks operators that take or return sequence and optional
	// values (tensors.SequenceKind, tensors.OptionalKind) as well as
	// tensors: the sequence and optional operators, Identity, If, Loop.
	// The runtime refuses such values as inputs of any other operator,
	// at load when static types show them, else at run time, naming the
	// node.
	Values bool
	// Volatile marks operators whose output is not a function of their
	// inputs (RandomNormal, Bernoulli, ...); they are never evaluated at
	// load time even when all their inputs are constant.
	Volatile bool
}

var registry = map[opKey]map[int]*Op{}

// notImplemented says, for standard operators that onnxkit deliberately
// lacks, why: Lookup adds it to its error. Set it from init functions.
var notImplemented = map[opKey]string{}

// Register adds an operator implementation. Call it only from init
// functions. It panics on programming errors: an empty type, no or
// duplicate since-versions, a version already registered, or (for standard
// domains) a since-version that is not a version of the operator.
func Register(op Op) {
	op.Domain = NormalizeDomain(op.Domain)
	k := opKey{op.Domain, op.Type}
	if op.Type == "" || op.Prepare == nil || len(op.Since) == 0 {
		panic(fmt.Sprintf("ops.Register(%s %q): Type, Prepare and Since are required", DomainName(op.Domain), op.Type))
	}
	known := schemaVersions(k)
	if IsStandardDomain(op.Domain) && len(known) == 0 {
		panic(fmt.Sprintf("ops.Register: %s is not an operator of domain %s", op.Type, DomainName(op.Domain)))
	}
	if registry[k] == nil {
		registry[k] = map[int]*Op{}
	}
	p := &op
	for _, v := range op.Since {
		if len(known) > 0 && !slices.Contains(known, v) {
			panic(fmt.Sprintf("ops.Register: %s has no version %d (versions: %v)", op.Type, v, known))
		}
		if registry[k][v] != nil {
			panic(fmt.Sprintf("ops.Register: %s version %d registered twice", op.Type, v))
		}
		registry[k][v] = p
	}
}

// OpVersion names one registered operator version.
type OpVersion struct {
	Domain string
	Type   string
	Since  int
}

// Registered lists every registered operator version, sorted by domain,
// type and version.
func Registered() []OpVersion {
	var out []OpVersion
	for k, vs := range registry {
		for v := range vs {
			out = append(out, OpVersion{k.domain, k.op, v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Since < b.Since
	})
	return out
}

// Lookup finds the implementation of an operator at a model's opset for
// its domain, returning it with the since-version in effect. The error says
// why there is none, naming the operator, opset and implemented versions;
// it wraps ErrUnsupported when the model is valid but onnxkit lacks the
// implementation.
func Lookup(domain, opType string, opset int) (*Op, int, error) {
	domain = NormalizeDomain(domain)
	k := opKey{domain, opType}
	impl := registry[k]
	have := make([]int, 0, len(impl))
	for v := range impl {
		have = append(have, v)
	}
	sort.Ints(have)
	dn := DomainName(domain)
	if IsStandardDomain(domain) {
		s, known := schemaAt(k, opset)
		switch {
		case !known:
			return nil, 0, fmt.Errorf("%s is not an operator of %s (as of opset %d)", opType, dn, MaxOpset(domain))
		case s == nil:
			return nil, 0, fmt.Errorf("%s does not exist at %s opset %d (first version: %d)", opType, dn, opset, schemaVersions(k)[0])
		case s.deprecated:
			return nil, 0, fmt.Errorf("%s is deprecated at %s opset %d (since version %d)", opType, dn, opset, s.since)
		}
		if op := impl[s.since]; op != nil {
			return op, s.since, nil
		}
		if len(have) == 0 {
			why := ""
			if w := notImplemented[k]; w != "" {
				why = " (" + w + ")"
			}
			return nil, 0, fmt.Errorf("operator %s (version %d, in effect at %s opset %d) is not implemented%s: %w", opType, s.since, dn, opset, why, tensors.ErrUnsupported)
		}
		return nil, 0, fmt.Errorf("operator %s version %d (in effect at %s opset %d) is not implemented; implemented versions: %s: %w",
			opType, s.since, dn, opset, joinInts(have), tensors.ErrUnsupported)
	}
	for i := len(have) - 1; i >= 0; i-- {
		if have[i] <= opset {
			return impl[have[i]], have[i], nil
		}
	}
	if len(have) == 0 {
		return nil, 0, fmt.Errorf("operator %s of domain %s is not implemented: %w", opType, dn, tensors.ErrUnsupported)
	}
	return nil, 0, fmt.Errorf("operator %s of domain %s is not implemented at opset %d; implemented versions: %s: %w",
		opType, dn, opset, joinInts(have), tensors.ErrUnsupported)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// Node is what Prepare and Infer know about one node of a loaded model.
type Node struct {
	// Name is the node's name (often empty).
	Name string
	// Type and Domain identify the operator ("" is the default domain).
	Type   string
	Domain string
	// Opset is the model's version of the node's domain; Since is the
	// operator version in effect at that opset (one of the registered
	// Since values).
	Opset int
	Since int
	// Index is the node's position in the graph's node list.
	Index int
	// Inputs and Outputs are the value names; "" marks an omitted optional
	// argument.
	Inputs  []string
	Outputs []string
	// Attrs gives typed access to the attributes.
	Attrs *Attrs
	// Proto is the node as stored in the model. Read only.
	Proto *onnxpb.NodeProto

	env       Env
	recycling RecyclingKernel                                          // set by Recycling
	withRelu  RecyclingKernel                                          // set by FusedRelu
	constIn   func(i int, t *tensors.Tensor)                           // set by OnConstInput
	withAct   func(kernel.Activation) RecyclingKernel                  // set by FusedActivation
	withBias  func(*tensors.Tensor, bool) RecyclingKernel              // set by FusedBias
	withPool  func(*PoolSpec, bool, kernel.Activation) RecyclingKernel // set by FusedPool
	withRes   func(bool) RecyclingKernel                               // set by FusedResidual
	pool      *PoolSpec                                                // a MaxPool's pooling
}

// OnConstInput registers f to be told, at load, of a constant t that a
// runtime's fused step feeds as the node's input i in place of the
// node's own (a convolution's weights with a BatchNormalization folded
// in, say), so that the implementation can prepare for it as for the
// constants Const returns (see Compiled.ConstInput).
func (n *Node) OnConstInput(f func(i int, t *tensors.Tensor)) { n.constIn = f }

// String names the node for messages: `node "conv1" (Conv)`, or for an
// unnamed node `node #3 (Conv, output "y")`.
func (n *Node) String() string { return Describe(n.Proto, n.Index) }

// Describe names a node of a graph for messages (see Node.String).
func Describe(np *onnxpb.NodeProto, index int) string {
	op := np.GetOpType()
	if d := np.GetDomain(); NormalizeDomain(d) != "" {
		op = d + "." + op
	}
	if np.GetName() != "" {
		return fmt.Sprintf("node %q (%s)", np.GetName(), op)
	}
	for _, o := range np.GetOutput() {
		if o != "" {
			return fmt.Sprintf("node #%d (%s, output %q)", index, op, o)
		}
	}
	return fmt.Sprintf("node #%d (%s)", index, op)
}

// HasInput reports whether input i is present (not omitted).
func (n *Node) HasInput(i int) bool { return i >= 0 && i < len(n.Inputs) && n.Inputs[i] != "" }

// HasOutput reports whether output i is requested (not omitted).
func (n *Node) HasOutput(i int) bool { return i >= 0 && i < len(n.Outputs) && n.Outputs[i] != "" }

// Const returns the value of input i if it is known when the model is
// loaded (a non-overridable initializer or the output of a constant
// subgraph), else nil. Prepare may use it to do work once (e.g. a Reshape
// whose shape is constant); the kernel still receives the value in its
// inputs.
func (n *Node) Const(i int) *tensors.Tensor {
	if !n.HasInput(i) || n.env.Const == nil {
		return nil
	}
	return n.env.Const(n.Inputs[i])
}

// Warn reports, at load time, that the node is accepted although it
// breaks the ONNX specification (for instance because common runtimes
// tolerate it). The loader groups identical messages of a model into one
// line.
func (n *Node) Warn(msg string) {
	if n.env.Warn != nil {
		n.env.Warn(msg)
	}
}

// InputType returns the static type of input i as far as it is known. It
// comes from checked graph input declarations and from the operators'
// Infer functions; treat it as a hint for choosing a strategy, and keep
// kernels checking what memory safety depends on.
func (n *Node) InputType(i int) tensors.Type {
	if !n.HasInput(i) || n.env.Type == nil {
		return tensors.Type{}
	}
	return n.env.Type(n.Inputs[i])
}

// Env is what the loader (package onnx) tells Compile about a node's
// surroundings.
type Env struct {
	// Opset is the model's version of the node's domain.
	Opset int
	// Index is the node's position in its graph.
	Index int
	// Const returns the value of a value name known at load time, or nil.
	Const func(name string) *tensors.Tensor
	// Type returns the static type of a value name.
	Type func(name string) tensors.Type
	// Decode converts TENSOR attributes (nil: FromProto).
	Decode func(*onnxpb.TensorProto) (*tensors.Tensor, error)
	// Warn, when set, receives load-time warnings about the node (see
	// Node.Warn).
	Warn func(msg string)
	// ShapeValue, when set, returns what is known of the entries of a
	// non-constant integer vector (see Node.ShapeValue), or nil.
	ShapeValue func(name string) []tensors.Dim
}

// Compiled is a node ready to run.
type Compiled struct {
	Node   *Node
	Op     *Op
	Kernel Kernel
	// Recycling, when the implementation provides one (see
	// Node.Recycling), is the form of Kernel that reuses its previous
	// results.
	Recycling RecyclingKernel
	// WithRelu, when the implementation provides one (see
	// Node.FusedRelu), is Recycling with a Relu applied to its single
	// output in the same pass: a runtime may run it in place of the node
	// and a Relu that alone reads its output.
	WithRelu RecyclingKernel
	// WithActivation, when the implementation provides it (see
	// Node.FusedActivation), returns Recycling with the activation applied
	// to its single output in the same pass: a runtime may run it in place
	// of the node and the nodes computing the activation (a Clip, or a
	// HardSigmoid and the Mul of its input by its output).
	WithActivation func(kernel.Activation) RecyclingKernel
	// WithBias, when the implementation provides it (see Node.FusedBias),
	// returns Recycling followed, in the same step, by the Add of the
	// constant vector bias along the last axis of its single output, and
	// then a Relu when relu is set: a runtime may run it in place of the
	// node, such an Add that alone reads its output and the Relu that
	// alone reads the Add's.
	WithBias func(bias *tensors.Tensor, relu bool) RecyclingKernel
	// WithResidual, when the implementation provides it (see
	// Node.FusedResidual), returns Recycling taking one more input, a
	// tensor added to its single output in the same step (a ResNet's skip
	// connection), and then a Relu when relu is set: a runtime may run it
	// in place of the node, an Add of its output and another value that
	// alone reads the output, and the Relu that alone reads the Add's.
	WithResidual func(relu bool) RecyclingKernel
	// ConstInput, when the implementation provides it (see
	// Node.OnConstInput), is to be called at load, before any run, for
	// each constant a fused step feeds as input i of the node.
	ConstInput func(i int, t *tensors.Tensor)
	// Pool is set on a MaxPool node whose pooling another node's kernel
	// can do (2-D, one output): see WithPool.
	Pool *PoolSpec
	// WithPool, when the implementation provides it (see Node.FusedPool),
	// returns Recycling followed, in the same step, by a Relu when relu is
	// set, the activation act, and the pooling ps of a MaxPool node: a
	// runtime may run it in place of the node, the Relu or activation that
	// alone reads its output and the MaxPool that alone reads theirs.
	WithPool func(ps *PoolSpec, relu bool, act kernel.Activation) RecyclingKernel
}

// Compile resolves a node's operator at the model's opset, checks its
// input and output counts and attribute names against the operator's
// definition, and runs the implementation's Prepare. Errors do not name the
// node; the caller adds Describe(np, index).
func Compile(np *onnxpb.NodeProto, env Env) (*Compiled, error) {
	op, since, err := Lookup(np.GetDomain(), np.GetOpType(), env.Opset)
	if err != nil {
		return nil, err
	}
	k := opKey{NormalizeDomain(np.GetDomain()), np.GetOpType()}
	var def *schema
	if IsStandardDomain(k.domain) {
		def, _ = schemaAt(k, env.Opset)
	} else if op.Inputs != [2]int{} {
		def = &schema{since: since, minIn: op.Inputs[0], maxIn: op.Inputs[1],
			minOut: op.Outputs[0], maxOut: op.Outputs[1], attrs: map[string]bool{}}
		for _, a := range op.Attributes {
			def.attrs[a] = true
		}
	}
	if def != nil {
		if err := checkArity(np, def); err != nil {
			return nil, err
		}
	}
	attrs, err := NewAttrs(np.GetAttribute(), env.Decode)
	if err != nil {
		return nil, err
	}
	n := &Node{
		Name: np.GetName(), Type: np.GetOpType(), Domain: k.domain,
		Opset: env.Opset, Since: since, Index: env.Index,
		Inputs: np.GetInput(), Outputs: np.GetOutput(),
		Attrs: attrs, Proto: np, env: env,
	}
	if def != nil {
		for _, a := range attrs.Names() {
			if !def.attrs[a] {
				return nil, fmt.Errorf("attribute %q is not defined for %s version %d", a, n.Type, since)
			}
		}
	}
	var hc *halfConsts
	if op.HalfAsFloat32 {
		hc = newHalfConsts(env, n.Inputs)
		n.env = hc.env(env)
	}
	kernel, err := op.Prepare(n)
	if err == nil {
		err = attrs.Err()
	}
	if err != nil {
		return nil, err
	}
	if kernel == nil {
		return nil, fmt.Errorf("%s version %d: Prepare returned no kernel", n.Type, since)
	}
	if un := attrs.Unread(); len(un) > 0 {
		return nil, fmt.Errorf("attribute %q is not supported by onnxkit's %s version %d: %w", un[0], n.Type, since, tensors.ErrUnsupported)
	}
	c := &Compiled{Node: n, Op: op, Kernel: kernel, Recycling: n.recycling, WithRelu: n.withRelu, WithActivation: n.withAct, WithBias: n.withBias, WithResidual: n.withRes, ConstInput: n.constIn, WithPool: n.withPool, Pool: n.pool}
	if hc != nil {
		wrapHalf(c, hc)
	}
	return c, nil
}

func checkArity(np *onnxpb.NodeProto, s *schema) error {
	in, out := np.GetInput(), np.GetOutput()
	op := fmt.Sprintf("%s version %d", np.GetOpType(), s.since)
	switch {
	case len(in) < s.minIn:
		return fmt.Errorf("%d inputs, but %s takes at least %d", len(in), op, s.minIn)
	case len(in) > s.maxIn:
		return fmt.Errorf("%d inputs, but %s takes at most %d", len(in), op, s.maxIn)
	case len(out) < s.minOut:
		return fmt.Errorf("%d outputs, but %s has at least %d", len(out), op, s.minOut)
	case len(out) > s.maxOut:
		return fmt.Errorf("%d outputs, but %s has at most %d", len(out), op, s.maxOut)
	}
	// The first minIn inputs are required, unless the last one is variadic.
	for i := 0; i < s.minIn && i < len(in); i++ {
		if in[i] == "" && s.maxIn != maxVariadic {
			return fmt.Errorf("required input %d of %s is empty", i, op)
		}
	}
	return nil
}

// maxVariadic is the max_input/max_output of variadic operator arguments.
const maxVariadic = 2147483647

// Infer runs the operator's static type inference if it has one. The
// result has one Type per node output (unknown where Infer says nothing).
func (c *Compiled) Infer(in []tensors.Type) ([]tensors.Type, error) {
	out := make([]tensors.Type, len(c.Node.Outputs))
	if c.Op.Infer == nil {
		return out, nil
	}
	if c.Op.HalfAsFloat32 {
		return inferHalf(c, in, out)
	}
	got, err := c.Op.Infer(c.Node, in)
	if err != nil {
		return nil, err
	}
	copy(out, got)
	return out, nil
}

// Static returns the node's outputs if its operator can compute them from
// the static input types alone (see Op.Static), or nil.
func (c *Compiled) Static(in []tensors.Type) []*tensors.Tensor {
	if c.Op.Static == nil {
		return nil
	}
	return c.Op.Static(c.Node, in)
}

// Fits checks a node's form against its operator's definition at opset,
// as Compile does before it prepares the node: the operator exists there
// and onnxkit implements the version in effect (see Lookup), and the
// node's input and output counts and attribute names are those of that
// version. It prepares nothing, so attribute values and input types are
// not checked. Callers that do not know a node's opset (such as a graph
// handed over without its opset imports) use it to find the opsets a node
// can belong to.
func Fits(np *onnxpb.NodeProto, opset int) error {
	_, since, err := Lookup(np.GetDomain(), np.GetOpType(), opset)
	if err != nil {
		return err
	}
	k := opKey{NormalizeDomain(np.GetDomain()), np.GetOpType()}
	if !IsStandardDomain(k.domain) {
		return nil
	}
	def, _ := schemaAt(k, opset)
	if def == nil {
		return nil
	}
	if err := checkArity(np, def); err != nil {
		return err
	}
	for _, a := range np.GetAttribute() {
		if !def.attrs[a.GetName()] {
			return fmt.Errorf("attribute %q is not defined for %s version %d", a.GetName(), np.GetOpType(), since)
		}
	}
	return nil
}
