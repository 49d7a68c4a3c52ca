package ops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Einsum (version 12) evaluates an Einstein summation equation such as
// "bij,bjk->bik": explicit ("->") or implicit output (the labels used
// once, in alphabetical order), "..." for broadcast dimensions, and
// repeated labels within one operand (diagonals). The output size is
// checked against the tensor limits, and the number of multiply-adds
// against einsumMaxSteps, before any work.

func init() {
	Register(Op{Type: "Einsum", Since: []int{12}, Prepare: prepareEinsum})
}

// einsumMaxSteps bounds the product of all label sizes (the inner loop
// count) of one Einsum evaluation.
const einsumMaxSteps = 1 << 32

// einsumEllipsis labels stand for the broadcast dimensions: label
// einsumEllipsis+j is the j-th of them counted from the last.
const einsumEllipsis = 0x10000

type einsumEq struct {
	inputs   [][]rune // per operand, labels with "..." kept as '.'
	output   []rune
	explicit bool
}

func parseEinsum(eq string) (*einsumEq, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	e := &einsumEq{}
	lhs := eq
	if i := strings.Index(eq, "->"); i >= 0 {
		lhs, e.explicit = eq[:i], true
		out, err := einsumTerm(eq[i+2:])
		if err != nil {
			return nil, err
		}
		e.output = out
	}
	for _, term := range strings.Split(lhs, ",") {
		t, err := einsumTerm(term)
		if err != nil {
			return nil, err
		}
		e.inputs = append(e.inputs, t)
	}
	return e, nil
}

// einsumTerm reads one term, turning "..." into a single '.'.
func einsumTerm(s string) ([]rune, error) {
	var out []rune
	dots := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if dots || !strings.HasPrefix(s[i:], "...") {
				return nil, fmt.Errorf("term %q: misplaced '.'", s)
			}
			dots = true
			out = append(out, '.')
			i += 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			out = append(out, rune(c))
		default:
			return nil, fmt.Errorf("term %q: unexpected character %q", s, c)
		}
	}
	return out, nil
}

func prepareEinsum(n *Node) (Kernel, error) {
	eqText := n.Attrs.RequiredStr("equation")
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	eq, err := parseEinsum(eqText)
	if err != nil {
		return nil, fmt.Errorf("attribute \"equation\" %q: %w", eqText, err)
	}
	if len(eq.inputs) != len(n.Inputs) {
		return nil, fmt.Errorf("equation %q has %d operands, the node %d inputs", eqText, len(eq.inputs), len(n.Inputs))
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		for _, t := range in[1:] {
			if t.DType() != in[0].DType() {
				return nil, fmt.Errorf("inputs have different dtypes %v and %v", in[0].DType(), t.DType())
			}
		}
		einsum, ok := einsumTFor[in[0].DType()]
		if !ok || in[0].DType().Size() < 4 { // the spec's types: 32- and 64-bit numbers
			return nil, tensors.ErrDType("Inputs", in[0].DType(), tensors.Float32, tensors.Float64, tensors.Int32, tensors.Int64, tensors.Uint32, tensors.Uint64)
		}
		y, err := einsum(eq, in)
		if err != nil {
			return nil, fmt.Errorf("equation %q: %w", eqText, err)
		}
		return []*tensors.Tensor{y}, nil
	}, nil
}

