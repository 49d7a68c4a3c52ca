package ops

import (
	"fmt"
	"slices"
	"strings"
)

// Opset 18 of ai.onnx.
//
// schemas.txt is generated from python onnx 1.12, whose newest ai.onnx
// opset is 17. ONNX 1.13 introduced opset 18, which onnxkit's own exporter
// writes and PyTorch 2 exports by default. The operator versions it added
// are listed here by hand, from the ONNX operator changelog ("Version 18
// of the default ONNX operator set") and the opset-18 list of
// onnx/defs/operator_sets.h, in the columns of schemas.txt (operator, since
// version, deprecated, min and max inputs, min and max outputs, attribute
// names).
//
// The list must be complete: an operator missing from it would resolve, in
// an opset-18 model, to its opset-17 version and run with the old
// semantics. With the entries present, an opset-18 model using one of
// these operators needs the version-18 implementation to be registered;
// otherwise Lookup reports the operator as unsupported. Ops unchanged at 18
// keep resolving to their older versions, as ONNX specifies.
//
// The rows are merged into the generated table before any init function
// (and so any Register) runs; rows already present there (if schemas.txt
// is regenerated from a newer onnx) take precedence.
const opset18Schemas = `
BitwiseAnd	18	0	2	2	1	1	-
BitwiseNot	18	0	1	1	1	1	-
BitwiseOr	18	0	2	2	1	1	-
BitwiseXor	18	0	2	2	1	1	-
CenterCropPad	18	0	2	2	1	1	axes
Col2Im	18	0	3	3	1	1	dilations,pads,strides
GroupNormalization	18	0	3	3	1	1	epsilon,num_groups
LpPool	18	0	1	1	1	1	auto_pad,ceil_mode,dilations,kernel_shape,p,pads,strides
Mish	18	0	1	1	1	1	-
OptionalGetElement	18	0	1	1	1	1	-
OptionalHasElement	18	0	0	1	1	1	-
Pad	18	0	2	4	1	1	mode
ReduceL1	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceL2	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceLogSum	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceLogSumExp	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceMax	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceMean	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceMin	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceProd	18	0	1	2	1	1	keepdims,noop_with_empty_axes
ReduceSumSquare	18	0	1	2	1	1	keepdims,noop_with_empty_axes
Resize	18	0	1	4	1	1	antialias,axes,coordinate_transformation_mode,cubic_coeff_a,exclude_outside,extrapolation_value,keep_aspect_ratio_policy,mode,nearest_mode
ScatterElements	18	0	3	3	1	1	axis,reduction
ScatterND	18	0	3	3	1	1	reduction
Split	18	0	1	2	1	2147483647	axis,num_outputs
`

// opset18Merged is evaluated during package variable initialization, after
// schemas and maxOpset (which it depends on) and before every init.
var opset18Merged = mergeSchemas(schemas, maxOpset, "", opset18Schemas)

// mergeSchemas adds rows for domain to a parsed schema table and raises
// the domain's newest opset accordingly. Rows have the columns of
// schemas.txt without the domain, separated by white space, with "-" for
// no attributes; versions already in the table are kept. It returns the
// number of rows added.
func mergeSchemas(table map[opKey][]schema, maxv map[string]int, domain, rows string) int {
	var text strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(rows), "\n") {
		f := strings.Fields(line)
		if len(f) != 8 {
			panic(fmt.Sprintf("ops: opset 18 schema row %q: %d fields", line, len(f)))
		}
		if f[7] == "-" {
			f[7] = ""
		}
		text.WriteString(DomainName(domain) + "\t" + strings.Join(f, "\t") + "\n")
	}
	added := 0
	extra, extraMax := parseSchemas(text.String())
	for k, vs := range extra {
		for _, s := range vs {
			if slices.ContainsFunc(table[k], func(o schema) bool { return o.since == s.since }) {
				continue
			}
			table[k] = append(table[k], s)
			added++
		}
		slices.SortFunc(table[k], func(a, b schema) int { return a.since - b.since })
	}
	for d, v := range extraMax {
		maxv[d] = max(maxv[d], v)
	}
	return added
}
