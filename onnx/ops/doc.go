// Package ops holds onnxkit's ONNX operator implementations, one file per
// operator family, and the registry that maps (domain, operator, opset) to
// them, with the schemas, attribute access and output recycling they are
// written with. The tensor toolkit (Tensor, DType, broadcasting, shapes,
// TensorProto conversion) is package onnx/tensors; numeric kernels are
// internal/kernel. Package onnx loads models and runs them through it.
//
// # Adding an operator
//
// An operator family lives in one file of this package whose init function
// registers each operator. Nothing else needs editing. For example, in a
// file activation.go:
//
//	func init() {
//		Register(Op{
//			Type:  "LeakyRelu",
//			Since: []int{6, 16},          // ONNX versions implemented
//			Prepare: func(n *Node) (Kernel, error) {
//				alpha := n.Attrs.Float("alpha", 0.01) // read attributes once, at load
//				if err := n.Attrs.Err(); err != nil {
//					return nil, err
//				}
//				fns := NumericUnary{
//					F32: func(v float32) float32 { return leaky(v, alpha) },
//					F64: func(v float64) float64 { return leaky(v, float64(alpha)) },
//				}
//				return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
//					y, err := fns.Apply(in[0])
//					return []*tensors.Tensor{y}, err
//				}, nil
//			},
//			Infer: InferSame, // optional static shape inference
//		})
//	}
//
// Versions. Since lists the ONNX "since versions" the registration
// implements; they must be versions of the operator in schemas.txt (the
// operator definitions of ONNX 1.12, opsets up to 17) or in the opset-18
// additions of schemas_opset18.go; Register panics otherwise. A model at
// opset v uses the version with the greatest since-version <= v, and that
// exact version must be registered: listing only 6 for an operator that
// changed at 13 makes opset-13 models report the operator as unsupported
// rather than run the old semantics. One Op
// may serve several versions (n.Since tells Prepare which), or each
// version may have its own registration (see Add's legacy versions in
// arith.go, Reshape-1 in shape.go).
//
// Arity and attribute names are checked against the ONNX definition before
// Prepare runs. Prepare must read every attribute the node sets (with the
// Attrs getters) or mark it with Attrs.Ignore: any other attribute makes
// the load fail as unsupported, so an implementation can never silently
// drop an attribute it does not handle. Attribute values the
// implementation does not support must be rejected in Prepare with an
// error wrapping ErrUnsupported (Attrs.Enum does this for string enums).
// Errors from Prepare, Infer and kernels need not name the node: the
// loader prefixes `node "name" (Op)`.
//
// Half precision. An operator whose float32 kernel computes what its
// schema asks of float16 and bfloat16 sets Op.HalfAsFloat32: Compile then
// shows Prepare float32 where the model has half types (static types and
// constants, widened once at load time) and wraps the kernels to widen
// half inputs and round float32 outputs back, as onnxruntime's CPU
// provider does. Element-type-agnostic operators (data movement through
// tensors.Mover) hold half tensors without it.
//
// Other domains. Operators of domains without ONNX schemas (onnxruntime's
// com.microsoft, see qlinear_microsoft.go) register with Domain set and
// describe their arity and attributes with Op.Inputs, Op.Outputs and
// Op.Attributes, which Compile checks as it checks standard operators
// against schemas.txt.
//
// Kernels. A Kernel receives one tensor per node input (nil for omitted
// optional inputs; Node.HasInput tells at load time) and returns one per
// node output (Node.HasOutput tells which are requested). Kernels must not
// modify their inputs, must allocate their outputs (Make, Alloc) and must
// keep no mutable state: models run concurrently and constants are
// shared. Returning an input unchanged (Identity) or a reshaped view
// (Tensor.Reshape) is allowed. Run-time errors about element types should
// wrap ErrUnsupported (ErrDType does) so that reports can tell missing
// features from wrong answers. A kernel that panics or returns an
// inconsistent tensor is reported as an internal error naming the node.
//
// Constant inputs. Node.Const(i) returns input i's value when it is known
// at load time (non-overridable initializers, outputs of constant
// subgraphs); Prepare may use it to precompute (Reshape does). The loader
// evaluates nodes whose inputs are all constant once at load time, unless
// the Op is Volatile (random generators).
//
// # Tensors and element types (package tensors)
//
// A Tensor is an element type (DType, numbered as ONNX's
// TensorProto.DataType), a shape and a []T in row-major order: T is
// float32, float64, int8..int64, uint8..uint64, bool, string,
// tensors.F16 or tensors.BF16 (the Elem constraint; the last two hold
// float16 and bfloat16 bit patterns). Rank 0 is a scalar with one element; zero dimensions are
// allowed. Read typed data with Data[T](t) after checking t.DType(); write
// results into a fresh tensor from Make[T](shape) (or Alloc(dtype, shape)
// when the type is only known at run time), which also bounds the size by
// MaxElements and MaxTensorBytes before allocating (call CheckSize before
// allocating scratch space whose size depends on the inputs). AsInt64s
// reads index-like inputs (shapes, axes) of any integer type.
//
// Element-type dispatch: write the computation once as a generic function
// and instantiate it per type in a NumericUnary, NumericBinary or
// NumericPredicate, whose Apply picks the dtype's function, applies
// broadcasting and reports unsupported types. For other patterns mark the
// generic function with //dtypes:SET and index the generated NAMEFor map
// with the tensor's DType (see package tensors); go generate ./onnx/ops
// rewrites dtypes_gen.go. Never switch on DType case by case.
//
// # Broadcasting and shapes
//
// Binary(a, b, f) applies f elementwise with ONNX multidirectional
// broadcasting; Unary(x, f) maps. For more inputs or custom loops,
// NewBroadcast(shapes...) (or NewBroadcastTo for unidirectional
// broadcasting) gives the output shape and Runs, which visits the output
// in runs along which every input index advances by a fixed step.
// BroadcastShapes, CanBroadcastTo, LegacyBroadcast (opset < 7 broadcast
// and axis attributes), NumElements, Strides, NormalizeAxis,
// NormalizeAxes, ShapeFromInt64s and ReshapeTarget cover the shape
// arithmetic operators share.
//
// # Static shape inference
//
// Infer is optional and may be partial: it receives the static Types of
// the inputs (element type, rank and dimensions, each possibly unknown or
// symbolic) and returns what it can say about the outputs. InferSame and
// InferBroadcast cover the elementwise cases. An error from Infer fails the
// load, so report only what is certainly wrong.
//
// Two optional hooks go further. Op.Static computes outputs from static
// types alone (Shape of an input whose dimensions are known), which the
// loader then holds as constants. Op.ShapeValue tells what is known of the
// entries of an integer vector computed from shapes (Shape, Gather, Slice,
// Squeeze, Unsqueeze, Concat, Cast carry them, shapevalue.go), and Infer
// functions read it with Node.ShapeValue (ConstantOfShape does), so that a
// shape built from a symbolic batch still gives (batch, 64).
package ops
