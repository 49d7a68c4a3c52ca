#!/usr/bin/env bash
# realmodels.sh times every model of ../shared/realmodels that loads, and the
# shared fixtures (../shared/fixtures, named fixture/NAME), with
# `onnxkit bench --against onnxruntime --json`, at batch 1 and, where the
# batch dimension is free, batch 8, and prints one table row per model,
# batch and onnxkit binary (several binaries are interleaved model by model,
# so that a before/after comparison sees the same machine phases): the
# median latencies and their ratio (onnxkit / onnxruntime), the fastest
# runs and theirs (less disturbed by other load), allocations per run and
# whether the outputs agree.
#
# Usage: bash bench/realmodels.sh [ONNXKIT_BINARY...]
#   (default: builds ./cli/onnxkit). Environment: REALMODELS and FIXTURES
#   (folders, default ../shared/realmodels and ../shared/fixtures next to
#   the checkout), DURATION (per
#   runtime and row, default 3s), THREADS (default 2), BATCHES (default
#   "1 8"), MODELS (names, default all).
set -uo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
REALMODELS="${REALMODELS:-${repo_root}/../shared/realmodels}"
FIXTURES="${FIXTURES:-${repo_root}/../shared/fixtures}"
DURATION="${DURATION:-3s}"
THREADS="${THREADS:-2}"
BATCHES="${BATCHES:-1 8}"
[ -d "${REALMODELS}" ] || { echo "realmodels: ${REALMODELS} missing" >&2; exit 1; }

bins=("$@")
if [ "${#bins[@]}" -eq 0 ]; then
	tmp="$(mktemp -d -t onnxkit-realmodels-XXXXXX)"
	trap 'rm -rf "${tmp}"' EXIT
	(cd "${repo_root}" && go build -o "${tmp}/onnxkit" ./cli/onnxkit) || exit 1
	bins=("${tmp}/onnxkit")
fi

# shellcheck source=bench/realmodels-args.sh
. "${script_dir}/realmodels-args.sh"

fixtures=""
if [ -d "${FIXTURES}" ]; then
	fixtures="$(cd "${FIXTURES}" && ls -d */ | tr -d / | sed 's|^|fixture/|' | tr '\n' ' ')"
fi
models="${MODELS:-$(cd "${REALMODELS}" && ls -d */ | tr -d / | tr '\n' ' ') ${fixtures}}"
printf '%-36s %5s %-22s %11s %11s %7s %9s %9s %7s %8s %s\n' model batch binary onnxkit_ms ort_ms ratio min_ms ort_min min_rt allocs outputs
for m in ${models}; do
	for b in ${BATCHES}; do
		a="$(args "$m" "$b")"
		[ -n "$a" ] || continue
		for bin in "${bins[@]}"; do
			# shellcheck disable=SC2086
			out="$("${bin}" bench ${a} --duration "${DURATION}" --threads "${THREADS}" --against onnxruntime --json 2>"${TMPDIR:-/tmp}/realmodels.err")"
			if [ -z "${out}" ]; then # onnxruntime refuses some files (yolo_fastest_xl): time onnxkit alone
				# shellcheck disable=SC2086
				out="$("${bin}" bench ${a} --duration "${DURATION}" --threads "${THREADS}" --json 2>>"${TMPDIR:-/tmp}/realmodels.err")"
			fi
			printf '%s' "${out}" | python3 -c '
import json, sys
m, b, bin = sys.argv[1:4]
try:
    r = json.load(sys.stdin)
except ValueError:
    print("%-36s %5s %-22s %s" % (m, b, bin[-22:], "failed: " + open(sys.argv[4]).read().strip().splitlines()[-1][:90]))
    sys.exit(0)
o = r.get("onnxruntime")
ok = {True: "agree", False: "DISAGREE", None: "-"}[r.get("outputs_agree")]
print("%-36s %5s %-22s %11.3f %11s %7s %9.3f %9s %7s %8.1f %s" % (m, b, bin[-22:], r["median_ms"],
      "%.3f" % o["median_ms"] if o else "-", "%.2f" % r["ratio"] if o else "-",
      r.get("min_ms", float("nan")), "%.3f" % o["min_ms"] if o and "min_ms" in o else "-",
      "%.2f" % (r["min_ms"] / o["min_ms"]) if o and "min_ms" in o else "-",
      r["allocs_per_run"], ok))
' "$m" "$b" "${bin}" "${TMPDIR:-/tmp}/realmodels.err"
		done
	done
done
