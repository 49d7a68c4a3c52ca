package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Curve is one line of a chart: Y against X, e.g. the validation loss per
// epoch. Points whose Y is NaN or infinite are left out.
type Curve struct {
	Name string
	X, Y []float64
}

// Panel is one chart of curves, e.g. the loss of the training and the
// validation runs.
type Panel struct {
	Title, XLabel, YLabel string
	Curves                []Curve
	// LegendBottom puts the legend at the bottom right, out of the way of
	// curves that rise (accuracy); it is at the top right otherwise.
	LegendBottom bool
}

// curveColors are the colours of a panel's curves, in order (training blue,
// validation orange, as TensorBoard draws them).
var curveColors = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
}

// CurvesPNG draws the panels side by side, widthPx×heightPx pixels in all,
// with gonum.org/v1/plot and encodes them as PNG.
func CurvesPNG(panels []Panel, widthPx, heightPx int) ([]byte, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("report: no curves to draw")
	}
	if widthPx <= 0 || heightPx <= 0 {
		return nil, fmt.Errorf("report: curves of %d×%d pixels", widthPx, heightPx)
	}
	row := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.Title
		p.X.Label.Text = pn.XLabel
		p.Y.Label.Text = pn.YLabel
		p.Add(plotter.NewGrid())
		p.Legend.Top = !pn.LegendBottom
		points := 0
		for j, c := range pn.Curves {
			if len(c.X) != len(c.Y) {
				return nil, fmt.Errorf("report: curve %q has %d x and %d y values", c.Name, len(c.X), len(c.Y))
			}
			var xys plotter.XYs
			for k := range c.X {
				if y := c.Y[k]; !math.IsNaN(y) && !math.IsInf(y, 0) && !math.IsNaN(c.X[k]) {
					xys = append(xys, plotter.XY{X: c.X[k], Y: y})
				}
			}
			if len(xys) == 0 {
				continue
			}
			points += len(xys)
			line, scatter, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("report: curve %q: %w", c.Name, err)
			}
			col := curveColors[j%len(curveColors)]
			line.Color, line.Width = col, vg.Points(1.5)
			scatter.Color, scatter.Shape = col, draw.CircleGlyph{}
			scatter.Radius = vg.Points(2.5)
			p.Add(line, scatter)
			p.Legend.Add(c.Name, line, scatter)
		}
		if points == 0 {
			return nil, fmt.Errorf("report: panel %q has no finite values", pn.Title)
		}
		row[i] = p
	}
	const dpi = 96
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(widthPx)*vg.Inch/dpi, vg.Length(heightPx)*vg.Inch/dpi), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	// White background.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("report: encoding curves: %w", err)
	}
	return b.Bytes(), nil
}
