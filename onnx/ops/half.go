package ops

import (
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Float16 and bfloat16 through float32 (Op.HalfAsFloat32): the node's
// Prepare sees float32 where the model has half types, and its kernels run
// on inputs widened to float32, their float32 outputs rounded back.

// halfOf returns the type of the first half-precision entry of in, or
// Undefined.
func halfOf(in []*tensors.Tensor) tensors.DType {
	for _, t := range in {
		if t != nil && t.DType().IsHalf() {
			return t.DType()
		}
	}
	return tensors.Undefined
}

// widenHalf returns in with half-precision tensors widened to float32;
// those that are the node's constants (consts[i] holds the constant and
// its float32 form) are widened once, at load time.
func widenHalf(in []*tensors.Tensor, consts [][2]*tensors.Tensor) []*tensors.Tensor {
	out := make([]*tensors.Tensor, len(in))
	for i, t := range in {
		out[i] = t
		if t != nil && t.DType().IsHalf() {
			if i < len(consts) && consts[i][0] == t {
				out[i] = consts[i][1]
				continue
			}
			out[i] = tensors.HalfToFloat32(t)
		}
	}
	return out
}

// narrowHalf rounds the float32 entries of out to dt, in place.
func narrowHalf(out []*tensors.Tensor, dt tensors.DType) ([]*tensors.Tensor, error) {
	for i, t := range out {
		if t != nil && t.DType() == tensors.Float32 {
			h, err := tensors.Float32ToHalf(t, dt)
			if err != nil {
				return nil, err
			}
			out[i] = h
		}
	}
	return out, nil
}

// halfConsts holds a node's half-precision constant inputs widened to
// float32 once, at load time: Prepare sees the float32 forms (and may
// keep them, packed), and kernels receive the same tensors.
type halfConsts struct {
	byName map[string][2]*tensors.Tensor // half constant, its float32 form
	byIn   [][2]*tensors.Tensor          // the same per node input
}

func newHalfConsts(env Env, inputs []string) *halfConsts {
	hc := &halfConsts{byName: map[string][2]*tensors.Tensor{}, byIn: make([][2]*tensors.Tensor, len(inputs))}
	if env.Const == nil {
		return hc
	}
	for i, name := range inputs {
		if name == "" {
			continue
		}
		if t := env.Const(name); t != nil && t.DType().IsHalf() {
			if _, ok := hc.byName[name]; !ok {
				hc.byName[name] = [2]*tensors.Tensor{t, tensors.HalfToFloat32(t)}
			}
			hc.byIn[i] = hc.byName[name]
		}
	}
	return hc
}

// env presents half-precision constants and static types to Prepare as
// float32.
func (hc *halfConsts) env(env Env) Env {
	if c := env.Const; c != nil {
		env.Const = func(name string) *tensors.Tensor {
			if p, ok := hc.byName[name]; ok {
				return p[1]
			}
			return c(name)
		}
	}
	if ty := env.Type; ty != nil {
		env.Type = func(name string) tensors.Type {
			t := ty(name)
			if t.DType.IsHalf() {
				t.DType = tensors.Float32
			}
			return t
		}
	}
	return env
}

// wrapHalf makes a compiled node's kernels accept half-precision inputs.
// Float32 inputs take the kernels unchanged, recycling included.
func wrapHalf(c *Compiled, hc *halfConsts) {
	plain := c.Kernel
	consts := hc.byIn
	run := func(in []*tensors.Tensor, f func([]*tensors.Tensor) ([]*tensors.Tensor, error)) ([]*tensors.Tensor, error) {
		dt := halfOf(in)
		out, err := f(widenHalf(in, consts))
		if err != nil {
			return nil, err
		}
		return narrowHalf(append([]*tensors.Tensor(nil), out...), dt)
	}
	c.Kernel = func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		if halfOf(in) == tensors.Undefined {
			return plain(in)
		}
		return run(in, plain)
	}
	if rec := c.Recycling; rec != nil {
		c.Recycling = func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			if halfOf(in) == tensors.Undefined {
				return rec(in, last)
			}
			return run(in, plain)
		}
	}
	if relu := c.WithRelu; relu != nil {
		c.WithRelu = func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			if halfOf(in) == tensors.Undefined {
				return relu(in, last)
			}
			return run(in, func(in []*tensors.Tensor) ([]*tensors.Tensor, error) { return relu(in, nil) })
		}
	}
}

// inferHalf runs Infer with half input types seen as float32 and gives
// float32 outputs the half type back.
func inferHalf(c *Compiled, in, out []tensors.Type) ([]tensors.Type, error) {
	half := tensors.Undefined
	w := make([]tensors.Type, len(in))
	for i, t := range in {
		if t.DType.IsHalf() {
			if half == tensors.Undefined {
				half = t.DType
			}
			t.DType = tensors.Float32
		}
		w[i] = t
	}
	got, err := c.Op.Infer(c.Node, w)
	if err != nil {
		return nil, err
	}
	copy(out, got)
	if half != tensors.Undefined {
		for i := range out {
			if out[i].DType == tensors.Float32 {
				out[i].DType = half
			}
		}
	}
	return out, nil
}
