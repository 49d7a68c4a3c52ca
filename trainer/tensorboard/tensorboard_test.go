package tensorboard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/trainer/tensorboard/tbpb"
)

func TestCRC32C(t *testing.T) {
	ascending := make([]byte, 32)
	descending := make([]byte, 32)
	for i := range ascending {
		ascending[i] = byte(i)
		descending[i] = byte(31 - i)
	}
	// Check values of CRC-32C: the usual "123456789" and those of
	// RFC 3720, appendix B.4.
	for _, tc := range []struct {
		name string
		data []byte
		crc  uint32
	}{
		{"123456789", []byte("123456789"), 0xe3069283},
		{"32 zeros", make([]byte, 32), 0x8a9136aa},
		{"32 ones", bytes.Repeat([]byte{0xff}, 32), 0x62a8ab43},
		{"ascending", ascending, 0x46dd794e},
		{"descending", descending, 0x113fdb5c},
	} {
		crc := crc32.Checksum(tc.data, castagnoli)
		if crc != tc.crc {
			t.Errorf("%s: CRC-32C 0x%08x, want 0x%08x", tc.name, crc, tc.crc)
		}
		// The mask, spelled differently: rotate right by 15, add the delta.
		if got, want := maskedCRC(tc.data), bits.RotateLeft32(tc.crc, -15)+0xa282ead8; got != want {
			t.Errorf("%s: masked 0x%08x, want 0x%08x", tc.name, got, want)
		}
		// Unmasking gives the CRC back.
		if got := bits.RotateLeft32(mask(crc)-0xa282ead8, 15); got != crc {
			t.Errorf("%s: unmasked 0x%08x, want 0x%08x", tc.name, got, crc)
		}
	}
	// Worked by hand: 0xe3069283 rotated right by 15 is 0x2507c60d.
	if got := mask(0xe3069283); got != 0xc78ab0e5 {
		t.Errorf("mask(0xe3069283) = 0x%08x, want 0xc78ab0e5", got)
	}
	if got := mask(0); got != 0xa282ead8 {
		t.Errorf("mask(0) = 0x%08x, want 0xa282ead8", got)
	}
}

// rawRecords splits a TFRecord file by hand, without splitRecords.
func rawRecords(t *testing.T, b []byte) (offsets []int, data [][]byte) {
	t.Helper()
	for off := 0; off < len(b); {
		n := int(binary.LittleEndian.Uint64(b[off:]))
		if off+16+n > len(b) {
			t.Fatalf("record at %d overruns the file", off)
		}
		if got := binary.LittleEndian.Uint32(b[off+8:]); got != maskedCRC(b[off:off+8]) {
			t.Fatalf("record at %d: bad length CRC", off)
		}
		d := b[off+12 : off+12+n]
		if got := binary.LittleEndian.Uint32(b[off+12+n:]); got != maskedCRC(d) {
			t.Fatalf("record at %d: bad data CRC", off)
		}
		offsets, data = append(offsets, off), append(data, d)
		off += 16 + n
	}
	return offsets, data
}

var wantScalars = []ScalarEvent{
	{Step: 0, Tag: "epoch_loss", Value: 2.5},
	{Step: 0, Tag: "epoch_accuracy", Value: 0.125},
	{Step: 1, Tag: "epoch_loss", Value: float64(float32(0.1))}, // stored as float32
	{Step: 1, Tag: "epoch_accuracy", Value: -3},
	{Step: 1 << 40, Tag: "learning rate/group 0", Value: math.Inf(1)},
	{Step: -1, Tag: "ε", Value: 0},
}

