package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
)

// checkInChromium opens a copy of the HTML page in headless Chromium with a
// script that counts errors (script errors and resources that fail to
// load) from the start and, once the page has loaded, writes how many
// images there are, how many decoded (naturalWidth > 0) and the error
// count into the DOM, which --dump-dom prints. Without Chromium the test
// is skipped, or fails under CI.
func checkInChromium(t *testing.T, page string) (images int) {
	t.Helper()
	n, ok, errs, msgs := chromiumCheck(t, page)
	if errs != 0 {
		t.Errorf("%s: %d errors in Chromium: %s", page, errs, msgs)
	}
	if ok != n {
		t.Errorf("%s: %d of %d images decoded in Chromium", page, ok, n)
	}
	return n
}

// chromiumCheck returns the number of images of the page, how many
// decoded, and the errors counted while it loaded.
func chromiumCheck(t *testing.T, page string) (images, decoded, errs int, msgs string) {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if peer.InCI() {
			t.Fatal("chromium not found: install it (scripts/install-peers.sh) to check the HTML report")
		}
		t.Skip("chromium not found: install it (apt-get install chromium) to check the HTML report in a browser")
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	const head = `<script>window.__errs=[];window.addEventListener("error",function(e){window.__errs.push(String(e.message||(e.target&&e.target.tagName)||e.type))},true);</script>`
	const tail = `<script>window.addEventListener("load",function(){var im=document.images,ok=0;for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++}var p=document.createElement("pre");p.id="onnxkit-check";p.textContent="images="+im.length+" decoded="+ok+" errors="+window.__errs.length+" "+window.__errs.join("|");document.body.appendChild(p)});</script>`
	if !strings.Contains(html, "<head>") || !strings.Contains(html, "</body>") {
		t.Fatalf("%s has no <head> or </body>", page)
	}
	html = strings.Replace(html, "<head>", "<head>"+head, 1)
	html = strings.Replace(html, "</body>", tail+"</body>", 1)
	checked := filepath.Join(t.TempDir(), "checked.html")
	if err := os.WriteFile(checked, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=10000",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+checked)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	m := regexp.MustCompile(`images=(\d+) decoded=(\d+) errors=(\d+)([^<]*)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("chromium's DOM has no check result:\n%.2000s", out.String())
	}
	images, _ = strconv.Atoi(m[1])
	decoded, _ = strconv.Atoi(m[2])
	errs, _ = strconv.Atoi(m[3])
	return images, decoded, errs, strings.TrimSpace(m[4])
}

