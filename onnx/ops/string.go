package ops

import (
	"fmt"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// String operators. StringNormalizer removes stop words from a [C] or
// [1, C] string tensor (comparing case-insensitively unless
// is_case_sensitive is set) and then changes the case of what is left
// (case_change_action LOWER, UPPER or NONE) with Unicode's default case
// mapping; the locale attribute is accepted but its language-specific
// rules (Turkish dotless i, ...) are not applied. When every word is a
// stop word the output is one empty string, as the specification says.
// Element-type-agnostic operators (Identity, Reshape, Concat, Gather,
// Transpose, ...) and Cast handle string tensors elsewhere.

func init() {
	Register(Op{
		Type:    "StringNormalizer",
		Since:   []int{10},
		Prepare: prepareStringNormalizer,
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			t := tensors.Type{DType: tensors.String}
			if in[0].RankKnown {
				t = tensors.RankType(tensors.String, len(in[0].Dims))
			}
			return []tensors.Type{t}, nil
		},
	})
}

func prepareStringNormalizer(n *Node) (Kernel, error) {
	action := n.Attrs.Enum("case_change_action", "NONE", "NONE", "LOWER", "UPPER")
	sensitive := n.Attrs.Int("is_case_sensitive", 0) != 0
	n.Attrs.Str("locale", "")
	stop := n.Attrs.Strs("stopwords", nil)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	stops := make(map[string]bool, len(stop))
	for _, w := range stop {
		if !sensitive {
			w = strings.ToLower(w)
		}
		stops[w] = true
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if x.DType() != tensors.String {
			return nil, tensors.ErrDType("X", x.DType(), tensors.String)
		}
		s := x.Shape()
		if !(len(s) == 1 || len(s) == 2 && s[0] == 1) {
			return nil, fmt.Errorf("X %v: want shape [C] or [1, C]", x)
		}
		var out []string
		for _, w := range tensors.Data[string](x) {
			key := w
			if !sensitive {
				key = strings.ToLower(w)
			}
			if stops[key] {
				continue
			}
			switch action {
			case "LOWER":
				w = strings.ToLower(w)
			case "UPPER":
				w = strings.ToUpper(w)
			}
			out = append(out, w)
		}
		if len(out) == 0 {
			out = []string{""}
		}
		shape := []int{len(out)}
		if len(s) == 2 {
			shape = []int{1, len(out)}
		}
		y, err := tensors.New(shape, out)
		return []*tensors.Tensor{y}, err
	}, nil
}
