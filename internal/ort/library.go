package ort

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// LibraryEnv names the environment variable that, when set, gives the path
// of the onnxruntime shared library.
const LibraryEnv = "ONNXRUNTIME_LIB"

// Version pinned by scripts/install-peers.sh and named in install hints.
const pinnedVersion = "1.30.0"

// npmLibRel is where the npm package onnxruntime-node keeps the CPU
// library, relative to the package folder.
const npmLibRel = "bin/napi-v6/linux/x64/libonnxruntime.so.1"

// peersRel is where scripts/install-peers.sh installs onnxruntime-node,
// relative to an onnxkit checkout.
const peersRel = ".peers/ort/node_modules/onnxruntime-node"

// modulePath is the module whose go.mod marks an onnxkit checkout.
const modulePath = "github.com/onnxkit/onnxkit"

// InstallHint is the one command that installs the library where Library
// finds it.
const InstallHint = "npm install -g --ignore-scripts onnxruntime-node@" + pinnedVersion +
	" (or, in an onnxkit checkout, bash scripts/install-peers.sh)"

// ErrUnavailable is wrapped by every error that reports the onnxruntime
// library as not installed (as opposed to a model onnxruntime refuses).
var ErrUnavailable = errors.New("onnxruntime unavailable")

var (
	libMu   sync.Mutex
	libFlag string
)

// SetLibrary makes Library return path (checked then) ahead of every other
// place; "" restores the search. It must be called before the first
// Session is opened: the library is loaded once per process.
func SetLibrary(path string) {
	libMu.Lock()
	libFlag = path
	libMu.Unlock()
}

// Library returns the absolute path of the onnxruntime shared library,
// looking in order at: the path given to SetLibrary; $ONNXRUNTIME_LIB; the
// .peers/ort folder of an onnxkit checkout containing the working
// directory or the executable; the global npm prefix's onnxruntime-node;
// the standard library folders. A path given explicitly (SetLibrary or the
// environment) must exist: it is not passed over silently. The error
// wraps ErrUnavailable and names every place tried.
func Library() (string, error) {
	libMu.Lock()
	flag := libFlag
	libMu.Unlock()
	if flag != "" {
		return explicit(flag, "--ort-lib")
	}
	if p := os.Getenv(LibraryEnv); p != "" {
		return explicit(p, "$"+LibraryEnv)
	}
	var tried []string
	for _, c := range candidates() {
		if regularFile(c) == nil {
			return c, nil
		}
		tried = append(tried, c)
	}
	return "", fmt.Errorf("%w: libonnxruntime.so.1 not found (tried --ort-lib and $%s: not set; %s); install it with: %s",
		ErrUnavailable, LibraryEnv, strings.Join(tried, ", "), InstallHint)
}

// explicit checks a library path the user named.
func explicit(p, from string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("onnxruntime library from %s=%q: %w: %w", from, p, ErrUnavailable, err)
	}
	if err := regularFile(abs); err != nil {
		return "", fmt.Errorf("onnxruntime library from %s: %w: %w; install it with: %s", from, ErrUnavailable, err, InstallHint)
	}
	return abs, nil
}

// candidates lists the places searched after the explicit ones, in order,
// without duplicates.
func candidates() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := checkoutFrom(wd); ok {
			add(filepath.Join(root, filepath.FromSlash(peersRel), filepath.FromSlash(npmLibRel)))
		}
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			if root, ok := checkoutFrom(filepath.Dir(exe)); ok {
				add(filepath.Join(root, filepath.FromSlash(peersRel), filepath.FromSlash(npmLibRel)))
			}
		}
	}
	for _, root := range npmRoots() {
		add(filepath.Join(root, "onnxruntime-node", filepath.FromSlash(npmLibRel)))
	}
	for _, dir := range []string{"/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"} {
		add(filepath.Join(dir, "libonnxruntime.so.1"))
	}
	return out
}

// npmRoots returns the global node_modules folders: npm's own answer when
// npm is installed, then the usual prefixes.
func npmRoots() []string {
	var roots []string
	if p := os.Getenv("NPM_CONFIG_PREFIX"); p != "" {
		roots = append(roots, filepath.Join(p, "lib", "node_modules"))
	}
	if npm, err := exec.LookPath("npm"); err == nil {
		if out, err := exec.Command(npm, "root", "-g").Output(); err == nil {
			if r := strings.TrimSpace(string(out)); r != "" {
				roots = append(roots, r)
			}
		}
	}
	return append(roots, "/usr/local/lib/node_modules", "/usr/lib/node_modules")
}

// checkoutFrom walks up from dir to the nearest onnxkit checkout (a go.mod
// declaring module github.com/onnxkit/onnxkit).
func checkoutFrom(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for d := dir; ; {
		if moduleOf(filepath.Join(d, "go.mod")) == modulePath {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// moduleOf returns the module path declared in the go.mod file at path,
// or "".
func moduleOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`)
		}
	}
	return ""
}

// regularFile reports an error unless path names a regular file (after
// following symbolic links).
func regularFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}
