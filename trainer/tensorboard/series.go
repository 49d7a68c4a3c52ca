package tensorboard

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Series is one scalar time series of one run, e.g. the epoch_loss of the
// validation run, in step order.
type Series struct {
	Run, Tag string
	Steps    []int64
	Values   []float64
}

// ReadLogDir reads every run folder directly under logdir (train and
// validation for a Logger or Keras) and returns its scalar series, sorted
// by run and tag. A step logged more than once keeps its last value. A
// logdir without any event file is an error naming it.
func ReadLogDir(logdir string) ([]Series, error) {
	entries, err := os.ReadDir(logdir)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	var out []Series
	files := 0
	for _, e := range entries {
		run := filepath.Join(logdir, e.Name())
		if fi, err := os.Stat(run); err != nil || !fi.IsDir() {
			continue
		}
		paths, err := EventFiles(run)
		if err != nil {
			return nil, err
		}
		files += len(paths)
		byTag := map[string]map[int64]float64{}
		for _, p := range paths {
			evs, err := ReadEvents(p)
			if err != nil {
				return nil, err
			}
			for _, ev := range evs {
				if byTag[ev.Tag] == nil {
					byTag[ev.Tag] = map[int64]float64{}
				}
				byTag[ev.Tag][ev.Step] = ev.Value
			}
		}
		for tag, steps := range byTag {
			s := Series{Run: e.Name(), Tag: tag}
			for step := range steps {
				s.Steps = append(s.Steps, step)
			}
			sort.Slice(s.Steps, func(i, j int) bool { return s.Steps[i] < s.Steps[j] })
			for _, step := range s.Steps {
				s.Values = append(s.Values, steps[step])
			}
			out = append(out, s)
		}
	}
	if files == 0 {
		return nil, fmt.Errorf("tensorboard: %s: no event files in its run folders (want %s/train/%s*)", logdir, logdir, FilePrefix)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Run != out[j].Run {
			return out[i].Run < out[j].Run
		}
		return out[i].Tag < out[j].Tag
	})
	return out, nil
}
