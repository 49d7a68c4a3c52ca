package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// subgraphLines lists the subgraphs of a node (If branches, Loop and Scan
// bodies), each as a line naming the attribute followed by one line per
// node of the subgraph with its operator and output names, and the
// subgraphs nested in those, each level indented two more spaces than
// depth.
func subgraphLines(n *onnxpb.NodeProto, depth int) []string {
	if depth > onnx.MaxSubgraphDepth {
		return nil
	}
	var lines []string
	pad := strings.Repeat("  ", depth)
	for _, a := range n.GetAttribute() {
		graphs := a.GetGraphs()
		if a.GetG() != nil {
			graphs = append([]*onnxpb.GraphProto{a.GetG()}, graphs...)
		}
		for _, g := range graphs {
			lines = append(lines, fmt.Sprintf("%s%s: %d %s", pad, a.GetName(), len(g.GetNode()), plural(len(g.GetNode()), "node", "nodes")))
			for i, sn := range g.GetNode() {
				name := sn.GetName()
				if name == "" {
					name = "#" + strconv.Itoa(i)
				}
				var outs []string
				for _, o := range sn.GetOutput() {
					if o != "" {
						outs = append(outs, o)
					}
				}
				lines = append(lines, fmt.Sprintf("%s  %s (%s) -> %s", pad, name, opLabel(sn), strings.Join(outs, ", ")))
				lines = append(lines, subgraphLines(sn, depth+2)...)
			}
		}
	}
	return lines
}
