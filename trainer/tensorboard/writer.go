package tensorboard

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/trainer/tensorboard/tbpb"
)

// FileVersion is the file_version of the first Event of every event file
// written here, the value TensorFlow writes.
const FileVersion = "brain.Event:2"

// FilePrefix starts the name of every event file; EventFiles and
// TensorBoard look for files whose names contain it.
const FilePrefix = "events.out.tfevents."

// fileCounter makes the names of files created in the same second by the
// same process distinct.
var fileCounter atomic.Int64

// ErrClosed is returned by the methods of a Writer after Close.
var ErrClosed = errors.New("tensorboard: writer is closed")

// Writer appends events to one new event file. Its methods may be called
// from several goroutines.
type Writer struct {
	path string

	mu     sync.Mutex
	f      *os.File
	bw     *bufio.Writer
	closed bool
}

// NewWriter creates dir and its parents if needed, and a new event file in
// it whose first record is the file version event.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.NewReplacer("/", "_", `\`, "_").Replace(host)
	now := time.Now()
	name := fmt.Sprintf("%s%010d.%s.%d.%d.v2", FilePrefix, now.Unix(), host, os.Getpid(), fileCounter.Add(1))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	w := &Writer{path: path, f: f, bw: bufio.NewWriter(f)}
	ev := &tbpb.Event{WallTime: wallSeconds(now), What: &tbpb.Event_FileVersion{FileVersion: FileVersion}}
	if err := w.write(ev); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
}

// Path returns the name of the event file.
func (w *Writer) Path() string { return w.path }

// Scalar appends a scalar summary: value at the given step of the time
// series tag, stamped with wall (time.Now() if wall is the zero Time).
// TensorBoard stores scalars of this kind as float32, so value is rounded
// to float32. The event is buffered until Flush or Close.
func (w *Writer) Scalar(tag string, step int64, value float64, wall time.Time) error {
	if tag == "" {
		return fmt.Errorf("tensorboard: %s: scalar at step %d has an empty tag", w.path, step)
	}
	if wall.IsZero() {
		wall = time.Now()
	}
	ev := &tbpb.Event{
		WallTime: wallSeconds(wall),
		Step:     step,
		What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{
			Tag:   tag,
			Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(value)},
		}}}},
	}
	return w.write(ev)
}

// write serializes ev and appends it as one record.
func (w *Writer) write(ev *tbpb.Event) error {
	data, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("tensorboard: %s: encoding event: %w", w.path, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("%w: %s", ErrClosed, w.path)
	}
	if err := writeRecord(w.bw, data); err != nil {
		return fmt.Errorf("tensorboard: %s: %w", w.path, err)
	}
	return nil
}

// Flush writes the buffered events to the file, where TensorBoard can see
// them.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("%w: %s", ErrClosed, w.path)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("tensorboard: %s: %w", w.path, err)
	}
	return nil
}

// Close flushes the buffered events and closes the file. Closing a closed
// Writer does nothing and returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	ferr := w.bw.Flush()
	cerr := w.f.Close()
	if err := errors.Join(ferr, cerr); err != nil {
		return fmt.Errorf("tensorboard: %s: %w", w.path, err)
	}
	return nil
}

// wallSeconds converts t to the seconds since the Unix epoch of
// Event.wall_time.
func wallSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// wallTime converts Event.wall_time back to a Time. Values that are not
// finite or are out of range give the zero Time.
func wallTime(s float64) time.Time {
	if math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s) > 1<<62 {
		return time.Time{}
	}
	sec := math.Floor(s)
	return time.Unix(int64(sec), int64(math.Round((s-sec)*1e9)))
}
