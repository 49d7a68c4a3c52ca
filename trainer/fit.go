package trainer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Fit trains the model on set as Keras's model.fit(x, y, batch_size,
// epochs, validation_split, shuffle=True) does, printing progress to
// cfg.Progress. Cancelling ctx stops training cleanly after the current
// step; the History then says Interrupted and the model keeps the weights
// of the last completed step.
func (t *Trainer) Fit(ctx context.Context, set Dataset, cfg Config) (*History, error) {
	if cfg.Epochs == 0 {
		cfg.Epochs = 12
	}
	if cfg.Batch == 0 {
		cfg.Batch = 128
	}
	if cfg.Epochs < 0 || cfg.Batch < 0 {
		return nil, fmt.Errorf("trainer: epochs %d and batch %d must be positive", cfg.Epochs, cfg.Batch)
	}
	if cfg.Optimizer == nil {
		cfg.Optimizer = NewAdam()
	}
	split := cfg.ValSplit
	if split < 0 {
		split = 0
	}
	train, val, err := Split(set, split)
	if err != nil {
		return nil, err
	}
	if err := t.checkSet(set, "training"); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6f6e6e786b6974)) // shuffling stream
	params := t.Model.Params()
	grads := make([][]float32, len(params))
	nTrain, nVal := train.Len(), val.Len()
	steps := (nTrain + cfg.Batch - 1) / cfg.Batch
	h := &History{Train: nTrain, Val: nVal}
	start := time.Now()
	bar := newProgress(cfg.Progress, cfg.Live, steps)
	idx := make([]int, 0, cfg.Batch)
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		bar.epoch(epoch, cfg.Epochs)
		perm := rng.Perm(nTrain)
		epochStart := time.Now()
		res := EpochResult{Epoch: epoch, ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		var lossSum float64
		correct := 0
		for step := 0; step < steps; step++ {
			if ctx.Err() != nil {
				res.Interrupted = true
				break
			}
			from, to := step*cfg.Batch, min((step+1)*cfg.Batch, nTrain)
			s, err := t.stepper(to-from, modeTrain)
			if err != nil {
				return h, err
			}
			idx = append(idx[:0], perm[from:to]...)
			s.load(train, idx, t.Classes)
			l, c, err := s.run()
			if err != nil {
				return h, err
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return h, fmt.Errorf("trainer: epoch %d step %d: loss is %g", epoch+1, step+1, l)
			}
			for i, n := range s.gr.Params {
				g, err := n.Grad()
				if err != nil {
					return h, fmt.Errorf("trainer: gradient of %s: %w", params[i].Name, err)
				}
				grads[i] = g.Data().([]float32)
			}
			if err := cfg.Optimizer.Step(params, grads); err != nil {
				return h, err
			}
			lossSum += l * float64(to-from)
			correct += c
			res.Steps++
			res.Images += to - from
			res.Loss = lossSum / float64(res.Images)
			res.Accuracy = float64(correct) / float64(res.Images)
			bar.step(res, time.Since(epochStart))
		}
		if res.Images > 0 && nVal > 0 && !res.Interrupted {
			if res.ValLoss, res.ValAccuracy, err = t.Evaluate(val, cfg.Batch); err != nil {
				return h, err
			}
		}
		res.Duration = time.Since(epochStart)
		bar.done(res, steps)
		h.Epochs = append(h.Epochs, res)
		if res.Interrupted {
			h.Interrupted = true
			break
		}
		if cfg.OnEpoch != nil {
			if err := cfg.OnEpoch(res); err != nil {
				return h, err
			}
		}
	}
	h.Duration = time.Since(start)
	return h, nil
}
