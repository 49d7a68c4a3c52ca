// Command onnxkit trains LeNet-style models in Go with Keras semantics,
// exports them to ONNX, and imports, runs and verifies ONNX files made
// elsewhere (Keras via tf2onnx or keras2onnx, PyTorch, CNTK).
//
// Exit status: 0 on success, 1 on a clear failure (bad input, mismatch),
// 2 on a usage or internal error.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
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
	)
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit status.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
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
