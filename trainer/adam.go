package trainer

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/layers"
)

// Adam is the Adam optimizer with Keras's defaults and update rule: at step
// t (from 1), with gradient g,
//
//	m ← m + (g − m)(1 − β₁)
//	v ← v + (g² − v)(1 − β₂)
//	w ← w − α·m / (√v + ε),  α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
//
// Gorgonia's own Adam solver has other defaults and a different ε.
type Adam struct {
	LearningRate float64 // 1e-3
	Beta1        float64 // 0.9
	Beta2        float64 // 0.999
	Epsilon      float64 // 1e-7

	step int
	m, v map[*layers.Param][]float32
}

// NewAdam returns Adam with Keras's defaults: learning rate 1e-3, β₁ 0.9,
// β₂ 0.999, ε 1e-7.
func NewAdam() *Adam {
	return &Adam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Iterations is the number of updates applied so far (Keras's
// optimizer.iterations).
func (a *Adam) Iterations() int { return a.step }

// Step applies one update to every parameter from its gradient. grads[i]
// belongs to params[i] and has its size; both are float32.
func (a *Adam) Step(params []*layers.Param, grads [][]float32) error {
	if len(params) != len(grads) {
		return fmt.Errorf("adam: %d parameters but %d gradients", len(params), len(grads))
	}
	if a.m == nil {
		a.m, a.v = map[*layers.Param][]float32{}, map[*layers.Param][]float32{}
	}
	a.step++
	t := float64(a.step)
	alpha := float32(a.LearningRate * math.Sqrt(1-math.Pow(a.Beta2, t)) / (1 - math.Pow(a.Beta1, t)))
	b1, b2, eps := float32(1-a.Beta1), float32(1-a.Beta2), float32(a.Epsilon)
	for i, p := range params {
		w, ok := p.Value.Data().([]float32)
		if !ok {
			return fmt.Errorf("adam: parameter %s is %v, want float32", p.Name, p.Value.Dtype())
		}
		g := grads[i]
		if len(g) != len(w) {
			return fmt.Errorf("adam: parameter %s has %d values but its gradient %d", p.Name, len(w), len(g))
		}
		m, v := a.m[p], a.v[p]
		if m == nil {
			m, v = make([]float32, len(w)), make([]float32, len(w))
			a.m[p], a.v[p] = m, v
		}
		kernel.Adam(w, g, m, v, alpha, b1, b2, eps) // vectorised, split across the cores when large
	}
	return nil
}