func writeSample(t *testing.T, dir string) (*Writer, time.Time) {
	t.Helper()
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	for i, s := range wantScalars {
		if err := w.Scalar(s.Tag, s.Step, s.Value, base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w, base
}

func TestWriteRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "run") // parents are created
	w, base := writeSample(t, dir)

	name := filepath.Base(w.Path())
	pattern := fmt.Sprintf(`^events\.out\.tfevents\.\d{10}\.[^./][^/]*\.%d\.\d+\.v2$`, os.Getpid())
	if !regexp.MustCompile(pattern).MatchString(name) {
		t.Errorf("file name %q does not match %s", name, pattern)
	}
	if files, err := EventFiles(dir); err != nil || len(files) != 1 || files[0] != w.Path() {
		t.Errorf("EventFiles = %v, %v; want [%s]", files, err, w.Path())
	}

	got, err := ReadEvents(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wantScalars) {
		t.Fatalf("read %d scalars, want %d: %+v", len(got), len(wantScalars), got)
	}
	for i, want := range wantScalars {
		g := got[i]
		if g.Tag != want.Tag || g.Step != want.Step || g.Value != want.Value {
			t.Errorf("scalar %d = %q step %d value %v; want %q step %d value %v",
				i, g.Tag, g.Step, g.Value, want.Tag, want.Step, want.Value)
		}
		if d := g.Wall.Sub(base.Add(time.Duration(i) * time.Second)); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("scalar %d: wall time off by %v", i, d)
		}
	}

	// Framing, checked by hand, and the first event.
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	offsets, data := rawRecords(t, b)
	if len(data) != 1+len(wantScalars) {
		t.Fatalf("%d records, want %d", len(data), 1+len(wantScalars))
	}
	var first tbpb.Event
	if err := proto.Unmarshal(data[0], &first); err != nil {
		t.Fatal(err)
	}
	if first.GetFileVersion() != "brain.Event:2" || first.GetStep() != 0 || first.GetWallTime() < 1e9 {
		t.Errorf("first event = %v", &first)
	}
	if offsets[1] != 16+len(data[0]) {
		t.Errorf("second record at byte %d, want %d", offsets[1], 16+len(data[0]))
	}

	// Field numbers, checked with the bare wire format.
	checkWire(t, data[1], "epoch_loss", 0, 2.5)
}

// checkWire decodes an Event with protowire alone and checks that it holds
// wall_time (1, double), step (2, varint) and summary (5) { value (1) {
// tag (1), simple_value (2, float) } }.
func checkWire(t *testing.T, ev []byte, tag string, step int64, value float32) {
	t.Helper()
	fields := map[protowire.Number][]byte{}
	types := map[protowire.Number]protowire.Type{}
	parse := func(b []byte) {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				t.Fatal(protowire.ParseError(m))
			}
			fields[num], types[num] = b[n:n+m], typ
			b = b[n+m:]
		}
	}
	parse(ev)
	if types[1] != protowire.Fixed64Type || types[2] != protowire.VarintType || types[5] != protowire.BytesType {
		t.Fatalf("event wire types %v", types)
	}
	if s, _ := protowire.ConsumeVarint(fields[2]); int64(s) != step {
		t.Errorf("step %d, want %d", s, step)
	}
	summary, _ := protowire.ConsumeBytes(fields[5])
	clear(fields)
	clear(types)
	parse(summary)
	val, _ := protowire.ConsumeBytes(fields[1])
	clear(fields)
	clear(types)
	parse(val)
	if got, _ := protowire.ConsumeString(fields[1]); got != tag {
		t.Errorf("tag %q, want %q", got, tag)
	}
	if types[2] != protowire.Fixed32Type {
		t.Fatalf("simple_value wire type %v", types[2])
	}
	if bits, _ := protowire.ConsumeFixed32(fields[2]); math.Float32frombits(bits) != value {
		t.Errorf("simple_value %v, want %v", math.Float32frombits(bits), value)
	}
}

// TestProtocDecodeRaw has protoc, an independent protobuf implementation,
// decode a record without any schema.
func TestProtocDecodeRaw(t *testing.T) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("protoc is missing (scripts/install-peers.sh installs it)")
		}
		t.Skip("protoc not found; scripts/install-peers.sh installs it")
	}
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("epoch_accuracy", 7, 0.5, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	_, data := rawRecords(t, b)
	cmd := exec.Command(protoc, "--decode_raw")
	cmd.Stdin = bytes.NewReader(data[1])
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("protoc --decode_raw: %v", err)
	}
	// 1700000000.0 as a double is 0x41d954fc40000000; 0.5 as a float is
	// 0x3f000000.
	want := "1: 0x41d954fc40000000\n2: 7\n5 {\n  1 {\n    1: \"epoch_accuracy\"\n    2: 0x3f000000\n  }\n}\n"
	if string(out) != want {
		t.Errorf("protoc --decode_raw printed\n%s\nwant\n%s", out, want)
	}
}

