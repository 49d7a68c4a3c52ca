// Command onnxkit trains LeNet-style models in Go with Keras semantics,
// exports them to ONNX, and imports, runs and verifies ONNX files made
// elsewhere (Keras via tf2onnx or keras2onnx, PyTorch, CNTK).
//
// Exit status: 0 on success, 1 on a clear failure (bad input, mismatch),
// 2 on a usage or internal error.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/onnx"
)

// usageError marks errors caused by how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "onnxkit",
		Short:         "Train models in Go, move them to and from ONNX, and prove both sides agree",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var memLimit string
	root.PersistentFlags().StringVar(&memLimit, "memory-limit", "4GiB",
		"most tensor memory a model may hold, loading or running (e.g. 512MiB, 2GB; 'none' for no limit)")
	var timeout time.Duration
	root.PersistentFlags().DurationVar(&timeout, "timeout", 0,
		"stop running a model after this long (e.g. 30s, 5m; 0 for no limit)")
	var ortLib string
	root.PersistentFlags().StringVar(&ortLib, "ort-lib", "",
		"path of onnxruntime's libonnxruntime.so.1 for --verify/--against onnxruntime (default: $"+ort.LibraryEnv+", the checkout's .peers/ort, the global npm prefix, the system library folders)")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		ort.SetLibrary(ortLib)
		limit, err := parseMemoryLimit(memLimit)
		if err != nil {
			return usageError{fmt.Errorf("--memory-limit: %w", err)}
		}
		loadOptions = onnx.LoadOptions{MemoryLimit: limit}
		if timeout < 0 {
			return usageError{fmt.Errorf("--timeout: %v is negative", timeout)}
		}
		if timeout > 0 {
			runCtx, cancelRun = context.WithTimeout(context.Background(), timeout)
		}
		return nil
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	// Each subcommand lives in its own file as newXxxCmd.
	root.AddCommand(
		newTrainCmd(),
		newVerifyCmd(),
		newCompareCmd(),
		newInspectCmd(),
		newRunCmd(),
		newEvalCmd(),
		newPredictCmd(),
		newReportCmd(),
		newPlotCmd(),
		newBenchCmd(),
	)
	return root
}

// loadOptions are the options every command loads models with, and runCtx
// the context models run in (done after --timeout), set from the global
// flags before a command runs.
var (
	loadOptions onnx.LoadOptions
	runCtx      = context.Background()
	cancelRun   = func() {}
)

// parseMemoryLimit reads a --memory-limit value: a size with an optional
// unit (B, KB, KiB, MB, MiB, GB, GiB, ...), or "none".
func parseMemoryLimit(s string) (int64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return -1, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size such as 512MiB or 2GB, or 'none'", s)
	}
	if n == 0 || n > math.MaxInt64 {
		return 0, fmt.Errorf("%q: the limit must be positive (use 'none' for no limit)", s)
	}
	return int64(n), nil
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit status.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	cancelRun()
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "onnxkit:", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return 2
	}
	return 1
}

// isCobraUsage reports whether err is one of cobra's own argument errors,
// which are usage errors but carry no type of their own.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if len(msg) >= len(p) && msg[:len(p)] == p {
			return true
		}
	}
	return false
}
