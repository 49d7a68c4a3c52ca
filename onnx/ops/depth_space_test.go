package ops

import (
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestDepthSpaceRoundTrip(t *testing.T) {
	vals := make([]int64, 2*3*4*6)
	for i := range vals {
		vals[i] = int64(i)
	}
	x, _ := tensors.New([]int{2, 3, 4, 6}, vals)
	out, err := runNode(t, node("SpaceToDepth", []string{"x"}, []string{"y"}, nnInt("blocksize", 2)), 13, x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].Shape(), []int{2, 12, 2, 3}) {
		t.Fatalf("SpaceToDepth shape %v", out[0].Shape())
	}
	// Channel (by*2+bx)*3+c at (y, x) holds input (c, 2y+by, 2x+bx).
	if got := tensors.Data[int64](out[0])[(1*3+2)*6+1*3+2]; got != vals[(2*4+2*1+0)*6+2*2+1] {
		t.Errorf("SpaceToDepth element: got %d", got)
	}
	back, err := runNode(t, node("DepthToSpace", []string{"x"}, []string{"y"}, nnInt("blocksize", 2)), 13, out[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.Data[int64](back[0]), vals) {
		t.Error("DepthToSpace(DCR) does not invert SpaceToDepth")
	}
	// CRD: channel c*4 + by*2 + bx.
	y, _ := tensors.New([]int{1, 4, 1, 1}, []string{"a", "b", "c", "d"})
	out, err = runNode(t, node("DepthToSpace", []string{"x"}, []string{"y"}, nnInt("blocksize", 2), nnStr("mode", "CRD")), 13, y)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.Data[string](out[0]); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("CRD: %v", got)
	}
	if _, err := runNode(t, node("DepthToSpace", []string{"x"}, []string{"y"}, nnInt("blocksize", 3)), 13, y); err == nil {
		t.Error("channels not divisible by blocksize² accepted")
	}
}
