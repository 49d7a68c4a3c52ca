package ops

// Activation functions.

func relu[T Numeric](v T) T {
	if v < 0 {
		return 0
	}
	return v // NaN stays NaN
}

func init() {
	// Relu-1 has a legacy consumed_inputs attribute without effect; 6 and
	// 13 take floats, 14 adds signed integers.
	reluFns := NumericUnary{
		F32: relu[float32], F64: relu[float64],
		I8: relu[int8], I16: relu[int16], I32: relu[int32], I64: relu[int64],
	}
	Register(Op{
		Type:  "Relu",
		Since: []int{1, 6, 13, 14},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			return func(in []*Tensor) ([]*Tensor, error) {
				y, err := reluFns.Apply(in[0])
				return []*Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
}
