package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Col2Im (18) is the inverse of im2col: input [N, C·∏block, L] holds, for
// each of the L sliding-block positions over an image of image_shape
// (padded by pads, blocks dilated by dilations and moved by strides), the
// C·∏block values of one block; overlapping values add up in the output
// image [N, C, image_shape...]. Any number of spatial axes.
func init() {
	Register(Op{Type: "Col2Im", Since: []int{18}, Prepare: prepareCol2Im, Infer: inferCol2Im, HalfAsFloat32: true})
}

// col2imGeom is the geometry of one Col2Im call.
type col2imGeom struct {
	image, block, dil, pads, strides []int
	blocks                           []int // sliding positions per axis
	blockLen, positions              int   // ∏block, ∏blocks
}

// col2imAttrs are Col2Im's attributes as given (nil when absent); their
// lengths are checked against the spatial rank at run time.
type col2imAttrs struct{ dil, pads, strides []int }

// fit returns the attributes for nd spatial axes, defaults filled in.
func (c col2imAttrs) fit(nd int) (dil, pads, strides []int, err error) {
	ones := make([]int, nd)
	for i := range ones {
		ones[i] = 1
	}
	dil, pads, strides = c.dil, c.pads, c.strides
	if dil == nil {
		dil = ones
	}
	if strides == nil {
		strides = ones
	}
	if pads == nil {
		pads = make([]int, 2*nd)
	}
	if len(dil) != nd || len(strides) != nd || len(pads) != 2*nd {
		return nil, nil, nil, fmt.Errorf("dilations %v, strides %v and pads %v do not fit %d spatial axes", dil, strides, pads, nd)
	}
	for i := range nd {
		if dil[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[nd+i] < 0 {
			return nil, nil, nil, fmt.Errorf("dilations %v and strides %v must be positive, pads %v not negative", dil, strides, pads)
		}
	}
	return dil, pads, strides, nil
}

func col2imGeometry(attrs col2imAttrs, imageT, blockT *tensors.Tensor) (*col2imGeom, error) {
	image, err := tensors.ReadIntsInput(imageT, "image_shape")
	if err != nil {
		return nil, err
	}
	block, err := tensors.ReadIntsInput(blockT, "block_shape")
	if err != nil {
		return nil, err
	}
	nd := len(image)
	if nd == 0 || len(block) != nd {
		return nil, fmt.Errorf("image_shape %v and block_shape %v must have one size per spatial axis", image, block)
	}
	g := &col2imGeom{blockLen: 1, positions: 1}
	if g.dil, g.pads, g.strides, err = attrs.fit(nd); err != nil {
		return nil, err
	}
	for i := range nd {
		if image[i] < 1 || block[i] < 1 || image[i] > tensors.MaxElements || block[i] > tensors.MaxElements {
			return nil, fmt.Errorf("image_shape %v and block_shape %v must hold positive sizes", image, block)
		}
		g.image = append(g.image, int(image[i]))
		g.block = append(g.block, int(block[i]))
		span := g.dil[i]*(g.block[i]-1) + 1
		room := g.image[i] + g.pads[i] + g.pads[nd+i] - span
		if room < 0 {
			return nil, fmt.Errorf("a block of %d (dilation %d) does not fit axis %d of the padded image (%d)", g.block[i], g.dil[i], i, g.image[i]+g.pads[i]+g.pads[nd+i])
		}
		g.blocks = append(g.blocks, room/g.strides[i]+1)
		if g.blockLen *= g.block[i]; g.blockLen > tensors.MaxElements {
			return nil, fmt.Errorf("block_shape %v is too large", block)
		}
		if g.positions *= g.blocks[i]; g.positions > tensors.MaxElements {
			return nil, fmt.Errorf("too many block positions")
		}
	}
	return g, nil
}

func prepareCol2Im(n *Node) (Kernel, error) {
	attrs := col2imAttrs{dil: n.Attrs.Ints("dilations", nil), pads: n.Attrs.Ints("pads", nil), strides: n.Attrs.Ints("strides", nil)}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		g, err := col2imGeometry(attrs, in[1], in[2])
		if err != nil {
			return nil, err
		}
		if x.Rank() != 3 {
			return nil, fmt.Errorf("input %v must be [N, C·∏block_shape, L]", x)
		}
		if x.Shape()[1]%g.blockLen != 0 {
			return nil, fmt.Errorf("input %v: dimension 1 (%d) is not a multiple of ∏block_shape (%d)", x, x.Shape()[1], g.blockLen)
		}
		if x.Shape()[2] != g.positions {
			return nil, fmt.Errorf("input %v: dimension 2 (%d) is not the number of block positions (%d for blocks %v over image %v)", x, x.Shape()[2], g.positions, g.block, g.image)
		}
		outShape := append([]int{x.Shape()[0], x.Shape()[1] / g.blockLen}, g.image...)
		var y *tensors.Tensor
		switch x.DType() {
		case tensors.Float32:
			y, err = col2im(tensors.Data[float32](x), outShape, g)
		case tensors.Float64:
			y, err = col2im(tensors.Data[float64](x), outShape, g)
		default:
			return nil, tensors.ErrDType("input", x.DType(), tensors.Float32, tensors.Float64)
		}
		return []*tensors.Tensor{y}, err
	}, nil
}

