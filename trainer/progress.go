package trainer

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress prints Keras verbose=1 style output: "Epoch 3/12", then either a
// live bar redrawn after every step (live) or one line at the end of each
// epoch: "375/375 - 31s 83ms/step - loss: ... - val_accuracy: ...".
type progress struct {
	w     io.Writer
	live  bool
	steps int
	bar   *progressbar.ProgressBar
}

func newProgress(w io.Writer, live bool, steps int) *progress {
	return &progress{w: w, live: live, steps: steps}
}

func (p *progress) epoch(i, n int) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "Epoch %d/%d\n", i+1, n)
	if p.live {
		p.bar = progressbar.NewOptions(p.steps,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetTheme(progressbar.Theme{Saucer: "=", SaucerHead: ">", SaucerPadding: ".", BarStart: "[", BarEnd: "]"}),
		)
	}
}

// metrics formats the Keras metric list of r.
func metrics(r EpochResult) string {
	s := fmt.Sprintf("loss: %.4f - accuracy: %.4f", r.Loss, r.Accuracy)
	if !math.IsNaN(r.ValLoss) {
		s += fmt.Sprintf(" - val_loss: %.4f - val_accuracy: %.4f", r.ValLoss, r.ValAccuracy)
	}
	return s
}

func (p *progress) step(r EpochResult, _ time.Duration) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(metrics(r))
	_ = p.bar.Set(r.Steps)
}

func (p *progress) done(r EpochResult, steps int) {
	if p.w == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
	perStep := time.Duration(0)
	if r.Steps > 0 {
		perStep = r.Duration / time.Duration(r.Steps)
	}
	line := fmt.Sprintf("%d/%d - %ds %dms/step - %s", r.Steps, steps, int(math.Round(r.Duration.Seconds())), perStep.Milliseconds(), metrics(r))
	if r.Interrupted {
		line += " (interrupted)"
	}
	fmt.Fprintln(p.w, strings.TrimSpace(line))
}
