package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
)

func newPlotCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "plot LOGDIR -o curves.png",
		Short: "Draw the training curves of a TensorBoard log directory as a PNG",
		Long: `Read the event files of a training run (LOGDIR/train and LOGDIR/validation, as
onnxkit train and Keras's TensorBoard callback write them) and draw loss and
accuracy per epoch, training against validation, as one PNG.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("give the output file with -o curves.png")}
			}
			if err := checkWritable(out); err != nil {
				return err
			}
			png, err := curvesPNG(args[0])
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(out, png, 0o644); err != nil {
				return fmt.Errorf("plot %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "PNG file to write")
	return cmd
}
