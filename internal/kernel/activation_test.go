package kernel

import (
	"math"
	"testing"
)

// TestApplyActivation checks Clip and HardSwish, vector loop and tail,
// against their definitions, NaN and infinities included.
func TestApplyActivation(t *testing.T) {
	x := make([]float32, 37)
	for i := range x {
		x[i] = float32(i-18) * 0.37
	}
	x[3], x[20], x[35] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
	for _, a := range []Activation{{ActClip, -1, 2.5}, {ActClip, 0, 6}, {ActHardSwish, 1.0 / 6, 0.5}, {ActHardSwish, 0.2, 0.5}} {
		got := append([]float32(nil), x...)
		ApplyActivation(a, got)
		for i, v := range x {
			var want float64
			switch a.Kind {
			case ActClip:
				want = math.Min(math.Max(float64(v), float64(a.A)), float64(a.B))
			case ActHardSwish:
				want = float64(v) * math.Min(1, math.Max(0, float64(a.A)*float64(v)+float64(a.B)))
			}
			g := float64(got[i])
			switch {
			case math.IsNaN(want) || math.IsNaN(g):
				if !math.IsNaN(want) || !math.IsNaN(g) {
					// Inf·0 is NaN by the definition (-Inf·0); NaN must stay NaN.
					t.Errorf("%+v: f(%g) = %g, want %g", a, v, g, want)
				}
			case math.Abs(g-want) > 1e-6*max(1, math.Abs(want)):
				t.Errorf("%+v: f(%g) = %g, want %g", a, v, g, want)
			}
		}
	}
	ApplyActivation(Activation{}, x) // ActNone: nothing
}
