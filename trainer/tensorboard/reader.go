package tensorboard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/trainer/tensorboard/tbpb"
)

// Errors reported by ReadEvents, wrapped with the file name and the byte
// offset of the record at fault; test for them with errors.Is.
var (
	// ErrCorrupt means a record's length or data does not match its
	// checksum, or its data is not an Event.
	ErrCorrupt = errors.New("corrupt record")
	// ErrTruncated means the file ends inside a record, as it may while
	// another process is still writing it.
	ErrTruncated = errors.New("truncated record")
)

// ScalarEvent is one scalar read from an event file.
type ScalarEvent struct {
	// Step is the training step; Keras and Logger use the epoch index.
	Step int64
	// Wall is when the value was logged.
	Wall time.Time
	// Tag names the time series, e.g. "epoch_loss".
	Tag string
	// Value is the logged value.
	Value float64
}

// record is the data of one TFRecord and its byte offset in the file.
type record struct {
	offset int64
	data   []byte
}

// ReadEvents reads the event file at path and returns its scalars in file
// order. Both checksums of every record are verified. Scalars are found in
// both encodings TensorBoard accepts: simple_value, and rank-0 float or
// double tensors of the "scalars" plugin as TensorFlow 2 writes them; other
// summaries (images, histograms, ...) and non-summary events are skipped.
func ReadEvents(path string) ([]ScalarEvent, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	recs, err := splitRecords(path, b)
	if err != nil {
		return nil, err
	}
	var out []ScalarEvent
	plugin := map[string]string{} // tag -> plugin named by its first metadata
	for _, r := range recs {
		var ev tbpb.Event
		if err := proto.Unmarshal(r.data, &ev); err != nil {
			return nil, fmt.Errorf("tensorboard: %s: record at byte %d: %w: %w", path, r.offset, ErrCorrupt, err)
		}
		for _, v := range ev.GetSummary().GetValue() {
			if name := v.GetMetadata().GetPluginData().GetPluginName(); name != "" {
				if _, seen := plugin[v.GetTag()]; !seen {
					plugin[v.GetTag()] = name
				}
			}
			x, ok := scalarOf(v, plugin[v.GetTag()])
			if !ok {
				continue
			}
			out = append(out, ScalarEvent{Step: ev.GetStep(), Wall: wallTime(ev.GetWallTime()), Tag: v.GetTag(), Value: x})
		}
	}
	return out, nil
}

// splitRecords checks the framing and checksums of the records in b, the
// content of the file name.
func splitRecords(name string, b []byte) ([]record, error) {
	var out []record
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < 12 {
			return nil, fmt.Errorf("tensorboard: %s: record at byte %d: %w: %d bytes left, a header takes 12",
				name, off, ErrTruncated, len(rest))
		}
		if got, want := binary.LittleEndian.Uint32(rest[8:]), maskedCRC(rest[:8]); got != want {
			return nil, fmt.Errorf("tensorboard: %s: record at byte %d: %w: length checksum 0x%08x, want 0x%08x",
				name, off, ErrCorrupt, got, want)
		}
		n := binary.LittleEndian.Uint64(rest)
		// left >= 0 here; the data and its 4-byte checksum must fit in it.
		if left := uint64(len(rest) - 12); left < 4 || n > left-4 {
			return nil, fmt.Errorf("tensorboard: %s: record at byte %d: %w: length %d plus a 4-byte checksum, %d bytes left",
				name, off, ErrTruncated, n, left)
		}
		data := rest[12 : 12+n]
		if got, want := binary.LittleEndian.Uint32(rest[12+n:]), maskedCRC(data); got != want {
			return nil, fmt.Errorf("tensorboard: %s: record at byte %d: %w: data checksum 0x%08x, want 0x%08x",
				name, off, ErrCorrupt, got, want)
		}
		out = append(out, record{offset: int64(off), data: data})
		off += recordOverhead + int(n)
	}
	return out, nil
}

// scalarOf returns the number held by v, if it is a scalar. plugin is the
// plugin named by the first metadata seen for v's tag, if any.
func scalarOf(v *tbpb.Summary_Value, plugin string) (float64, bool) {
	switch x := v.GetValue().(type) {
	case *tbpb.Summary_Value_SimpleValue:
		return float64(x.SimpleValue), true
	case *tbpb.Summary_Value_Tensor:
		if plugin != "" && plugin != "scalars" {
			return 0, false
		}
		t := x.Tensor
		if len(t.GetTensorShape().GetDim()) != 0 || t.GetTensorShape().GetUnknownRank() {
			return 0, false
		}
		switch t.GetDtype() {
		case tbpb.DataType_DT_FLOAT:
			if len(t.GetFloatVal()) == 1 {
				return float64(t.GetFloatVal()[0]), true
			}
			if c := t.GetTensorContent(); len(c) == 4 {
				return float64(math.Float32frombits(binary.LittleEndian.Uint32(c))), true
			}
		case tbpb.DataType_DT_DOUBLE:
			if len(t.GetDoubleVal()) == 1 {
				return t.GetDoubleVal()[0], true
			}
			if c := t.GetTensorContent(); len(c) == 8 {
				return math.Float64frombits(binary.LittleEndian.Uint64(c)), true
			}
		}
	}
	return 0, false
}

// EventFiles returns the paths of the event files directly inside dir (one
// run folder), sorted by name. The names written here and by TensorFlow
// start with the creation time in seconds.
func EventFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), FilePrefix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}