func TestChromiumCheckCatchesBrokenPages(t *testing.T) {
	page := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><head><title>x</title></head><body>` +
		`<img src="data:image/png;base64,iVBORw0KGgoAAAA"><script>undefinedFunction()</script></body></html>`
	if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	n, ok, errs, msgs := chromiumCheck(t, page)
	if n != 1 || ok != 0 {
		t.Errorf("a truncated PNG: %d of %d images decoded, want 0 of 1", ok, n)
	}
	if errs < 1 || !strings.Contains(msgs, "undefinedFunction") {
		t.Errorf("a script error: %d errors (%s), want it counted", errs, msgs)
	}
}

// firstLine returns the first line of s.
func firstLineOf(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TestImageFolderTrainPredictReport trains on an image folder of MNIST
// digits, then predicts, reports and plots as a person would.
func TestImageFolderTrainPredictReport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "digits")
	makeDigitFolder(t, data, []string{"one", "seven", "zero"}, []int{1, 7, 0}, 40, 10, false)
	out, errb, code := onnxkit(t, dir, "train", "--data", data, "--epochs", "2", "--batch", "16",
		"--out", "m.onnx", "--logdir", "logs", "--report", "r.html", "--verify", "off")
	if code != 0 {
		t.Fatalf("train exit %d\n%s%s", code, out, errb)
	}
	for _, want := range []string{"Training on 120 image-folder images", "(None, 3)", "Test accuracy:", "Exported m.onnx", "Wrote r.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	m, err := onnx.Load(filepath.Join(dir, "m.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	meta := metadataOf(m)
	var classes []string
	if err := json.Unmarshal([]byte(meta[metaClasses]), &classes); err != nil || strings.Join(classes, ",") != "one,seven,zero" {
		t.Errorf("metadata classes %q (%v)", meta[metaClasses], err)
	}
	if meta[metaChannels] != "1" || meta[metaHeight] != "28" || meta[metaWidth] != "28" || meta[metaScale] != "1" || meta[metaLayout] != "nchw" {
		t.Errorf("metadata input %v", meta)
	}

	// predict: the names, --top, and probabilities that add up.
	pics, _ := filepath.Glob(filepath.Join(data, "test", "seven", "*.png"))
	out, errb, code = onnxkit(t, dir, "predict", "m.onnx", pics[0], pics[1], "--top", "3")
	if code != 0 {
		t.Fatalf("predict exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 || lines[0] != pics[0] || lines[4] != pics[1] {
		t.Fatalf("predict output:\n%s", out)
	}
	sum := 0.0
	for _, l := range lines[1:4] {
		f := strings.Fields(l)
		p, err := strconv.ParseFloat(f[2], 64)
		if err != nil || !strings.Contains("one seven zero", f[1]) {
			t.Errorf("predict line %q", l)
		}
		sum += p
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("the three probabilities add up to %g", sum)
	}
	if out, _, _ := onnxkit(t, dir, "predict", "m.onnx", pics[0], "--top", "1"); len(strings.Split(strings.TrimSpace(out), "\n")) != 2 {
		t.Errorf("--top 1 printed:\n%s", out)
	}

	// report and plot from the files.
	out, errb, code = onnxkit(t, dir, "report", "m.onnx", "--logdir", "logs", "--data", data, "--image", "3", "-o", "r2.html")
	if code != 0 {
		t.Fatalf("report exit %d: %s", code, errb)
	}
	for _, page := range []string{"r.html", "r2.html"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		for _, want := range []string{"conv2d/Conv (Conv)", "1,252,573", "training curves", "20 kernels of 5x5", "50 filters × 20 input channels of 5x5",
			"20 maps of 28x28", "20 maps of 14x14", "50 maps of 14x14", "50 maps of 7x7", "Confusion matrix", "30 test images", `onnxkit.classes`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s lacks %q", page, want)
			}
		}
		if strings.Contains(html, "http://") || strings.Contains(html, "https://") || strings.Contains(html, `src="file:`) {
			t.Errorf("%s refers to outside resources", page)
		}
		// curves + 2 kernel grids + input + 4 feature maps (+ mistakes).
		if n := strings.Count(html, `src="data:image/png;base64,`); n < 8 {
			t.Errorf("%s has %d inlined images, want at least 8", page, n)
		}
		if n := checkInChromium(t, filepath.Join(dir, page)); n != 0 && n < 8 {
			t.Errorf("Chromium sees %d images in %s", n, page)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "r2.html")); !strings.Contains(string(b), "Test image #3") {
		t.Error("--image 3 not shown")
	}
	out, errb, code = onnxkit(t, dir, "plot", "logs", "-o", "curves.png")
	if code != 0 {
		t.Fatalf("plot exit %d: %s", code, errb)
	}
	f, err := os.Open(filepath.Join(dir, "curves.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds() != image.Rect(0, 0, 1000, 380) {
		t.Fatalf("curves.png: %v, %v", err, img.Bounds())
	}

	// Without a test folder: no test metrics, verify skipped with a message.
	if err := os.RemoveAll(filepath.Join(data, "test")); err != nil {
		t.Fatal(err)
	}
	out, errb, code = onnxkit(t, dir, "train", "--data", data, "--epochs", "1", "--batch", "32", "--out", "n.onnx", "--logdir", "", "--verify", "auto")
	if code != 0 || !strings.Contains(out, "No test set") || strings.Contains(out, "Test accuracy") || !strings.Contains(out, "Not verified with onnxruntime: no test set") {
		t.Errorf("train without a test folder: exit %d\n%s%s", code, out, errb)
	}
}

func TestImageFolderRGBResize(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "rgb")
	makeDigitFolder(t, data, []string{"one", "zero"}, []int{1, 0}, 30, 8, true)
	out, errb, code := onnxkit(t, dir, "train", "--data", data, "--image-size", "24x20", "--epochs", "1", "--batch", "16",
		"--out", "m.onnx", "--logdir", "", "--layout", "nhwc", "--verify", "auto")
	if code != 0 {
		t.Fatalf("train exit %d\n%s%s", code, out, errb)
	}
	if !strings.Contains(out, "(None, 20, 20, 24)") || !strings.Contains(out, "(None, 2)") {
		t.Errorf("LeNet for [3, 20, 24] and 2 classes not built:\n%s", out)
	}
	if strings.Contains(out, "Verified") && !strings.Contains(out, "argmax agreement 16/16") {
		t.Errorf("onnxruntime disagrees:\n%s", out)
	}
	pics, _ := filepath.Glob(filepath.Join(data, "test", "zero", "*.png"))
	out, errb, code = onnxkit(t, dir, "predict", "m.onnx", pics[0])
	if code != 0 || !strings.Contains(out, "zero") || !strings.Contains(out, "one") {
		t.Errorf("predict of an RGB NHWC model: exit %d\n%s%s", code, out, errb)
	}
}

func TestImageFolderBadInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	makeDigitFolder(t, data, []string{"a", "b"}, []int{1, 7}, 5, 0, false)
	os.WriteFile(filepath.Join(data, "train", "b", "broken.png"), []byte("\x89PNG\r\n\x1a\nbroken"), 0o644)
	out, errb, code := onnxkit(t, dir, "train", "--data", data, "--epochs", "1", "--out", "m.onnx", "--logdir", "logs", "--report", "r.html")
	if code != 1 || !strings.Contains(firstLineOf(errb), "broken.png") {
		t.Errorf("undecodable image: exit %d, stderr %q", code, errb)
	}
	for _, f := range []string{"m.onnx", "r.html", "logs"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written after a failure", f)
		}
	}
	_ = out
	os.Remove(filepath.Join(data, "train", "b", "broken.png"))
	if _, errb, code := onnxkit(t, dir, "train", "--data", data, "--image-size", "big", "--out", ""); code != 2 || !strings.Contains(errb, "--image-size") {
		t.Errorf("--image-size big: exit %d, %q", code, errb)
	}

	// predict: usage and clear failures.
	pic := filepath.Join(dir, "p.png")
	os.WriteFile(pic, []byte("not an image"), 0o644)
	model := filepath.Join(dir, "notonnx.onnx")
	os.WriteFile(model, []byte("hello"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"predict", "notonnx.onnx"}, 2, "requires at least 2"},
		{[]string{"predict", "notonnx.onnx", "p.png"}, 1, "notonnx.onnx"},
		{[]string{"predict", "notonnx.onnx", "p.png", "--top", "0"}, 2, "--top"},
		{[]string{"report", "notonnx.onnx"}, 2, "-o report.html"},
		{[]string{"plot", dir, "-o", "c.png"}, 1, "no event files"},
	} {
		_, errb, code := onnxkit(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(firstLineOf(errb), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb, tc.code, tc.want)
		}
	}
}

// TestPredictAndReportForeignModels runs predict and report on exports
// onnxkit did not make: digits named 0..9, MNIST test set by default.
func TestPredictAndReportForeignModels(t *testing.T) {
	fx := peer.Fixtures(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	makeDigitFolder(t, data, []string{"seven"}, []int{7}, 1, 0, false)
	pics, _ := filepath.Glob(filepath.Join(data, "train", "seven", "*.png"))
	for _, tc := range []struct{ name, args string }{
		{"keras-tf2onnx-lenet-k3-op15", ""},
		{"pytorch-cnn-op11", ""},
		{"keras-tf2onnx-mlp-op13-go", ""},
		{"cntk-mnist8-zoo", "--scale 255"},
	} {
		models, _ := filepath.Glob(filepath.Join(fx, tc.name, "*.onnx"))
		if len(models) == 0 {
			t.Errorf("%s: no .onnx file", tc.name)
			continue
		}
		args := append([]string{"predict", models[0], pics[0]}, strings.Fields(tc.args)...)
		out, errb, code := onnxkit(t, dir, args...)
		if code != 0 || !strings.Contains(out, "  1. 7 ") {
			t.Errorf("%s: predict exit %d, want 7 first:\n%s%s", tc.name, code, out, errb)
		}
		page := filepath.Join(dir, tc.name+".html")
		args = append([]string{"report", models[0], "--limit", "300", "-o", page}, strings.Fields(tc.args)...)
		if out, errb, code = onnxkit(t, dir, args...); code != 0 {
			t.Errorf("%s: report exit %d:\n%s%s", tc.name, code, out, errb)
			continue
		}
		b, _ := os.ReadFile(page)
		if !strings.Contains(string(b), "300 test images") || !strings.Contains(string(b), "No training logs") {
			t.Errorf("%s: report lacks the confusion matrix or the curves note", tc.name)
		}
		checkInChromium(t, page)
	}
}
