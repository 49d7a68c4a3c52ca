package tensorboard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Names used by Logger, the same as the Keras TensorBoard callback's.
const (
	// TrainRun is the run folder of the training metrics.
	TrainRun = "train"
	// ValidationRun is the run folder of the validation metrics.
	ValidationRun = "validation"
	// LossTag is the time series of the loss of each epoch.
	LossTag = "epoch_loss"
	// AccuracyTag is the time series of the accuracy of each epoch.
	AccuracyTag = "epoch_accuracy"
)

// Logger writes per-epoch metrics the way the Keras TensorBoard callback
// does: LossTag and AccuracyTag in the run folders TrainRun and
// ValidationRun of a log directory, at step = epoch index.
type Logger struct {
	dir        string
	train, val *Writer
}

// NewLogger removes what a previous run left in logdir, as the Keras seed
// script does before training, and opens new event files in logdir/train
// and logdir/validation.
//
// To keep a mistyped path from costing data, it refuses to remove a
// directory holding anything but TensorBoard output: files named
// events.out.tfevents.*, and anything inside a folder named plugins (where
// TensorFlow puts profiler and projector data).
func NewLogger(logdir string) (*Logger, error) {
	if err := removeLogDir(logdir); err != nil {
		return nil, err
	}
	train, err := NewWriter(filepath.Join(logdir, TrainRun))
	if err != nil {
		return nil, err
	}
	val, err := NewWriter(filepath.Join(logdir, ValidationRun))
	if err != nil {
		_ = train.Close()
		return nil, err
	}
	return &Logger{dir: logdir, train: train, val: val}, nil
}

// removeLogDir removes logdir after checking that it holds only
// TensorBoard output.
func removeLogDir(logdir string) error {
	if logdir == "" {
		return errors.New("tensorboard: empty log directory name")
	}
	abs, err := filepath.Abs(logdir)
	if err != nil {
		return fmt.Errorf("tensorboard: log directory %s: %w", logdir, err)
	}
	if filepath.Dir(abs) == abs {
		return fmt.Errorf("tensorboard: refusing to use the root directory %s as log directory", abs)
	}
	info, err := os.Lstat(logdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tensorboard: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("tensorboard: log directory %s exists and is not a directory", logdir)
	}
	err = filepath.WalkDir(logdir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(logdir, path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), FilePrefix) && d.Type().IsRegular() {
			return nil
		}
		for _, part := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
			if part == "plugins" {
				return nil
			}
		}
		return fmt.Errorf("tensorboard: refusing to remove log directory %s: %s is not TensorBoard output; remove it yourself or choose another directory",
			logdir, path)
	})
	if err != nil {
		return err
	}
	if err := os.RemoveAll(logdir); err != nil {
		return fmt.Errorf("tensorboard: removing previous run: %w", err)
	}
	return nil
}

// Dir returns the log directory.
func (l *Logger) Dir() string { return l.dir }

// Train returns the writer of the train run, for more series.
func (l *Logger) Train() *Writer { return l.train }

// Validation returns the writer of the validation run, for more series.
func (l *Logger) Validation() *Writer { return l.val }

// Epoch logs the metrics of one epoch, counted from 0 as Keras does, and
// flushes them so that a running TensorBoard shows them at once.
func (l *Logger) Epoch(epoch int, loss, acc, valLoss, valAcc float64) error {
	if epoch < 0 {
		return fmt.Errorf("tensorboard: %s: negative epoch %d", l.dir, epoch)
	}
	now := time.Now()
	step := int64(epoch)
	for _, s := range []struct {
		w     *Writer
		tag   string
		value float64
	}{
		{l.train, LossTag, loss},
		{l.train, AccuracyTag, acc},
		{l.val, LossTag, valLoss},
		{l.val, AccuracyTag, valAcc},
	} {
		if err := s.w.Scalar(s.tag, step, s.value, now); err != nil {
			return err
		}
	}
	return errors.Join(l.train.Flush(), l.val.Flush())
}

// Close flushes and closes both event files.
func (l *Logger) Close() error {
	return errors.Join(l.train.Close(), l.val.Close())
}
