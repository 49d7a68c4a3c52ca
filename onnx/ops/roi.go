package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Region-of-interest pooling: RoiAlign (10, 16) and MaxRoiPool (1).
//
// RoiAlign averages (or takes the maximum of) bilinearly interpolated
// samples on a regular grid in each output bin, as onnxruntime does:
// sampling_ratio samples per bin side (0: ceil(roi size / bins)), samples
// more than one pixel outside the image count as zero, and in max mode
// each sample contributes the largest of its four weighted corner values.
// Version 16's default coordinate_transformation_mode half_pixel shifts
// the roi by half a pixel; output_half_pixel (the only behaviour of
// version 10) does not, and widens rois to at least one pixel.
//
// MaxRoiPool is Caffe's: roi corners (batch, x1, y1, x2, y2) are scaled and
// rounded, and each output bin takes the maximum over its pixels (0 when
// empty).
func init() {
	Register(Op{Type: "RoiAlign", Since: []int{10, 16}, Prepare: prepareRoiAlign, Infer: inferRank4})
	Register(Op{Type: "MaxRoiPool", Since: []int{1}, Prepare: prepareMaxRoiPool, Infer: inferRank4})
}

// maxRoiSamples bounds the work of one RoiAlign: rois far larger than
// the image with an adaptive sampling_ratio would otherwise take hours.
const maxRoiSamples = 1 << 30