//dtypes:numeric
func einsumT[T tensors.Numeric](eq *einsumEq, in []*tensors.Tensor) (*tensors.Tensor, error) {
	// Expand "..." per operand into ellipsis labels aligned from the right.
	size := map[rune]int{}
	nEll := 0
	expanded := make([][]rune, len(in))
	for k, t := range in {
		labels := eq.inputs[k]
		named := len(labels)
		hasDots := slices.Contains(labels, '.')
		if hasDots {
			named--
		}
		extra := t.Rank() - named
		if extra < 0 || (!hasDots && extra != 0) {
			return nil, fmt.Errorf("operand %d %v does not match its term of %d labels", k, t, named)
		}
		var ex []rune
		for _, l := range labels {
			if l == '.' {
				for j := extra - 1; j >= 0; j-- {
					ex = append(ex, einsumEllipsis+rune(j))
				}
				nEll = max(nEll, extra)
				continue
			}
			ex = append(ex, l)
		}
		for d, l := range ex {
			dim := t.Shape()[d]
			old, seen := size[l]
			switch {
			case !seen || old == 1 && l >= einsumEllipsis:
				size[l] = dim
			case old != dim && !(l >= einsumEllipsis && dim == 1):
				return nil, fmt.Errorf("label %q has sizes %d and %d", einsumName(l), old, dim)
			}
		}
		expanded[k] = ex
	}
	// Output labels.
	var out []rune
	if eq.explicit {
		for _, l := range eq.output {
			if l == '.' {
				for j := nEll - 1; j >= 0; j-- {
					out = append(out, einsumEllipsis+rune(j))
				}
				continue
			}
			if _, ok := size[l]; !ok {
				return nil, fmt.Errorf("output label %q appears in no operand", l)
			}
			if slices.Contains(out, l) {
				return nil, fmt.Errorf("output label %q is repeated", l)
			}
			out = append(out, l)
		}
	} else {
		for j := nEll - 1; j >= 0; j-- {
			out = append(out, einsumEllipsis+rune(j))
		}
		count := map[rune]int{}
		for _, ex := range expanded {
			for _, l := range ex {
				count[l]++
			}
		}
		var once []rune
		for l, c := range count {
			if c == 1 && l < einsumEllipsis {
				once = append(once, l)
			}
		}
		slices.Sort(once)
		out = append(out, once...)
	}
	all := slices.Clone(out)
	for _, ex := range expanded {
		for _, l := range ex {
			if !slices.Contains(all, l) {
				all = append(all, l)
			}
		}
	}
	shape := make([]int, len(out))
	for i, l := range out {
		shape[i] = size[l]
	}
	res, dst, err := tensors.Make[T](shape)
	if err != nil {
		return nil, err
	}
	steps := 1.0
	for _, l := range all {
		steps *= float64(size[l])
	}
	if steps == 0 {
		return res, nil
	}
	if steps > einsumMaxSteps {
		return nil, fmt.Errorf("%.0f multiply-adds exceed the limit of %d: %w", steps, int64(einsumMaxSteps), tensors.ErrUnsupported)
	}
	// Strides of every label in every operand (summed for repeated labels,
	// 0 for broadcast dimensions of size 1) and in the output.
	strides := make([][]int, len(in)+1)
	for k, t := range in {
		st := rowMajorStrides(t.Shape())
		strides[k] = make([]int, len(all))
		for d, l := range expanded[k] {
			if t.Shape()[d] == 1 && size[l] != 1 {
				continue
			}
			strides[k][slices.Index(all, l)] += st[d]
		}
	}
	ost := rowMajorStrides(shape)
	strides[len(in)] = make([]int, len(all))
	for i := range out {
		strides[len(in)][i] = ost[i]
	}
	data := make([][]T, len(in))
	for k, t := range in {
		data[k] = tensors.Data[T](t)
	}
	dims := make([]int, len(all))
	for i, l := range all {
		dims[i] = size[l]
	}
	idx := make([]int, len(all))
	off := make([]int, len(in)+1)
	for {
		p := T(1)
		for k := range data {
			p *= data[k][off[k]]
		}
		dst[off[len(in)]] += p
		d := len(all) - 1
		for ; d >= 0; d-- {
			idx[d]++
			for k := range off {
				off[k] += strides[k][d]
			}
			if idx[d] < dims[d] {
				break
			}
			for k := range off {
				off[k] -= strides[k][d] * dims[d]
			}
			idx[d] = 0
		}
		if d < 0 {
			break
		}
	}
	return res, nil
}

func einsumName(l rune) string {
	if l >= einsumEllipsis {
		return "..."
	}
	return string(l)
}
