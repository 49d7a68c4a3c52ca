package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// csvToNpy converts a CSV of numbers (one sample a row) into an .npy file
// of the given shape, as a user would with numpy.
func csvToNpy(t *testing.T, csvPath, npyPath string, shape []int, perturb func(i int, v float32) float32) {
	t.Helper()
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var data []float32
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for _, field := range strings.Split(strings.TrimSpace(sc.Text()), ",") {
			if field == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
			if err != nil {
				t.Fatalf("%s: %v", csvPath, err)
			}
			x := float32(v)
			if perturb != nil {
				x = perturb(len(data), x)
			}
			data = append(data, x)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	tt, err := tensors.New(shape, data)
	if err != nil {
		t.Fatalf("%s: %v", csvPath, err)
	}
	if err := onnx.WriteTensorFile(npyPath, "", tt); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyKerasReferenceOutputs checks onnxkit against the outputs of
// Keras's own model.predict shipped with the inception fixture: within
// 1e-4 it passes; a perturbed copy of the expected outputs fails (exit 1).
func TestVerifyKerasReferenceOutputs(t *testing.T) {
	fx := filepath.Join(peer.Fixtures(t), "keras-tf2onnx-inception-op13-refio")
	dir := t.TempDir()
	csvToNpy(t, filepath.Join(fx, "input_cnn.csv"), filepath.Join(dir, "x.npy"), []int{100, 28, 28, 1}, nil)
	csvToNpy(t, filepath.Join(fx, "output_cnn.csv"), filepath.Join(dir, "y.npy"), []int{100, 10}, nil)
	csvToNpy(t, filepath.Join(fx, "output_cnn.csv"), filepath.Join(dir, "y_bad.npy"), []int{100, 10}, func(i int, v float32) float32 {
		if i == 537 {
			return v + 0.01
		}
		return v
	})
	model := filepath.Join(fx, "mnist_cnn.onnx")
	out, stderr, code := onnxkit(t, dir, "verify", model, "--input", "x.npy", "--expected", "y.npy", "--atol", "1e-4", "--rtol", "0")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "OK ") || !strings.Contains(out, "0 of 1000 outside tolerance") || !strings.Contains(out, "argmax agreement 100/100") {
		t.Fatalf("output:\n%s", out)
	}
	t.Log(out)
	out, stderr, code = onnxkit(t, dir, "verify", model, "--input", "input_1=x.npy", "--expected", "dense_1=y_bad.npy", "--atol", "1e-4", "--rtol", "0")
	if code != 1 || !strings.Contains(out, "MISMATCH") || !strings.Contains(out, "1 of 1000 outside tolerance") || !strings.Contains(out, "(at 537)") {
		t.Fatalf("perturbed reference: exit %d\n%s%s", code, out, stderr)
	}
	if first := strings.SplitN(stderr, "\n", 2)[0]; !strings.Contains(first, "outputs differ beyond tolerance") {
		t.Fatalf("stderr: %s", stderr)
	}
}

func TestVerifyAgainstOnnxruntimeAndTestDir(t *testing.T) {
	fixtures := peer.Fixtures(t)
	_, err := ort.Version()
	peer.Require(t, err)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", filepath.Join(fixtures, "keras2onnx-cnn-nhwc-op11", "keras_mnist.onnx"), "--against", "onnxruntime", "--limit", "200"}, "argmax agreement 200/200"},
		{[]string{"verify", filepath.Join(fixtures, "cntk-mnist8-zoo", "model.onnx"), "--against", "onnxruntime", "--limit", "20", "--scale", "255"}, "argmax agreement 20/20"},
		{[]string{"verify", filepath.Join(fixtures, "pytorch-cnn-op11", "mnist_cnn.onnx"), "--against", "onnxruntime", "--input", filepath.Join(fixtures, "pytorch-cnn-op11", "derived_ort_input.npy")}, "argmax agreement 16/16"},
	} {
		out, stderr, code := onnxkit(t, dir, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) || !strings.Contains(out, "All 1 outputs within tolerance") {
			t.Errorf("%v: exit %d\n%s%s", tc.args, code, out, stderr)
		}
	}
	td := "/usr/share/libonnx-testdata/data/node/test_maxpool_2d_same_upper"
	if _, err := os.Stat(td); err != nil {
		peer.Require(t, err)
		return
	}
	out, stderr, code := onnxkit(t, dir, "verify", filepath.Join(td, "model.onnx"), td)
	if code != 0 || !strings.Contains(out, "test_data_set_0/y") {
		t.Errorf("test dir: exit %d\n%s%s", code, out, stderr)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	dir := t.TempDir()
	model := saveModelProto(t, dir, "add.onnx", smallAddModel(t))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"verify", model}, 2, "nothing to compare with"},
		{[]string{"verify", model, "--against", "tensorflow"}, 2, "--against"},
		{[]string{"verify", model, "--against", "onnxruntime", "--expected", "y.npy"}, 2, "drop --expected"},
		{[]string{"verify", model, "--atol", "-1", "--expected", "y.npy"}, 2, "negative"},
		{[]string{"verify", model, "--expected", "y.txt"}, 2, ".npy or .pb"},
		{[]string{"verify", filepath.Join(dir, "missing.onnx"), "--expected", "y.npy"}, 1, "missing.onnx"},
		{[]string{"compare", model}, 2, "accepts 2 arg"},
	} {
		_, stderr, code := onnxkit(t, dir, tc.args...)
		first := strings.SplitN(stderr, "\n", 2)[0]
		if code != tc.code || !strings.Contains(first, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, first, tc.code, tc.want)
		}
	}
}

