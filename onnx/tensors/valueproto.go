package tensors

import (
	"errors"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// FromSequenceProto decodes a SequenceProto of tensors (the sequence-typed
// input_N.pb / output_N.pb files of ONNX test data). Sequences of
// sequences, maps, optionals or sparse tensors are ErrUnsupported. elem is
// the element type the sequence is declared with (zero if unknown); it
// gives an empty sequence its element type.
func FromSequenceProto(sp *onnxpb.SequenceProto, elem Type) (*Tensor, error) {
	switch onnxpb.SequenceProto_DataType(sp.GetElemType()) {
	case onnxpb.SequenceProto_TENSOR:
	case onnxpb.SequenceProto_UNDEFINED:
		if len(sp.GetTensorValues()) > 0 || len(sp.GetSequenceValues()) > 0 || len(sp.GetMapValues()) > 0 ||
			len(sp.GetOptionalValues()) > 0 || len(sp.GetSparseTensorValues()) > 0 {
			return nil, errors.New("sequence: elem_type is UNDEFINED but the sequence holds values")
		}
	case onnxpb.SequenceProto_SEQUENCE, onnxpb.SequenceProto_MAP, onnxpb.SequenceProto_OPTIONAL, onnxpb.SequenceProto_SPARSE_TENSOR:
		return nil, fmt.Errorf("sequence of %v values: %w", onnxpb.SequenceProto_DataType(sp.GetElemType()), ErrUnsupported)
	default:
		return nil, fmt.Errorf("sequence: unknown elem_type %d", sp.GetElemType())
	}
	if n := len(sp.GetTensorValues()); n > MaxSequenceLength {
		return nil, fmt.Errorf("sequence: %d elements, more than the limit of %d", n, MaxSequenceLength)
	}
	items := make([]*Tensor, len(sp.GetTensorValues()))
	for i, tp := range sp.GetTensorValues() {
		t, err := FromProto(tp)
		if err != nil {
			return nil, fmt.Errorf("sequence element %d: %w", i, err)
		}
		items[i] = t
	}
	if elem.Kind != TensorKind {
		elem = Type{}
	}
	t, err := NewSequence(elem, items)
	if err != nil {
		return nil, fmt.Errorf("sequence: %w", err)
	}
	return t, nil
}

// FromOptionalProto decodes an OptionalProto holding a tensor, a sequence
// of tensors or nothing. elem is the declared type of its content (zero if
// unknown).
func FromOptionalProto(op *onnxpb.OptionalProto, elem Type) (*Tensor, error) {
	var v *Tensor
	var err error
	switch onnxpb.SequenceProto_DataType(op.GetElemType()) {
	case onnxpb.SequenceProto_UNDEFINED:
	case onnxpb.SequenceProto_TENSOR:
		if op.GetTensorValue() != nil {
			v, err = FromProto(op.GetTensorValue())
		}
	case onnxpb.SequenceProto_SEQUENCE:
		if op.GetSequenceValue() != nil {
			var inner Type
			if elem.Kind == SequenceKind && elem.Elem != nil {
				inner = *elem.Elem
			}
			v, err = FromSequenceProto(op.GetSequenceValue(), inner)
		}
	case onnxpb.SequenceProto_MAP, onnxpb.SequenceProto_OPTIONAL, onnxpb.SequenceProto_SPARSE_TENSOR:
		return nil, fmt.Errorf("optional %v value: %w", onnxpb.SequenceProto_DataType(op.GetElemType()), ErrUnsupported)
	default:
		return nil, fmt.Errorf("optional: unknown elem_type %d", op.GetElemType())
	}
	if err != nil {
		return nil, fmt.Errorf("optional: %w", err)
	}
	t, err := NewOptional(elem, v)
	if err != nil {
		return nil, fmt.Errorf("optional: %w", err)
	}
	return t, nil
}

// ToSequenceProto encodes a sequence of tensors, named name.
func ToSequenceProto(name string, t *Tensor) (*onnxpb.SequenceProto, error) {
	if t.Kind() != SequenceKind {
		return nil, fmt.Errorf("%v is not a sequence", t)
	}
	sp := &onnxpb.SequenceProto{Name: name, ElemType: int32(onnxpb.SequenceProto_TENSOR)}
	for _, e := range t.Items() {
		sp.TensorValues = append(sp.TensorValues, ToProto("", e))
	}
	return sp, nil
}

// ToOptionalProto encodes an optional value, named name.
func ToOptionalProto(name string, t *Tensor) (*onnxpb.OptionalProto, error) {
	if t.Kind() != OptionalKind {
		return nil, fmt.Errorf("%v is not an optional value", t)
	}
	op := &onnxpb.OptionalProto{Name: name}
	items := t.Items()
	if len(items) == 0 {
		return op, nil
	}
	switch v := items[0]; v.Kind() {
	case TensorKind:
		op.ElemType = int32(onnxpb.SequenceProto_TENSOR)
		op.TensorValue = ToProto("", v)
	case SequenceKind:
		sp, err := ToSequenceProto("", v)
		if err != nil {
			return nil, err
		}
		op.ElemType = int32(onnxpb.SequenceProto_SEQUENCE)
		op.SequenceValue = sp
	default:
		return nil, fmt.Errorf("optional value holds a %v", v.Kind())
	}
	return op, nil
}

// TypeFromProto converts a declared value type. A missing type is unknown;
// maps, sparse tensors, sequences of non-tensors and unsupported element
// types are ErrUnsupported.
func TypeFromProto(tp *onnxpb.TypeProto) (Type, error) {
	return typeFromProtoDepth(tp, 0)
}

func typeFromProtoDepth(tp *onnxpb.TypeProto, depth int) (Type, error) {
	if tp == nil {
		return Type{}, nil
	}
	var kind string
	switch v := tp.GetValue().(type) {
	case *onnxpb.TypeProto_TensorType:
	case *onnxpb.TypeProto_SequenceType:
		if depth > 0 {
			return Type{}, fmt.Errorf("sequences of sequences: %w", ErrUnsupported)
		}
		elem, err := typeFromProtoDepth(v.SequenceType.GetElemType(), depth+1)
		if err != nil {
			return Type{}, fmt.Errorf("sequence element: %w", err)
		}
		if elem.Kind != TensorKind {
			return Type{}, fmt.Errorf("sequences of %v values: %w", elem.Kind, ErrUnsupported)
		}
		return SequenceOf(elem), nil
	case *onnxpb.TypeProto_OptionalType:
		if depth > 0 {
			return Type{}, fmt.Errorf("nested optional values: %w", ErrUnsupported)
		}
		elem, err := typeFromProtoDepth(v.OptionalType.GetElemType(), depth)
		if err != nil {
			return Type{}, fmt.Errorf("optional value: %w", err)
		}
		if elem.Kind == OptionalKind {
			return Type{}, fmt.Errorf("nested optional values: %w", ErrUnsupported)
		}
		return OptionalOf(elem), nil
	case *onnxpb.TypeProto_MapType:
		kind = "map"
	case *onnxpb.TypeProto_SparseTensorType:
		kind = "sparse tensor"
	case nil:
		return Type{}, nil
	}
	if kind != "" {
		return Type{}, fmt.Errorf("%s values: %w", kind, ErrUnsupported)
	}
	tt := tp.GetTensorType()
	t := Type{DType: DType(tt.GetElemType())}
	if t.DType != Undefined && !t.DType.Supported() {
		return Type{}, fmt.Errorf("element type %v: %w", t.DType, ErrUnsupported)
	}
	if sh := tt.GetShape(); sh != nil {
		t.RankKnown = true
		t.Dims = make([]Dim, len(sh.GetDim()))
		for i, d := range sh.GetDim() {
			switch v := d.GetValue().(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				if v.DimValue < 0 || v.DimValue > MaxElements {
					return Type{}, fmt.Errorf("dimension %d is %d", i, v.DimValue)
				}
				t.Dims[i] = Dim{Size: int(v.DimValue)}
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				t.Dims[i] = Dim{Size: -1, Param: v.DimParam}
			default:
				t.Dims[i] = UnknownDim
			}
		}
	}
	return t, nil
}
