package tensorboard_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/onnxkit/onnxkit/trainer/tensorboard"
)

func Example() {
	logdir, err := os.MkdirTemp("", "logs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	// What a Keras fit(..., callbacks=[TensorBoard(logdir)]) of two epochs
	// leaves behind; view it with: tensorboard --logdir <logdir>
	l, err := tensorboard.NewLogger(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for epoch, m := range [][4]float64{{0.5, 0.75, 0.25, 0.875}, {0.25, 0.875, 0.125, 0.9375}} {
		if err := l.Epoch(epoch, m[0], m[1], m[2], m[3]); err != nil {
			log.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}

	files, err := tensorboard.EventFiles(filepath.Join(logdir, "validation"))
	if err != nil {
		log.Fatal(err)
	}
	events, err := tensorboard.ReadEvents(files[0])
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range events {
		fmt.Println(e.Step, e.Tag, e.Value)
	}
	// Output:
	// 0 epoch_loss 0.25
	// 0 epoch_accuracy 0.875
	// 1 epoch_loss 0.125
	// 1 epoch_accuracy 0.9375
}