func TestReadCorrupt(t *testing.T) {
	w, _ := writeSample(t, t.TempDir())
	good, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	offsets, data := rawRecords(t, good)
	second := offsets[1]           // the record of the first scalar
	dataAt := second + 12          // its data
	crcAt := dataAt + len(data[1]) // its data CRC

	hugeLength := func() []byte {
		b := bytes.Clone(good[:second])
		b = binary.LittleEndian.AppendUint64(b, 1<<60)
		b = binary.LittleEndian.AppendUint32(b, maskedCRC(b[second:]))
		return append(b, 1, 2, 3, 4, 5)
	}
	badProto := func() []byte {
		return appendRecord(bytes.Clone(good), []byte{0xff, 0xff, 0xff}) // invalid tag
	}
	flip := func(at int) func() []byte {
		return func() []byte { b := bytes.Clone(good); b[at] ^= 0x10; return b }
	}
	cut := func(n int) func() []byte {
		return func() []byte { return bytes.Clone(good[:n]) }
	}
	for _, tc := range []struct {
		name   string
		file   func() []byte
		offset int
		target error
		detail string
	}{
		{"length byte", flip(second), second, ErrCorrupt, "length checksum"},
		{"length CRC", flip(second + 9), second, ErrCorrupt, "length checksum"},
		{"data byte", flip(dataAt + 3), second, ErrCorrupt, "data checksum"},
		{"data CRC", flip(crcAt), second, ErrCorrupt, "data checksum"},
		{"first record", flip(14), 0, ErrCorrupt, "data checksum"},
		{"cut in data", cut(dataAt + 2), second, ErrTruncated, ""},
		{"cut in header", cut(second + 5), second, ErrTruncated, ""},
		{"cut before data CRC", cut(crcAt + 2), second, ErrTruncated, ""},
		{"huge length", hugeLength, second, ErrTruncated, ""},
		{"not an event", badProto, len(good), ErrCorrupt, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.out.tfevents.bad")
			if err := os.WriteFile(path, tc.file(), 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got, err := ReadEvents(path)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("ReadEvents succeeded with %d scalars", len(got))
			}
			t.Log(err)
			if !errors.Is(err, tc.target) {
				t.Errorf("error %q is not %v", err, tc.target)
			}
			if want := fmt.Sprintf("%s: record at byte %d:", path, tc.offset); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q does not contain %q", err, tc.detail)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
				t.Errorf("ReadEvents allocated %d bytes", d)
			}
		})
	}
}

