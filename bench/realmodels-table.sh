#!/usr/bin/env bash
# realmodels-table.sh prints the README's "real models" table: one Markdown
# row per model of ../shared/realmodels that loads, with its source (from
# PROVENANCE.txt), its operators (distinct types, from onnxkit inspect), the
# largest difference of onnxkit's outputs from test_data_set_0's onnxruntime
# references scaled as the tests scale it (max|diff| / max(1, max|ref|), over
# all outputs, from onnxkit verify), and the batch-1 median latency of
# onnxkit and of onnxruntime timed in the same process with
# `onnxkit bench --against onnxruntime --json`, and their ratio.
#
# Usage: bash bench/realmodels-table.sh [ONNXKIT_BINARY]
#   (default: builds ./cli/onnxkit). Environment: REALMODELS (default
#   ../shared/realmodels next to the checkout), DURATION (per runtime and
#   model, default 3s), THREADS (default 2), MODELS (names, default all),
#   PYTHON (one with numpy and onnx, default /usr/bin/python3).
set -uo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
REALMODELS="${REALMODELS:-${repo_root}/../shared/realmodels}"
FIXTURES="${FIXTURES:-${repo_root}/../shared/fixtures}"
DURATION="${DURATION:-3s}"
THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}" # with numpy and onnx
[ -d "${REALMODELS}" ] || { echo "realmodels: ${REALMODELS} missing" >&2; exit 1; }
# shellcheck source=bench/realmodels-args.sh
. "${script_dir}/realmodels-args.sh"

tmp="$(mktemp -d -t onnxkit-realtable-XXXXXX)"
trap 'rm -rf "${tmp}"' EXIT
bin="${1:-}"
if [ -z "${bin}" ]; then
	(cd "${repo_root}" && go build -o "${tmp}/onnxkit" ./cli/onnxkit) || exit 1
	bin="${tmp}/onnxkit"
fi

echo "| model | source | operators | max diff (scaled) | onnxkit ms | onnxruntime ms | ratio |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: |"
models="${MODELS:-$(cd "${REALMODELS}" && ls -d */ | tr -d / | tr '\n' ' ')}"
for m in ${models}; do
	d="${REALMODELS}/${m}"
	model="$(ls "${d}"/*.onnx 2>/dev/null | head -1)"
	[ -n "${model}" ] || continue
	"${bin}" inspect "${model}" >"${tmp}/inspect" 2>/dev/null || continue # does not load
	"${bin}" verify "${model}" "${d}/test_data_set_0" --atol 0 --rtol 0 >"${tmp}/verify" 2>&1
	a="$(args "${m}" 1)"
	# shellcheck disable=SC2086
	"${bin}" bench ${a} --duration "${DURATION}" --threads "${THREADS}" --against onnxruntime --json >"${tmp}/bench" 2>"${tmp}/bench.err"
	if [ ! -s "${tmp}/bench" ]; then # onnxruntime refuses some files (yolo_fastest_xl): time onnxkit alone
		# shellcheck disable=SC2086
		"${bin}" bench ${a} --duration "${DURATION}" --threads "${THREADS}" --json >"${tmp}/bench" 2>>"${tmp}/bench.err"
	fi
	"${PYTHON}" - "${m}" "${d}" "${tmp}" <<'EOF'
import glob, json, os, re, sys

import numpy as np
import onnx
from onnx import numpy_helper

name, folder, tmp = sys.argv[1:4]

source = "?"
for line in open(os.path.join(folder, "PROVENANCE.txt")):
    if line.startswith("repo:"):
        source = line.split(":", 1)[1].strip()
        break
    if line.startswith("Made here"):
        source = line.split(":", 1)[1].split(" (")[0].strip() + " (made here)"
        break

ops = []
for line in open(os.path.join(tmp, "inspect")):
    if line.startswith("Operators:"):
        ops = [re.sub(r" x\d+$", "", o.strip()) for o in line.split(":", 1)[1].split(",")]
ops = sorted(set(ops))
shown = ", ".join(ops) if len(ops) <= 8 else ", ".join(ops[:7]) + ", +%d more" % (len(ops) - 7)

# onnxkit verify reports max |diff| per output; the references give max|ref|.
refmax = {}
for f in glob.glob(os.path.join(folder, "test_data_set_0", "output_*.pb")):
    t = onnx.TensorProto()
    t.ParseFromString(open(f, "rb").read())
    a = numpy_helper.to_array(t)
    refmax[t.name] = float(np.max(np.abs(a.astype(np.float64)))) if a.size and a.dtype.kind in "fiub" else 0.0
diff, seen = 0.0, 0
for line in open(os.path.join(tmp, "verify")):
    mt = re.search(r"test_data_set_0/(.*?): max \|diff\| (\S+)", line)
    if mt:
        seen += 1
        diff = max(diff, float(mt.group(2).rstrip(",")) / max(1.0, refmax.get(mt.group(1), 0.0)))
diffs = "%.1e" % diff if seen else "not compared"

try:
    r = json.load(open(os.path.join(tmp, "bench")))
    o = r.get("onnxruntime")
    ours = "%.2f" % r["median_ms"]
    theirs = "%.2f" % o["median_ms"] if o else "refused"
    ratio = "%.2f" % r["ratio"] if o else "-"
except (ValueError, KeyError):
    ours = theirs = ratio = "failed"
print("| %s | %s | %s | %s | %s | %s | %s |" % (name, source, shown, diffs, ours, theirs, ratio))
EOF
done
