package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// Tiles is a set of small same-sized images to lay out as a grid, e.g. the
// 20 kernels of 5×5 of a first convolution layer or its 20 feature maps.
type Tiles struct {
	// Values holds Count tiles one after the other, each Channels×H×W
	// (channels first); Channels is 1 (grey) or 3 (RGB).
	Values         []float32
	Count          int
	Channels, H, W int
	// Signed maps each tile through one symmetric scale shared by all
	// tiles (0 is mid-grey, the largest |value| white or black), which
	// shows kernels as they compare with one another. Otherwise each
	// tile is stretched from its own minimum (black) to maximum (white),
	// as feature maps are shown.
	Signed bool
}

// GridPNG lays the tiles out in rows of cols, each pixel drawn as a
// zoom×zoom square, with a 1-pixel dark border between tiles, and encodes
// the grid as PNG.
func GridPNG(t Tiles, cols, zoom int) ([]byte, error) {
	if t.Count <= 0 || t.H <= 0 || t.W <= 0 || (t.Channels != 1 && t.Channels != 3) {
		return nil, fmt.Errorf("report: grid of %d tiles of %d×%d×%d", t.Count, t.Channels, t.H, t.W)
	}
	size := t.Channels * t.H * t.W
	if len(t.Values) != t.Count*size {
		return nil, fmt.Errorf("report: %d values for %d tiles of %d", len(t.Values), t.Count, size)
	}
	cols = max(1, min(cols, t.Count))
	zoom = max(1, zoom)
	rows := (t.Count + cols - 1) / cols
	tw, th := t.W*zoom, t.H*zoom
	img := image.NewRGBA(image.Rect(0, 0, cols*(tw+1)+1, rows*(th+1)+1))
	border := color.RGBA{40, 40, 40, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = border.R, border.G, border.B, 255
	}
	var lo, hi float64 // the shared scale of signed tiles
	if t.Signed {
		m := 0.0
		for _, v := range t.Values {
			if a := math.Abs(float64(v)); a > m && !math.IsInf(a, 0) {
				m = a
			}
		}
		lo, hi = -m, m
	}
	for k := 0; k < t.Count; k++ {
		tile := t.Values[k*size : (k+1)*size]
		if !t.Signed {
			lo, hi = math.Inf(1), math.Inf(-1)
			for _, v := range tile {
				if f := float64(v); !math.IsNaN(f) {
					lo, hi = min(lo, f), max(hi, f)
				}
			}
		}
		x0, y0 := 1+(k%cols)*(tw+1), 1+(k/cols)*(th+1)
		plane := t.H * t.W
		for y := 0; y < t.H; y++ {
			for x := 0; x < t.W; x++ {
				var c [3]uint8
				for ch := 0; ch < 3; ch++ {
					src := ch
					if t.Channels == 1 {
						src = 0
					}
					c[ch] = level(float64(tile[src*plane+y*t.W+x]), lo, hi)
				}
				for dy := 0; dy < zoom; dy++ {
					o := img.PixOffset(x0+x*zoom, y0+y*zoom+dy)
					for dx := 0; dx < zoom; dx++ {
						img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = c[0], c[1], c[2], 255
						o += 4
					}
				}
			}
		}
	}
	return encode(img)
}

// level maps v from [lo, hi] to 0..255; a flat range or NaN is black.
func level(v, lo, hi float64) uint8 {
	if math.IsNaN(v) || !(hi > lo) {
		return 0
	}
	f := (v - lo) / (hi - lo)
	return uint8(math.Round(255 * min(1, max(0, f))))
}

// ImagePNG encodes one channels-first image of values in [0,1] (1 or 3
// channels), each pixel drawn as a zoom×zoom square.
func ImagePNG(values []float32, channels, h, w, zoom int) ([]byte, error) {
	t := Tiles{Values: values, Count: 1, Channels: channels, H: h, W: w}
	if channels*h*w != len(values) || (channels != 1 && channels != 3) {
		return nil, fmt.Errorf("report: image of %d values as %d×%d×%d", len(values), channels, h, w)
	}
	zoom = max(1, zoom)
	img := image.NewRGBA(image.Rect(0, 0, w*zoom, h*zoom))
	plane := h * w
	for y := 0; y < h*zoom; y++ {
		for x := 0; x < w*zoom; x++ {
			var c [3]uint8
			for ch := range c {
				src := ch
				if t.Channels == 1 {
					src = 0
				}
				c[ch] = level(float64(values[src*plane+(y/zoom)*w+x/zoom]), 0, 1)
			}
			img.Set(x, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	return encode(img)
}

func encode(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("report: encoding PNG: %w", err)
	}
	return b.Bytes(), nil
}
