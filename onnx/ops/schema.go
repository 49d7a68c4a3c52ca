package ops

import (
	_ "embed" // schemas.txt
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// schemas.txt lists every version of every standard ONNX operator known to
// the ONNX release it was generated from (see gen_schemas.py).
//
//go:generate sh -c "/usr/bin/python3 gen_schemas.py > schemas.txt"
//go:embed schemas.txt
var schemaText string

// schema is one version of one standard operator.
type schema struct {
	since          int
	deprecated     bool
	minIn, maxIn   int
	minOut, maxOut int
	attrs          map[string]bool
}

// Domain names. The default ONNX domain is written "" in nodes but "ai.onnx"
// in opset imports of some producers; both mean the same.
const (
	DomainONNX = ""
	DomainML   = "ai.onnx.ml"
)

// NormalizeDomain maps the spellings of the default domain ("" and
// "ai.onnx") to "".
func NormalizeDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// DomainName returns the printable name of a domain ("ai.onnx" for "").
func DomainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

type opKey struct{ domain, op string }

// schemas maps each standard operator to its versions, ascending.
var schemas, maxOpset = parseSchemas(schemaText)

func parseSchemas(text string) (map[opKey][]schema, map[string]int) {
	out := map[opKey][]schema{}
	maxv := map[string]int{}
	for ln, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			panic(fmt.Sprintf("ops: schemas.txt line %d: %d fields", ln+1, len(f)))
		}
		num := make([]int, 6)
		for i := range num {
			v, err := strconv.Atoi(f[2+i])
			if err != nil {
				panic(fmt.Sprintf("ops: schemas.txt line %d: %v", ln+1, err))
			}
			num[i] = v
		}
		s := schema{since: num[0], deprecated: num[1] != 0, minIn: num[2], maxIn: num[3], minOut: num[4], maxOut: num[5], attrs: map[string]bool{}}
		if f[8] != "" {
			for _, a := range strings.Split(f[8], ",") {
				s.attrs[a] = true
			}
		}
		dom := NormalizeDomain(f[0])
		k := opKey{dom, f[1]}
		out[k] = append(out[k], s)
		maxv[dom] = max(maxv[dom], s.since)
	}
	for _, v := range out {
		sort.Slice(v, func(i, j int) bool { return v[i].since < v[j].since })
	}
	return out, maxv
}

// MaxOpset returns the newest version of a standard domain that onnxkit
// knows the operator definitions of (18 for ai.onnx: schemas.txt plus
// schemas_opset18.go), or 0 for a domain it has no definitions for. Models
// importing a newer version are refused: an operator may have changed
// meaning in a version onnxkit does not know.
func MaxOpset(domain string) int { return maxOpset[NormalizeDomain(domain)] }

// IsStandardDomain reports whether onnxkit knows the operator definitions
// of the domain (ai.onnx, ai.onnx.ml, ai.onnx.preview.training).
func IsStandardDomain(domain string) bool { return maxOpset[NormalizeDomain(domain)] > 0 }

// schemaAt returns the version of a standard operator in effect at opset
// (the greatest since-version <= opset) and whether the operator exists in
// the domain at all.
func schemaAt(k opKey, opset int) (s *schema, known bool) {
	vs := schemas[k]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].since <= opset {
			return &vs[i], true
		}
	}
	return nil, len(vs) > 0
}

// schemaVersions returns the since-versions of a standard operator.
func schemaVersions(k opKey) []int {
	var out []int
	for _, s := range schemas[k] {
		out = append(out, s.since)
	}
	return out
}
