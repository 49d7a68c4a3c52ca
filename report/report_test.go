package report

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"
)

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// grey returns the red level of pixel (x, y).
func grey(img image.Image, x, y int) uint8 {
	r, _, _, _ := img.At(x, y).RGBA()
	return uint8(r >> 8)
}

func TestGridPNGLayoutAndScale(t *testing.T) {
	// 20 kernels of 5×5, as LeNet's first layer: 2 rows of 10, zoom 4.
	vals := make([]float32, 20*25)
	for k := 0; k < 20; k++ {
		for i := 0; i < 25; i++ {
			vals[k*25+i] = float32(k-10) / 10 // tile k is flat at (k-10)/10
		}
	}
	img := decode(t, mustGrid(t, Tiles{Values: vals, Count: 20, Channels: 1, H: 5, W: 5, Signed: true}, 10, 4))
	if b := img.Bounds(); b.Dx() != 10*21+1 || b.Dy() != 2*21+1 {
		t.Fatalf("grid %v, want 211×43", b)
	}
	// Signed: tile 0 (-1) is black, tile 10 (0) mid-grey, tile 19 (0.9) near white.
	at := func(k int) uint8 { return grey(img, 1+(k%10)*21+2, 1+(k/10)*21+2) }
	if at(0) != 0 || at(10) != 128 || at(19) != uint8(math.Round(255*0.95)) {
		t.Errorf("signed levels %d %d %d, want 0 128 242", at(0), at(10), at(19))
	}
	if grey(img, 0, 0) != 40 || grey(img, 21, 5) != 40 {
		t.Error("borders are not dark grey")
	}
	// Unsigned: each tile stretched on its own; a ramp goes from 0 to 255.
	ramp := make([]float32, 2*4)
	for i := range ramp {
		ramp[i] = float32(i%4) * 3
	}
	img = decode(t, mustGrid(t, Tiles{Values: ramp, Count: 2, Channels: 1, H: 1, W: 4}, 10, 1))
	var sum int
	for x := 1; x <= 4; x++ {
		sum += int(grey(img, x, 1))
	}
	if grey(img, 1, 1) != 0 || grey(img, 4, 1) != 255 || sum != 0+85+170+255 {
		t.Errorf("ramp levels sum %d", sum)
	}
}

func mustGrid(t *testing.T, tl Tiles, cols, zoom int) []byte {
	t.Helper()
	b, err := GridPNG(tl, cols, zoom)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGridPNGErrors(t *testing.T) {
	for _, tl := range []Tiles{
		{Values: make([]float32, 24), Count: 1, Channels: 1, H: 5, W: 5},
		{Values: make([]float32, 50), Count: 2, Channels: 2, H: 5, W: 5},
		{Count: 0, Channels: 1, H: 5, W: 5},
	} {
		if _, err := GridPNG(tl, 10, 1); err == nil {
			t.Errorf("GridPNG(%d tiles %d×%d×%d, %d values) accepted", tl.Count, tl.Channels, tl.H, tl.W, len(tl.Values))
		}
	}
}

func TestImagePNGColour(t *testing.T) {
	v := make([]float32, 3*2*2)
	v[0] = 1   // red of (0,0)
	v[4+3] = 1 // green of (1,1)
	img := decode(t, mustImage(t, v, 3, 2, 2, 3))
	if b := img.Bounds(); b.Dx() != 6 || b.Dy() != 6 {
		t.Fatalf("image %v, want 6×6", b)
	}
	r, g, _, _ := img.At(1, 1).RGBA()
	r2, g2, _, _ := img.At(4, 4).RGBA()
	if r>>8 != 255 || g != 0 || r2 != 0 || g2>>8 != 255 {
		t.Errorf("colours (%d,%d) and (%d,%d)", r>>8, g>>8, r2>>8, g2>>8)
	}
}

func mustImage(t *testing.T, v []float32, c, h, w, zoom int) []byte {
	t.Helper()
	b, err := ImagePNG(v, c, h, w, zoom)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCurvesPNG(t *testing.T) {
	nan := math.NaN()
	panels := []Panel{
		{Title: "Loss", Curves: []Curve{{"training", []float64{1, 2, 3}, []float64{1, 0.5, 0.2}}, {"validation", []float64{1, 2, 3}, []float64{0.8, nan, 0.3}}}},
		{Title: "Accuracy", LegendBottom: true, Curves: []Curve{{"training", []float64{1, 2, 3}, []float64{0.5, 0.8, 0.9}}}},
	}
	img := decode(t, mustCurves(t, panels))
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 300 {
		t.Fatalf("curves %v, want 800×300", b)
	}
	// Mostly white background with blue (training) and orange (validation) lines.
	var white, blue, orange int
	for y := 0; y < 300; y++ {
		for x := 0; x < 800; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			switch {
			case r > 250 && g > 250 && b > 250:
				white++
			case b > 150 && r < 90 && g > 80 && g < 160:
				blue++
			case r > 220 && g > 100 && g < 160 && b < 60:
				orange++
			}
		}
	}
	if white < 800*300*7/10 || blue < 200 || orange < 100 {
		t.Errorf("white %d, blue %d, orange %d pixels", white, blue, orange)
	}
	if _, err := CurvesPNG([]Panel{{Title: "x", Curves: []Curve{{"a", []float64{1}, []float64{nan}}}}}, 100, 100); err == nil {
		t.Error("a panel of NaN drawn")
	}
}

func mustCurves(t *testing.T, p []Panel) []byte {
	t.Helper()
	b, err := CurvesPNG(p, 800, 300)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteHTML(t *testing.T) {
	png := mustImage(t, []float32{0.5}, 1, 1, 1, 1)
	r := &Report{
		Title:      "m<1>.onnx",
		Summary:    &Summary{Rows: []SummaryRow{{"conv", "Conv", "(N, 20, 28, 28)", "520"}}, Total: "520"},
		Kernels:    []Figure{{"k", png}},
		Confusion:  &Confusion{Classes: []string{"a", "b"}, Counts: [][]int{{8, 2}, {1, 9}}},
		Mistakes:   []Mistake{{Index: 3, PNG: png, True: "a", Predicted: "b", Prob: 0.97}},
		CurvesNote: "no logs here",
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"m&lt;1&gt;.onnx", "20 test images, accuracy 0.8500", "no logs here", "97.0%", `src="data:image/png;base64,`, "conv (Conv)"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "ZgotmplZ") {
		t.Error("html/template rejected a data: URI")
	}
	bad := &Report{Confusion: &Confusion{Classes: []string{"a"}, Counts: [][]int{{1, 2}}}}
	if err := bad.WriteHTML(&b); err == nil {
		t.Error("a ragged confusion matrix rendered")
	}
}