// TestReadTensorScalars reads scalars in the form TensorFlow 2 writes them.
func TestReadTensorScalars(t *testing.T) {
	scalarsMeta := &tbpb.SummaryMetadata{
		PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "scalars"},
		DataClass:  tbpb.DataClass_DATA_CLASS_SCALAR,
	}
	textMeta := &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "text"}}
	f32 := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	tensor := func(tp *tbpb.TensorProto) *tbpb.Summary_Value_Tensor {
		return &tbpb.Summary_Value_Tensor{Tensor: tp}
	}
	events := []*tbpb.Event{
		{WallTime: 1700000000.25, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}},
		// First value of a tag carries metadata; tensor_content encoding.
		{WallTime: 1700000001.5, Step: 0, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{
			{Tag: "epoch_loss", Metadata: scalarsMeta, Value: tensor(&tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: &tbpb.TensorShapeProto{}, TensorContent: f32(0.75)})},
			{Tag: "notes", Metadata: textMeta, Value: tensor(&tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorContent: f32(9)})},
		}}}},
		// Later values have no metadata; float_val and double_val encodings.
		{WallTime: 1700000002, Step: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{
			{Tag: "epoch_loss", Value: tensor(&tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{0.5}})},
			{Tag: "notes", Value: tensor(&tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{8}})},
			{Tag: "lr", Value: tensor(&tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{1e-3}})},
			{Tag: "histo", Value: tensor(&tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{1, 2, 3},
				TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: 1}, {Size: 3}}}})},
			{Tag: "empty"},
		}}}},
	}
	var file []byte
	for _, ev := range events {
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		file = appendRecord(file, b)
	}
	path := filepath.Join(t.TempDir(), "events.out.tfevents.1.host.1.1.v2")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []ScalarEvent{
		{Step: 0, Wall: time.Unix(1700000001, 500000000), Tag: "epoch_loss", Value: 0.75},
		{Step: 1, Wall: time.Unix(1700000002, 0), Tag: "epoch_loss", Value: 0.5},
		{Step: 1, Wall: time.Unix(1700000002, 0), Tag: "lr", Value: 1e-3},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Tag != want[i].Tag || got[i].Step != want[i].Step || got[i].Value != want[i].Value || !got[i].Wall.Equal(want[i].Wall) {
			t.Errorf("scalar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestWriterErrors(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("", 0, 1, time.Time{}); err == nil || !strings.Contains(err.Error(), w.Path()) {
		t.Errorf("empty tag: error %v does not name the file", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Scalar("x", 0, 1, time.Time{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Scalar after Close: %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v, want ErrClosed", err)
	}
	// A file where the directory should be.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWriter(filepath.Join(blocker, "run")); err == nil || !strings.Contains(err.Error(), blocker) {
		t.Errorf("NewWriter under a file: %v", err)
	}
	// Two writers in the same directory and second get distinct files.
	dir := t.TempDir()
	a, errA := NewWriter(dir)
	b, errB := NewWriter(dir)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.Path() == b.Path() {
		t.Error("two writers share a file")
	}
	_ = a.Close()
	_ = b.Close()
}

func TestLogger(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "logs")
	// Leftovers of a previous run, which NewLogger removes.
	for _, p := range []string{"train/events.out.tfevents.1.old.1.1.v2", "train/plugins/profile/x.trace.json.gz"} {
		p = filepath.Join(logdir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := NewLogger(logdir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(logdir, "train", "plugins")); !os.IsNotExist(err) {
		t.Errorf("previous run not removed: %v", err)
	}
	metrics := [][4]float64{{2.3, 0.1, 2.2, 0.125}, {0.5, 0.875, 0.25, 0.9375}, {0.125, 0.96875, 0.0625, 0.984375}}
	for epoch, m := range metrics {
		if err := l.Epoch(epoch, m[0], m[1], m[2], m[3]); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Epoch(-1, 0, 0, 0, 0); err == nil {
		t.Error("negative epoch accepted")
	}
	// Epoch flushed: the events are readable before Close.
	for _, run := range []struct {
		name      string
		loss, acc int
	}{{"train", 0, 1}, {"validation", 2, 3}} {
		files, err := EventFiles(filepath.Join(logdir, run.name))
		if err != nil || len(files) != 1 {
			t.Fatalf("%s: event files %v, %v", run.name, files, err)
		}
		got, err := ReadEvents(files[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2*len(metrics) {
			t.Fatalf("%s: %d scalars, want %d", run.name, len(got), 2*len(metrics))
		}
		for i, g := range got {
			epoch, m := i/2, metrics[i/2]
			want := ScalarEvent{Step: int64(epoch), Tag: "epoch_loss", Value: float64(float32(m[run.loss]))}
			if i%2 == 1 {
				want.Tag, want.Value = "epoch_accuracy", float64(float32(m[run.acc]))
			}
			if g.Step != want.Step || g.Tag != want.Tag || g.Value != want.Value {
				t.Errorf("%s scalar %d = %+v, want %+v", run.name, i, g, want)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoggerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the logdir
		want  string
	}{
		{"foreign file", func(t *testing.T, dir string) string {
			if err := os.WriteFile(filepath.Join(dir, "main.go"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "main.go is not TensorBoard output"},
		{"foreign file deep", func(t *testing.T, dir string) string {
			if err := os.MkdirAll(filepath.Join(dir, "train"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "train", "model.onnx"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "model.onnx is not TensorBoard output"},
		{"regular file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "logs")
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, "not a directory"},
		{"root", func(*testing.T, string) string { return string(filepath.Separator) }, "root directory"},
		{"empty name", func(*testing.T, string) string { return "" }, "empty log directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			logdir := tc.setup(t, dir)
			l, err := NewLogger(logdir)
			if err == nil {
				_ = l.Close()
				t.Fatal("NewLogger succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) == 0 && tc.name != "root" && tc.name != "empty name" {
				t.Error("NewLogger removed the files it refused")
			}
		})
	}
}

func TestReadLogDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	l, err := NewLogger(dir)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 3; e++ {
		if err := l.Epoch(e, 1/float64(e+1), 0.5+0.1*float64(e), 2/float64(e+1), 0.4+0.1*float64(e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLogDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d series, want 4", len(got))
	}
	s := got[0] // train epoch_accuracy
	if s.Run != TrainRun || s.Tag != AccuracyTag || len(s.Values) != 3 || s.Steps[2] != 2 || math.Abs(s.Values[2]-0.7) > 1e-6 {
		t.Errorf("first series %+v", s)
	}
	s = got[3] // validation epoch_loss
	if s.Run != ValidationRun || s.Tag != LossTag || math.Abs(s.Values[1]-1) > 1e-6 {
		t.Errorf("last series %+v", s)
	}
	if _, err := ReadLogDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no event files") {
		t.Errorf("empty logdir: %v", err)
	}
}
