// Package report renders what a trained image classifier learned as one
// self-contained HTML page: a Keras-style summary of its layers, its
// training curves, the kernels of its convolutions, the feature maps of one
// test image, a confusion matrix and the most confidently wrong test images.
// Every image is a PNG inlined as a data: URI, so the page is one file that
// opens anywhere without a network.
//
// The package takes plain data (rows of text, numbers, tiles of float32
// values) and knows nothing of ONNX or training: the onnxkit command
// gathers the data. GridPNG, ImagePNG and CurvesPNG draw the pictures
// (curves with gonum.org/v1/plot).
package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
)

// Report is the content of the page. Nil or empty parts are left out, with
// their Note (if any) shown instead.
type Report struct {
	// Title heads the page, e.g. the model file's name.
	Title string
	// Facts are key/value lines about the model (file, producer, input...).
	Facts [][2]string
	// Summary is the Keras-style table of the model's layers.
	Summary *Summary
	// Curves is a PNG of the training curves (CurvesPNG).
	Curves     []byte
	CurvesNote string
	// Kernels are the convolution layers' kernels, one figure per layer.
	Kernels     []Figure
	KernelsNote string
	// Input is the test image whose feature maps follow.
	Input *Figure
	// FeatureMaps are the outputs of each convolution and pooling layer for
	// Input, one figure per layer.
	FeatureMaps  []Figure
	FeaturesNote string
	// Confusion is the confusion matrix on the test set.
	Confusion *Confusion
	// Mistakes are the most confidently wrong test images, most confident first.
	Mistakes []Mistake
	TestNote string
	// Metadata are the model file's metadata_props.
	Metadata [][2]string
}

// Summary is a Keras-style model summary: one row per layer or node.
type Summary struct {
	Rows []SummaryRow
	// Total is the parameter count, formatted (e.g. "1,256,080").
	Total string
}

// SummaryRow is one layer or node of a Summary.
type SummaryRow struct {
	Name, Op, Shape, Params string
}

// Figure is one PNG with a caption.
type Figure struct {
	Caption string
	PNG     []byte
}

// Confusion is a confusion matrix: Counts[true][predicted].
type Confusion struct {
	Classes []string
	Counts  [][]int
}

// Mistake is a test image the model got wrong.
type Mistake struct {
	Index     int    // in the test set
	File      string // the image's file, if any
	PNG       []byte // the image
	True      string // its class
	Predicted string // the model's class
	Prob      float64
}

