package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Random generators: RandomNormal, RandomUniform, RandomNormalLike,
// RandomUniformLike (1), Bernoulli (15) and Multinomial (7). They are
// Volatile: never evaluated at load time. With the seed attribute every
// run of the node draws the same values (a PCG generator seeded from the
// float's bits); without it each run draws fresh ones. Outputs are float
// or double (Bernoulli: any numeric type or bool; Multinomial: int32 or
// int64 indices).
func init() {
	Register(Op{Type: "RandomNormal", Since: []int{1}, Prepare: prepareRandom(true, false), Volatile: true})
	Register(Op{Type: "RandomUniform", Since: []int{1}, Prepare: prepareRandom(false, false), Volatile: true})
	Register(Op{Type: "RandomNormalLike", Since: []int{1}, Prepare: prepareRandom(true, true), Volatile: true, Infer: inferRandomLike})
	Register(Op{Type: "RandomUniformLike", Since: []int{1}, Prepare: prepareRandom(false, true), Volatile: true, Infer: inferRandomLike})
	Register(Op{Type: "Bernoulli", Since: []int{15}, Prepare: prepareBernoulli, Volatile: true, Infer: inferRandomLike})
	Register(Op{Type: "Multinomial", Since: []int{7}, Prepare: prepareMultinomial, Volatile: true})
}

// rngSource returns the generator for one run: seeded from the seed
// attribute when the node has one.
type rngSource struct {
	seeded bool
	seed   uint64
}

func readSeed(a *Attrs) rngSource {
	if !a.Has("seed") {
		return rngSource{}
	}
	return rngSource{seeded: true, seed: uint64(math.Float32bits(a.Float("seed", 0)))}
}

func (s rngSource) rand() *rand.Rand {
	if s.seeded {
		return rand.New(rand.NewPCG(s.seed, 0x9e3779b97f4a7c15))
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}

func readRandomDType(a *Attrs, def tensors.DType) (tensors.DType, bool) {
	if !a.Has("dtype") {
		return def, false
	}
	return tensors.DType(a.Int("dtype", int(def))), true
}

func prepareRandom(normal, like bool) func(n *Node) (Kernel, error) {
	return func(n *Node) (Kernel, error) {
		a := n.Attrs
		var p1, p2 float64
		if normal {
			p1, p2 = float64(a.Float("mean", 0)), float64(a.Float("scale", 1))
		} else {
			p1, p2 = float64(a.Float("low", 0)), float64(a.Float("high", 1))
		}
		src := readSeed(a)
		dt, explicit := readRandomDType(a, tensors.Float32)
		var shape []int
		if !like {
			shape = a.RequiredInts("shape")
		}
		if err := a.Err(); err != nil {
			return nil, err
		}
		if explicit && !dt.IsFloat() {
			return nil, fmt.Errorf("attribute dtype %v is not supported: %w", dt, tensors.ErrUnsupported)
		}
		if !like {
			if _, err := tensors.CheckSize(dt, shape); err != nil {
				return nil, fmt.Errorf("attribute shape: %w", err)
			}
		}
		return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
			shp, odt := shape, dt
			if like {
				shp = in[0].Shape()
				if !explicit {
					odt = in[0].DType()
					if !odt.IsFloat() {
						return nil, fmt.Errorf("input %v: set dtype to draw a float tensor: %w", in[0], tensors.ErrDType("output", odt, tensors.Float32, tensors.Float64))
					}
				}
			}
			total, err := tensors.CheckSize(odt, shp)
			if err != nil {
				return nil, err
			}
			r := src.rand()
			v := make([]float64, total)
			for i := range v {
				if normal {
					v[i] = p1 + p2*r.NormFloat64()
				} else {
					v[i] = p1 + (p2-p1)*r.Float64()
				}
			}
			y, err := fromFloat64s(odt, append([]int{}, shp...), v)
			return []*tensors.Tensor{y}, err
		}, nil
	}
}

func inferRandomLike(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	t := in[0]
	if dt, ok := readRandomDType(n.Attrs, t.DType); ok {
		t.DType = dt
	}
	return []tensors.Type{t}, nil
}

func prepareBernoulli(n *Node) (Kernel, error) {
	src := readSeed(n.Attrs)
	dt, explicit := readRandomDType(n.Attrs, tensors.Undefined)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if explicit && !dt.IsNumeric() && dt != tensors.Bool {
		return nil, fmt.Errorf("attribute dtype %v is not supported: %w", dt, tensors.ErrUnsupported)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		p, err := floatInput(in[0], "input")
		if err != nil {
			return nil, err
		}
		odt := dt
		if !explicit {
			odt = in[0].DType()
		}
		r := src.rand()
		v := make([]float64, len(p))
		for i, q := range p {
			if !(q >= 0 && q <= 1) {
				return nil, fmt.Errorf("probability %g at index %d is outside [0, 1]", q, i)
			}
			if r.Float64() < q {
				v[i] = 1
			}
		}
		t, err := tensors.New(append([]int{}, in[0].Shape()...), v)
		if err != nil {
			return nil, err
		}
		t, err = CastTensor(t, odt)
		return []*tensors.Tensor{t}, err
	}, nil
}

func prepareMultinomial(n *Node) (Kernel, error) {
	src := readSeed(n.Attrs)
	size := n.Attrs.Int("sample_size", 1)
	dt, _ := readRandomDType(n.Attrs, tensors.Int32)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if dt != tensors.Int32 && dt != tensors.Int64 {
		return nil, fmt.Errorf("attribute dtype %v must be int32 or int64", dt)
	}
	if size < 1 {
		return nil, fmt.Errorf("attribute sample_size = %d, want >= 1", size)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) != 2 || xs[1] < 1 {
			return nil, fmt.Errorf("input %s must be [batch_size, class_size] with at least one class", tensors.FormatShape(xs))
		}
		out := []int{xs[0], size}
		if _, err := tensors.CheckSize(tensors.Int64, out); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		lp, err := floatInput(x, "input")
		if err != nil {
			return nil, err
		}
		r := src.rand()
		c := xs[1]
		v := make([]float64, xs[0]*size)
		cdf := make([]float64, c)
		for b := 0; b < xs[0]; b++ {
			row := lp[b*c : (b+1)*c]
			m := math.Inf(-1)
			for _, l := range row {
				m = max(m, l)
			}
			s := 0.0
			for j, l := range row {
				if !math.IsInf(m, -1) {
					s += math.Exp(l - m)
				}
				cdf[j] = s
			}
			for k := 0; k < size; k++ {
				u := r.Float64() * s
				// The first class whose cumulative weight exceeds u.
				j := sort.Search(c, func(i int) bool { return cdf[i] > u })
				v[b*size+k] = float64(min(j, c-1))
			}
		}
		t, err := tensors.New(out, v)
		if err != nil {
			return nil, err
		}
		t, err = CastTensor(t, dt)
		return []*tensors.Tensor{t}, err
	}, nil
}