func TestCompareFixtures(t *testing.T) {
	fixtures := peer.Fixtures(t)
	a := filepath.Join(fixtures, "keras-tf2onnx-lenet-k3-op15", "model.onnx")
	b := filepath.Join(fixtures, "keras2onnx-cnn-nhwc-op11", "keras_mnist.onnx")
	out, stderr, code := onnxkit(t, t.TempDir(), "compare", a, b, "--limit", "300")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"layout nhw", "layout nhwc", "test accuracy 0.9", "Argmax agreement: ", "Max output difference: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A model compared with itself agrees everywhere.
	out, _, code = onnxkit(t, t.TempDir(), "compare", a, a, "--limit", "100")
	if code != 0 || !strings.Contains(out, "Argmax agreement: 100/100") || !strings.Contains(out, "Max output difference: 0\n") {
		t.Fatalf("self-compare: exit %d\n%s", code, out)
	}
}

// TestFineTuneRoundTrip continues training a real Keras export in Go
// (1 epoch on a small limit) and exports it with its Keras signature.
func TestFineTuneRoundTrip(t *testing.T) {
	fixtures := peer.Fixtures(t)
	_, err := ort.Version()
	peer.Require(t, err)
	dir := t.TempDir()
	src := filepath.Join(fixtures, "keras-tf2onnx-lenet-k3-op15", "model.onnx")
	out, stderr, code := onnxkit(t, dir, "train", "--init-from", src, "--epochs", "1", "--limit", "1000", "--out", "tuned.onnx", "--layout", "nhwc", "--logdir", "", "--verify", "onnxruntime")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"Initialised from", "Total params: 61,706", "Test accuracy: 0.9", "Exported tuned.onnx", "layout nhw", "argmax agreement 10000/10000"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m, err := onnx.Load(filepath.Join(dir, "tuned.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	in := m.Inputs()
	if len(in) != 1 || in[0].Name != "input" || len(in[0].Type.Dims) != 3 || m.Outputs()[0].Name != "output" {
		t.Fatalf("tuned signature: inputs %+v outputs %+v", in, m.Outputs())
	}
}
