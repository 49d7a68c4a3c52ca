package ort

import (
	"fmt"

	ortgo "github.com/yalue/onnxruntime_go"
	"gorgonia.org/tensor"
)

// Options are the session options OpenWith takes.
type Options struct {
	// Threads is the number of intra-op threads onnxruntime may use; 0
	// keeps onnxruntime's default (one per physical core).
	Threads int
}

// OpenWith is Open with session options.
func OpenWith(modelPath string, outputs []string, opts Options) (*Session, error) {
	if opts.Threads < 0 {
		return nil, fmt.Errorf("ort: %d intra-op threads: must not be negative", opts.Threads)
	}
	if opts.Threads == 0 {
		return Open(modelPath, outputs)
	}
	if err := initORT(); err != nil {
		return nil, err
	}
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
		return nil, fmt.Errorf("ort: setting %d intra-op threads: %w", opts.Threads, err)
	}
	return open(modelPath, outputs, so)
}

// Bound is a session with its inputs converted once, for timing repeated
// runs: each Run feeds the same onnxruntime values and, after the first
// run, reuses the output values onnxruntime allocated. It is not safe for
// concurrent use. Close it before closing its Session.
type Bound struct {
	s    *Session
	ins  []ortgo.Value
	outs []ortgo.Value
}

// Bind converts inputs (keyed by graph input name; every input must be
// given) into onnxruntime values kept for repeated runs.
func (s *Session) Bind(inputs map[string]*tensor.Dense) (*Bound, error) {
	b := &Bound{s: s, ins: make([]ortgo.Value, len(s.inputs)), outs: make([]ortgo.Value, len(s.outputs))}
	for i, in := range s.inputs {
		d, ok := inputs[in.Name]
		if !ok {
			b.Close()
			return nil, fmt.Errorf("ort: input %s of %s not given", in, s.path)
		}
		v, err := toORT(d)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("ort: input %q of %s: %w", in.Name, s.path, err)
		}
		b.ins[i] = v
	}
	for i, o := range s.outputs {
		if len(o.Dims) != 0 {
			continue
		}
		v, err := newORTScalar(o.Dtype)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("ort: output %s of %s: %w", o, s.path, err)
		}
		b.outs[i] = v
	}
	return b, nil
}

// Run runs the model once on the bound inputs.
func (b *Bound) Run() error {
	b.s.mu.RLock()
	defer b.s.mu.RUnlock()
	if b.s.sess == nil {
		return fmt.Errorf("ort: onnxruntime session for %s is closed", b.s.path)
	}
	if err := b.s.sess.Run(b.ins, b.outs); err != nil {
		return fmt.Errorf("ort: onnxruntime run of %s: %w", b.s.path, err)
	}
	return nil
}

// Outputs copies the outputs of the last Run into gorgonia tensors, keyed
// by output name.
func (b *Bound) Outputs() (map[string]*tensor.Dense, error) {
	res := make(map[string]*tensor.Dense, len(b.outs))
	for i, v := range b.outs {
		d, err := fromORT(v)
		if err != nil {
			return nil, fmt.Errorf("ort: output %q of %s: %w", b.s.outputs[i].Name, b.s.path, err)
		}
		res[b.s.outputs[i].Name] = d
	}
	return res, nil
}

// Close releases the bound values. Calling it again is harmless.
func (b *Bound) Close() {
	destroyAll(b.ins)
	destroyAll(b.outs)
	clear(b.ins)
	clear(b.outs)
}
