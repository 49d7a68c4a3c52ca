package onnx

import (
	"fmt"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// topoSort orders the nodes so that each comes after the producers of its
// inputs, keeping the file's order where it already is one. A cycle is an
// error naming the nodes on it.
func topoSort(nodes []*onnxpb.NodeProto, producedBy map[string]int, desc []string) ([]int, error) {
	waiting := make([]int, len(nodes))
	consumers := make([][]int, len(nodes))
	for i, np := range nodes {
		for _, in := range np.GetInput() {
			if p, ok := producedBy[in]; ok && in != "" {
				waiting[i]++
				consumers[p] = append(consumers[p], i)
			}
		}
	}
	order := make([]int, 0, len(nodes))
	for i := range nodes {
		if waiting[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, c := range consumers[order[k]] {
			if waiting[c]--; waiting[c] == 0 {
				order = append(order, c)
			}
		}
	}
	if len(order) == len(nodes) {
		return order, nil
	}
	// Walk back from a blocked node through blocked producers until a node
	// repeats: the nodes from its first visit on form a cycle.
	start := -1
	for i := range nodes {
		if waiting[i] > 0 {
			start = i
			break
		}
	}
	pos := map[int]int{}
	var path []int
	for cur := start; ; {
		if p, seen := pos[cur]; seen {
			path = path[p:]
			break
		}
		pos[cur] = len(path)
		path = append(path, cur)
		next := -1
		for _, in := range nodes[cur].GetInput() {
			if p, ok := producedBy[in]; ok && in != "" && waiting[p] > 0 {
				next = p
				break
			}
		}
		if next < 0 { // cannot happen: a blocked node has a blocked producer
			break
		}
		cur = next
	}
	names := make([]string, len(path))
	for i, n := range path {
		names[len(path)-1-i] = desc[n]
	}
	return nil, fmt.Errorf("graph has a cycle: %s -> %s", strings.Join(names, " -> "), names[0])
}