// col2im adds each block value into its image position.
func col2im[T float32 | float64](x []T, outShape []int, g *col2imGeom) (*tensors.Tensor, error) {
	y, dst, err := tensors.Make[T](outShape)
	if err != nil || len(dst) == 0 {
		return y, err
	}
	nd := len(g.image)
	imgLen := tensors.DimsProd(g.image)
	imgStrides := tensors.Strides(g.image)
	planes := outShape[0] * outShape[1]
	k := make([]int, nd) // position within the block
	l := make([]int, nd) // block position
	for p := range planes {
		img := dst[p*imgLen : (p+1)*imgLen]
		for kb := range g.blockLen {
			rem := kb
			for i := nd - 1; i >= 0; i-- {
				k[i], rem = rem%g.block[i], rem/g.block[i]
			}
			row := x[(p*g.blockLen+kb)*g.positions : (p*g.blockLen+kb+1)*g.positions]
			for lb := range g.positions {
				rem := lb
				off, inside := 0, true
				for i := nd - 1; i >= 0; i-- {
					l[i], rem = rem%g.blocks[i], rem/g.blocks[i]
					at := l[i]*g.strides[i] - g.pads[i] + k[i]*g.dil[i]
					if at < 0 || at >= g.image[i] {
						inside = false
						break
					}
					off += at * imgStrides[i]
				}
				if inside {
					img[off] += row[lb]
				}
			}
		}
	}
	return y, nil
}

func inferCol2Im(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	out := tensors.Type{DType: in[0].DType}
	img, blk := n.Const(1), n.Const(2)
	if img == nil || img.Rank() != 1 {
		return []tensors.Type{out}, nil
	}
	out.RankKnown = true
	out.Dims = tensors.UnknownDims(2 + img.Len())
	if in[0].RankKnown && len(in[0].Dims) == 3 {
		out.Dims[0] = in[0].Dims[0]
	}
	if v, err := tensors.ReadIntsInput(img, "image_shape"); err == nil {
		for i, s := range v {
			if s >= 0 && s <= tensors.MaxElements {
				out.Dims[2+i] = tensors.Dim{Size: int(s)}
			}
		}
	}
	if blk != nil && in[0].RankKnown && len(in[0].Dims) == 3 && in[0].Dims[1].Known() {
		if v, err := tensors.ReadIntsInput(blk, "block_shape"); err == nil {
			prod := int64(1)
			for _, b := range v {
				if b < 1 || prod > tensors.MaxElements {
					prod = 0
					break
				}
				prod *= b
			}
			if prod > 0 && int64(in[0].Dims[1].Size)%prod == 0 {
				out.Dims[1] = tensors.Dim{Size: int(int64(in[0].Dims[1].Size) / prod)}
			}
		}
	}
	return []tensors.Type{out}, nil
}