// dataURI makes a PNG into a URI html/template lets through.
func dataURI(png []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

type cell struct {
	N     int
	Style template.CSS
}

type confusionView struct {
	Classes  []string
	Rows     [][]cell
	Totals   []int
	Correct  int
	N        int
	Accuracy string
}

func (c *Confusion) view() (*confusionView, error) {
	k := len(c.Classes)
	if len(c.Counts) != k {
		return nil, fmt.Errorf("report: confusion matrix of %d rows for %d classes", len(c.Counts), k)
	}
	v := &confusionView{Classes: c.Classes}
	for i, row := range c.Counts {
		if len(row) != k {
			return nil, fmt.Errorf("report: confusion row %d has %d columns for %d classes", i, len(row), k)
		}
		total := 0
		for _, n := range row {
			total += n
		}
		var cells []cell
		for j, n := range row {
			a := 0.0
			if total > 0 {
				a = float64(n) / float64(total)
			}
			hue := "31,119,180" // blue on the diagonal
			if i != j {
				hue = "214,39,40" // red off it
			}
			if i == j {
				v.Correct += n
			}
			cells = append(cells, cell{n, template.CSS(fmt.Sprintf("background: rgba(%s,%.3f)", hue, math.Sqrt(a)*0.85))})
		}
		v.Rows = append(v.Rows, cells)
		v.Totals = append(v.Totals, total)
		v.N += total
	}
	if v.N > 0 {
		v.Accuracy = fmt.Sprintf("%.4f", float64(v.Correct)/float64(v.N))
	}
	return v, nil
}

// WriteHTML renders the page to w.
func (r *Report) WriteHTML(w io.Writer) error {
	type fig struct {
		Caption string
		Src     template.URL
	}
	figs := func(fs []Figure) []fig {
		var out []fig
		for _, f := range fs {
			out = append(out, fig{f.Caption, dataURI(f.PNG)})
		}
		return out
	}
	type mistake struct {
		Mistake
		Src  template.URL
		Perc string
	}
	data := struct {
		*Report
		CurvesSrc     template.URL
		KernelFigs    []fig
		InputFig      *fig
		FeatureFigs   []fig
		ConfusionView *confusionView
		MistakeViews  []mistake
	}{Report: r}
	if r.Curves != nil {
		data.CurvesSrc = dataURI(r.Curves)
	}
	data.KernelFigs = figs(r.Kernels)
	data.FeatureFigs = figs(r.FeatureMaps)
	if r.Input != nil {
		data.InputFig = &fig{r.Input.Caption, dataURI(r.Input.PNG)}
	}
	if r.Confusion != nil {
		v, err := r.Confusion.view()
		if err != nil {
			return err
		}
		data.ConfusionView = v
	}
	for _, m := range r.Mistakes {
		data.MistakeViews = append(data.MistakeViews, mistake{m, dataURI(m.PNG), fmt.Sprintf("%.1f%%", 100*m.Prob)})
	}
	if err := page.Execute(w, data); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — onnxkit report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em 2em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; font-size: .9em; }
th, td { padding: .2em .6em; text-align: left; }
table.summary td, table.summary th { font-family: ui-monospace, "DejaVu Sans Mono", monospace; border-bottom: 1px solid #eee; }
table.summary td.num { text-align: right; }
table.facts td:first-child { color: #666; padding-right: 1em; }
table.confusion td { text-align: center; min-width: 2.4em; border: 1px solid #ddd; font-variant-numeric: tabular-nums; }
table.confusion th { text-align: center; font-weight: normal; color: #444; }
figure { display: inline-block; margin: .4em 1.2em .8em 0; vertical-align: top; }
figcaption { font-size: .85em; color: #555; max-width: 40em; }
img.pixel { image-rendering: pixelated; }
.note { color: #777; font-style: italic; }
.mistakes figure { text-align: center; }
.mistakes figcaption { max-width: 9em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<nav><a href="#model">Model</a><a href="#curves">Training curves</a><a href="#kernels">Kernels</a><a href="#features">Feature maps</a><a href="#test">Test set</a></nav>

<h2 id="model">Model</h2>
{{if .Facts}}<table class="facts">{{range .Facts}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>{{end}}
{{with .Summary}}
<h3>Summary</h3>
<table class="summary">
<tr><th>Layer (type)</th><th>Output shape</th><th>Param #</th></tr>
{{range .Rows}}<tr><td>{{.Name}} ({{.Op}})</td><td>{{.Shape}}</td><td class="num">{{.Params}}</td></tr>
{{end}}<tr><th>Total params</th><th></th><th class="num">{{.Total}}</th></tr>
</table>
{{end}}

<h2 id="curves">Training curves</h2>
{{if .CurvesSrc}}<figure><img src="{{.CurvesSrc}}" alt="training curves"><figcaption>Loss and accuracy per epoch, training and validation, from the TensorBoard event files.</figcaption></figure>
{{else}}<p class="note">{{or .CurvesNote "No training logs."}}</p>{{end}}

<h2 id="kernels">Convolution kernels</h2>
{{if .KernelFigs}}<p>Each tile is one kernel slice (output filter × input channel), mid-grey is 0, white the layer's largest positive weight, black its most negative. Random initial weights look like noise; trained ones show edges and blobs.</p>
{{range .KernelFigs}}<figure><img class="pixel" src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{else}}<p class="note">{{or .KernelsNote "No convolution layers."}}</p>{{end}}

<h2 id="features">Feature maps</h2>
{{if .FeatureFigs}}{{with .InputFig}}<figure><img class="pixel" src="{{.Src}}" alt="input image"><figcaption>{{.Caption}}</figcaption></figure><br>{{end}}
<p>What each convolution and pooling layer outputs for this image: one tile per channel (the “depth”), each stretched from its own minimum (black) to maximum (white).</p>
{{range .FeatureFigs}}<figure><img class="pixel" src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{else}}<p class="note">{{or .FeaturesNote "No feature maps."}}</p>{{end}}

<h2 id="test">Test set</h2>
{{with .ConfusionView}}<h3>Confusion matrix</h3>
<p>{{.N}} test images, accuracy {{.Accuracy}}. Rows: true class; columns: predicted class.</p>
<table class="confusion">
<tr><th>true \ predicted</th>{{range .Classes}}<th>{{.}}</th>{{end}}<th>total</th></tr>
{{range $i, $row := .Rows}}<tr><th>{{index $.ConfusionView.Classes $i}}</th>{{range $row}}<td style="{{.Style}}">{{.N}}</td>{{end}}<td>{{index $.ConfusionView.Totals $i}}</td></tr>
{{end}}</table>
{{end}}
{{if .MistakeViews}}<h3>Most confidently wrong</h3>
<div class="mistakes">{{range .MistakeViews}}<figure><img class="pixel" src="{{.Src}}" alt="test image {{.Index}}"><figcaption>#{{.Index}}{{if .File}} {{.File}}{{end}}<br>true <b>{{.True}}</b>, predicted <b>{{.Predicted}}</b> ({{.Perc}})</figcaption></figure>
{{end}}</div>{{end}}
{{if not .ConfusionView}}<p class="note">{{or .TestNote "No test set."}}</p>{{end}}

{{if .Metadata}}<h2 id="metadata">Metadata</h2>
<table class="facts">{{range .Metadata}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>{{end}}
<p class="note">Written by onnxkit report.</p>
</body>
</html>
`))
