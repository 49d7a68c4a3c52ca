package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// GridSample (16): samples N×C×H×W input X at the normalized (x, y)
// positions of grid (N×Hout×Wout×2, -1..1 spanning the input) by bilinear,
// nearest (halves to even) or bicubic (A = -0.75) interpolation. Pixels
// outside the input read as zero (padding_mode zeros), as the nearest edge
// pixel (border) or as their reflection (reflection, about the edge pixel
// centres with align_corners and about the image edges without).
func init() {
	Register(Op{Type: "GridSample", Since: []int{16}, Prepare: prepareGridSample, Infer: inferRank4})
}

type gridSampler struct {
	align   bool
	mode    string
	padding string
}

func prepareGridSample(n *Node) (Kernel, error) {
	a := n.Attrs
	g := &gridSampler{
		align:   a.Int("align_corners", 0) != 0,
		mode:    a.Enum("mode", "bilinear", "bilinear", "nearest", "bicubic"),
		padding: a.Enum("padding_mode", "zeros", "zeros", "border", "reflection"),
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, grid := in[0], in[1]
		xs, gs := x.Shape(), grid.Shape()
		if len(xs) != 4 {
			return nil, fmt.Errorf("input X %s must be 4-D", tensors.FormatShape(xs))
		}
		if len(gs) != 4 || gs[0] != xs[0] || gs[3] != 2 {
			return nil, fmt.Errorf("input grid %s must be [%d, H_out, W_out, 2]", tensors.FormatShape(gs), xs[0])
		}
		xv, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		gv, err := floatInput(grid, "grid")
		if err != nil {
			return nil, err
		}
		nb, c, h, w := xs[0], xs[1], xs[2], xs[3]
		oh, ow := gs[1], gs[2]
		out := []int{nb, c, oh, ow}
		if _, err := tensors.CheckSize(x.DType(), out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		y := make([]float64, prodInts(out))
		if h > 0 && w > 0 {
			for ni := 0; ni < nb; ni++ {
				for i := 0; i < oh*ow; i++ {
					gx, gy := gv[(ni*oh*ow+i)*2], gv[(ni*oh*ow+i)*2+1]
					px, py := g.denorm(gx, w), g.denorm(gy, h)
					for ci := 0; ci < c; ci++ {
						img := xv[(ni*c+ci)*h*w : (ni*c+ci+1)*h*w]
						y[(ni*c+ci)*oh*ow+i] = g.sample(img, h, w, px, py)
					}
				}
			}
		}
		t, err := fromFloat64s(x.DType(), out, y)
		return []*tensors.Tensor{t}, err
	}, nil
}

func (g *gridSampler) denorm(v float64, n int) float64 {
	if g.align {
		return (v + 1) / 2 * float64(n-1)
	}
	return ((v+1)*float64(n) - 1) / 2
}

// bounds are the reflection limits of an axis of length n.
func (g *gridSampler) bounds(n int) (float64, float64) {
	if g.align {
		return 0, float64(n - 1)
	}
	return -0.5, float64(n) - 0.5
}

func reflectCoord(x, lo, hi float64) float64 {
	r := hi - lo
	if r <= 0 {
		return lo
	}
	switch {
	case x < lo:
		d := lo - x
		k := math.Floor(d / r)
		rem := d - k*r
		if int64(k)%2 == 0 {
			return lo + rem
		}
		return hi - rem
	case x > hi:
		d := x - hi
		k := math.Floor(d / r)
		rem := d - k*r
		if int64(k)%2 == 0 {
			return hi - rem
		}
		return lo + rem
	}
	return x
}

// pixel reads img at integer position (r, c) under the padding mode.
func (g *gridSampler) pixel(img []float64, h, w, r, c int) float64 {
	switch g.padding {
	case "border":
		r, c = max(0, min(h-1, r)), max(0, min(w-1, c))
	case "reflection":
		lo, hi := g.bounds(w)
		c = int(reflectCoord(float64(c), lo, hi))
		lo, hi = g.bounds(h)
		r = int(reflectCoord(float64(r), lo, hi))
		r, c = max(0, min(h-1, r)), max(0, min(w-1, c))
	default:
		if r < 0 || r >= h || c < 0 || c >= w {
			return 0
		}
	}
	return img[r*w+c]
}

func (g *gridSampler) sample(img []float64, h, w int, x, y float64) float64 {
	if x != x || y != y {
		return math.NaN()
	}
	// Keep far-away coordinates in int range; they read padding anyway.
	x, y = max(-1e9, min(1e9, x)), max(-1e9, min(1e9, y))
	if g.mode != "bicubic" {
		switch g.padding {
		case "border":
			x, y = max(0, min(float64(w-1), x)), max(0, min(float64(h-1), y))
		case "reflection":
			lo, hi := g.bounds(w)
			x = max(0, min(float64(w-1), reflectCoord(x, lo, hi)))
			lo, hi = g.bounds(h)
			y = max(0, min(float64(h-1), reflectCoord(y, lo, hi)))
		}
	}
	switch g.mode {
	case "nearest":
		return g.pixel(img, h, w, int(math.RoundToEven(y)), int(math.RoundToEven(x)))
	case "bicubic":
		x0, y0 := math.Floor(x)-1, math.Floor(y)-1
		tx, ty := x-x0-1, y-y0-1
		var cx, cy [4]float64
		for i := 0; i < 4; i++ {
			cx[i] = cubicWeight(math.Abs(float64(i-1)-tx), -0.75)
			cy[i] = cubicWeight(math.Abs(float64(i-1)-ty), -0.75)
		}
		s := 0.0
		for i := 0; i < 4; i++ {
			row := 0.0
			for j := 0; j < 4; j++ {
				row += cx[j] * g.pixel(img, h, w, int(y0)+i, int(x0)+j)
			}
			s += cy[i] * row
		}
		return s
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	r0, c0 := int(y0), int(x0)
	return (1-fy)*((1-fx)*g.pixel(img, h, w, r0, c0)+fx*g.pixel(img, h, w, r0, c0+1)) +
		fy*((1-fx)*g.pixel(img, h, w, r0+1, c0)+fx*g.pixel(img, h, w, r0+1, c0+1))
}