func prepareRoiAlign(n *Node) (Kernel, error) {
	a := n.Attrs
	mode := a.Enum("mode", "avg", "avg", "max")
	ph, pw := a.Int("output_height", 1), a.Int("output_width", 1)
	ratio := a.Int("sampling_ratio", 0)
	scale := float64(a.Float("spatial_scale", 1))
	halfPixel := false
	if n.Since >= 16 {
		halfPixel = a.Enum("coordinate_transformation_mode", "half_pixel", "half_pixel", "output_half_pixel") == "half_pixel"
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	if ph < 1 || pw < 1 || ph > 1<<16 || pw > 1<<16 || ratio < 0 || ratio > 1<<10 {
		return nil, fmt.Errorf("output_height %d, output_width %d and sampling_ratio %d must be positive (sampling_ratio may be 0) and moderate", ph, pw, ratio)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, rois, idx := in[0], in[1], in[2]
		xs := x.Shape()
		if len(xs) != 4 {
			return nil, fmt.Errorf("input X %s must be 4-D", tensors.FormatShape(xs))
		}
		if rs := rois.Shape(); len(rs) != 2 || rs[1] != 4 {
			return nil, fmt.Errorf("input rois %s must be [num_rois, 4]", tensors.FormatShape(rs))
		}
		nr := rois.Shape()[0]
		if is := idx.Shape(); len(is) != 1 || is[0] != nr {
			return nil, fmt.Errorf("input batch_indices %s must be [%d]", tensors.FormatShape(is), nr)
		}
		xv, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		rv, err := floatInput(rois, "rois")
		if err != nil {
			return nil, err
		}
		bi, err := tensors.AsInt64s(idx)
		if err != nil {
			return nil, fmt.Errorf("input batch_indices: %w", err)
		}
		c, h, w := xs[1], xs[2], xs[3]
		out := []int{nr, c, ph, pw}
		if _, err := tensors.CheckSize(x.DType(), out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		y := make([]float64, prodInts(out))
		off := 0.0
		if halfPixel {
			off = 0.5
		}
		samples := 0.0
		for r := 0; r < nr; r++ {
			b := bi[r]
			if b < 0 || b >= int64(xs[0]) {
				return nil, fmt.Errorf("batch_indices[%d] = %d is out of range [0, %d)", r, b, xs[0])
			}
			x1, y1 := rv[r*4]*scale-off, rv[r*4+1]*scale-off
			x2, y2 := rv[r*4+2]*scale-off, rv[r*4+3]*scale-off
			rw, rh := x2-x1, y2-y1
			if !halfPixel {
				rw, rh = max(rw, 1), max(rh, 1)
			}
			bh, bw := rh/float64(ph), rw/float64(pw)
			gh, gw := ratio, ratio
			if ratio == 0 {
				gh, gw = int(min(math.Ceil(rh/float64(ph)), 1024)), int(min(math.Ceil(rw/float64(pw)), 1024))
			}
			gh, gw = max(gh, 0), max(gw, 0)
			if samples += float64(c) * float64(ph*pw) * float64(gh*gw); samples > maxRoiSamples {
				return nil, fmt.Errorf("the rois need more than %d bilinear samples (roi %d: %d×%d per bin)", int64(maxRoiSamples), r, gh, gw)
			}
			count := float64(max(gh*gw, 1))
			for ci := 0; ci < c; ci++ {
				img := xv[(int(b)*c+ci)*h*w : (int(b)*c+ci+1)*h*w]
				for py := 0; py < ph; py++ {
					for px := 0; px < pw; px++ {
						acc := 0.0
						if mode == "max" {
							acc = math.Inf(-1)
						}
						for iy := 0; iy < gh; iy++ {
							sy := y1 + float64(py)*bh + (float64(iy)+0.5)*bh/float64(gh)
							for ix := 0; ix < gw; ix++ {
								sx := x1 + float64(px)*bw + (float64(ix)+0.5)*bw/float64(gw)
								v := roiBilinear(img, h, w, sy, sx, mode == "max")
								if mode == "max" {
									acc = max(acc, v)
								} else {
									acc += v
								}
							}
						}
						if mode == "max" {
							if gh*gw == 0 {
								acc = 0
							}
						} else {
							acc /= count
						}
						y[((r*c+ci)*ph+py)*pw+px] = acc
					}
				}
			}
		}
		t, err := fromFloat64s(x.DType(), out, y)
		return []*tensors.Tensor{t}, err
	}, nil
}

// roiBilinear interpolates img at (y, x) as onnxruntime's RoiAlign does;
// with largest it returns the largest weighted corner value instead of
// their sum.
func roiBilinear(img []float64, h, w int, y, x float64, largest bool) float64 {
	if !(y >= -1 && y <= float64(h) && x >= -1 && x <= float64(w)) || h == 0 || w == 0 {
		return 0
	}
	y, x = max(y, 0), max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	v1, v2 := hy*hx*img[yl*w+xl], hy*lx*img[yl*w+xh]
	v3, v4 := ly*hx*img[yh*w+xl], ly*lx*img[yh*w+xh]
	if largest {
		return max(v1, v2, v3, v4)
	}
	return v1 + v2 + v3 + v4
}

func prepareMaxRoiPool(n *Node) (Kernel, error) {
	shape := n.Attrs.RequiredInts("pooled_shape")
	scale := float64(n.Attrs.Float("spatial_scale", 1))
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if len(shape) != 2 || shape[0] < 1 || shape[1] < 1 || shape[0] > 1<<16 || shape[1] > 1<<16 {
		return nil, fmt.Errorf("attribute pooled_shape %v must be two positive sizes", shape)
	}
	ph, pw := shape[0], shape[1]
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, rois := in[0], in[1]
		xs := x.Shape()
		if len(xs) != 4 {
			return nil, fmt.Errorf("input X %s must be 4-D", tensors.FormatShape(xs))
		}
		if rs := rois.Shape(); len(rs) != 2 || rs[1] != 5 {
			return nil, fmt.Errorf("input rois %s must be [num_rois, 5]", tensors.FormatShape(rs))
		}
		xv, err := floatInput(x, "X")
		if err != nil {
			return nil, err
		}
		rv, err := floatInput(rois, "rois")
		if err != nil {
			return nil, err
		}
		nr, c, h, w := rois.Shape()[0], xs[1], xs[2], xs[3]
		out := []int{nr, c, ph, pw}
		if _, err := tensors.CheckSize(x.DType(), out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		y := make([]float64, prodInts(out))
		clampF := func(v float64) int {
			if v != v {
				return 0
			}
			return int(max(-1<<30, min(1<<30, v)))
		}
		visits := 0.0
		for r := 0; r < nr; r++ {
			roi := rv[r*5 : r*5+5]
			b := roi[0]
			if !(b >= 0 && b < float64(xs[0])) {
				return nil, fmt.Errorf("rois[%d] batch index %g is out of range [0, %d)", r, b, xs[0])
			}
			sw, sh := clampF(math.Round(roi[1]*scale)), clampF(math.Round(roi[2]*scale))
			ew, eh := clampF(math.Round(roi[3]*scale)), clampF(math.Round(roi[4]*scale))
			rh, rw := max(eh-sh+1, 1), max(ew-sw+1, 1)
			bh, bw := float64(rh)/float64(ph), float64(rw)/float64(pw)
			if visits += float64(c) * float64(min(rh, h)+2*ph) * float64(min(rw, w)+2*pw); visits > maxRoiSamples {
				return nil, fmt.Errorf("the rois need more than %d pixel reads", int64(maxRoiSamples))
			}
			for ci := 0; ci < c; ci++ {
				img := xv[(int(b)*c+ci)*h*w : (int(b)*c+ci+1)*h*w]
				for py := 0; py < ph; py++ {
					hs := min(max(int(math.Floor(float64(py)*bh))+sh, 0), h)
					he := min(max(int(math.Ceil(float64(py+1)*bh))+sh, 0), h)
					for px := 0; px < pw; px++ {
						ws := min(max(int(math.Floor(float64(px)*bw))+sw, 0), w)
						we := min(max(int(math.Ceil(float64(px+1)*bw))+sw, 0), w)
						m := 0.0
						if he > hs && we > ws {
							m = math.Inf(-1)
							for yy := hs; yy < he; yy++ {
								for xx := ws; xx < we; xx++ {
									m = max(m, img[yy*w+xx])
								}
							}
						}
						y[((r*c+ci)*ph+py)*pw+px] = m
					}
				}
			}
		}
		t, err := fromFloat64s(x.DType(), out, y)
		return []*tensors.Tensor{t}, err
	}, nil
}
