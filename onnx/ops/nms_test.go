package ops

import (
	"slices"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestNMS(t *testing.T) {
	// Three boxes as centers: 0 and 1 overlap with IoU 0.6 (2x2 boxes
	// offset by 0.5: intersection 1.5*2 = 3, union 5); 2 is apart.
	boxes, _ := tensors.New([]int{1, 3, 4}, []float32{0, 0, 2, 2, 0.5, 0, 2, 2, 10, 10, 2, 2})
	scores, _ := tensors.New([]int{1, 2, 3}, []float32{0.9, 0.8, 0.7, 0.1, 0.3, 0.2})
	nd := node("NonMaxSuppression", []string{"b", "s", "m", "i", "t"}, []string{"y"}, nnInt("center_point_box", 1))
	cases := []struct {
		max     int64
		iou, th float32
		want    []int64
	}{
		{10, 0.5, 0, []int64{0, 0, 0, 0, 0, 2, 0, 1, 1, 0, 1, 2}},
		{10, 0.7, 0, []int64{0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 1, 0, 1, 2, 0, 1, 0}},
		{1, 0.5, 0, []int64{0, 0, 0, 0, 1, 1}},
		{10, 0.5, 0.25, []int64{0, 0, 0, 0, 0, 2, 0, 1, 1}},
		{0, 0.5, 0, nil},
	}
	for _, c := range cases {
		out, err := runNode(t, nd, 11, boxes, scores, tensors.Scalar(c.max), tensors.Scalar(c.iou), tensors.Scalar(c.th))
		if err != nil {
			t.Fatal(err)
		}
		if got := tensors.Data[int64](out[0]); !slices.Equal(got, c.want) && !(len(got) == 0 && c.want == nil) {
			t.Errorf("max %d iou %g th %g: got %v, want %v", c.max, c.iou, c.th, got, c.want)
		}
	}
	bad, _ := tensors.New([]int{1, 3, 3}, make([]float32, 9))
	_, err := runNode(t, nd, 11, bad, scores)
	if err == nil || !strings.Contains(err.Error(), "boxes") {
		t.Errorf("boxes of the wrong shape: %v", err)
	}
}
