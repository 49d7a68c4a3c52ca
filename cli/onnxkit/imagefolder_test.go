package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/trainer/mnist"
)

// makeDigitFolder writes an image-folder data set of MNIST digits: for
// each class name, n training (and nTest test) PNGs of the digit given by
// digits[class]. With rgb the digits are drawn in colour at 32x32.
func makeDigitFolder(t *testing.T, dir string, classes []string, digits []int, n, nTest int, rgb bool) {
	t.Helper()
	_, test, err := mnist.Load("")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for i := 0; i < test.N; i++ {
		for ci, d := range digits {
			if int(test.Labels[i]) != d || count[classes[ci]] >= n+nTest {
				continue
			}
			part := "train"
			if count[classes[ci]] >= n {
				part = "test"
			}
			count[classes[ci]]++
			var img image.Image
			pix := test.Image(i)
			if rgb {
				c := image.NewRGBA(image.Rect(0, 0, 32, 32))
				for y := 0; y < 28; y++ {
					for x := 0; x < 28; x++ {
						v := uint8(pix[y*28+x]*255 + 0.5)
						c.Set(x+2, y+2, color.RGBA{v, v / 2, 255 - v, 255})
					}
				}
				img = c
			} else {
				g := image.NewGray(image.Rect(0, 0, 28, 28))
				for j, p := range pix {
					g.Pix[j] = uint8(p*255 + 0.5)
				}
				img = g
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, part, classes[ci], strings.Repeat("0", 3)+itoa(i)+".png")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestMakeDigitFolderManual writes a data set for trying the commands by
// hand: ONNXKIT_DIGIT_FOLDER=/tmp/digits go test -run TestMakeDigitFolderManual.
func TestMakeDigitFolderManual(t *testing.T) {
	dir := os.Getenv("ONNXKIT_DIGIT_FOLDER")
	if dir == "" {
		t.Skip("set ONNXKIT_DIGIT_FOLDER to write a data set there")
	}
	makeDigitFolder(t, dir, []string{"one", "seven", "zero"}, []int{1, 7, 0}, 40, 15, os.Getenv("ONNXKIT_DIGIT_RGB") != "")
}
