package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Constant produces the tensor stored in its attributes. Version 1 and 9
// take "value"; 11 adds "sparse_value" (not supported); 12 and 13 add the
// value_float(s), value_int(s) and value_string(s) shorthands. Exactly one
// must be set.
func init() {
	Register(Op{
		Type:    "Constant",
		Since:   []int{1, 9, 11, 12, 13},
		Prepare: prepareConstant,
		// No Infer: the loader evaluates nodes without variable inputs once
		// and takes their types from the values.
	})
}

func prepareConstant(n *Node) (Kernel, error) {
	v, err := constantValue(n)
	if err != nil {
		return nil, err
	}
	return func([]*tensors.Tensor) ([]*tensors.Tensor, error) { return []*tensors.Tensor{v}, nil }, nil
}

// constantValue decodes whichever value attribute the node sets.
func constantValue(n *Node) (*tensors.Tensor, error) {
	a := n.Attrs
	var set []string
	for _, name := range []string{"value", "sparse_value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings"} {
		if a.Has(name) {
			set = append(set, name)
		}
	}
	if len(set) != 1 {
		return nil, fmt.Errorf("exactly one value attribute must be set, found %d %q", len(set), set)
	}
	var v *tensors.Tensor
	switch set[0] {
	case "value":
		v = a.Tensor("value")
	case "sparse_value":
		a.Ignore("sparse_value")
		return nil, fmt.Errorf("attribute \"sparse_value\": sparse tensors: %w", tensors.ErrUnsupported)
	case "value_float":
		v = tensors.Scalar(a.Float("value_float", 0))
	case "value_floats":
		v = tensors.Vector(a.Floats("value_floats", nil)...)
	case "value_int":
		v = tensors.Scalar(int64(a.Int("value_int", 0)))
	case "value_ints":
		ints := a.Ints("value_ints", nil)
		s := make([]int64, len(ints))
		for i, x := range ints {
			s[i] = int64(x)
		}
		v = tensors.Vector(s...)
	case "value_string":
		v = tensors.Scalar(a.Str("value_string", ""))
	case "value_strings":
		v = tensors.Vector(a.Strs("value_strings", nil)...)
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return v, nil
}
