#!/usr/bin/env bash
# compare.sh measures onnxkit against its peers on this machine, side by
# side in one run, and prints a table of the ratios against the targets of
# issue 16 ("Speed"):
#
#   - training the LeNet at batch 128: PyTorch (Debian python3-torch, 2
#     threads, OpenBLAS OpenMP build) vs onnxkit (BenchmarkTrainStep);
#   - inference of onnxkit's exported lenet.onnx at batch 128 (images/s) and
#     batch 1 (ms): onnxruntime vs onnxkit's ONNX runtime (an onnx.Session)
#     and its Gorgonia path (trainer.Predict), all timed by one Go harness
#     (bench/bench_test.go), with allocations per run;
#   - the same for every model of the shared fixtures (../shared/fixtures):
#     onnxruntime vs an onnx.Session, batch 1 and, where the model's batch
#     dimension is free, 128;
#   - peak memory (max RSS) of a short onnxkit training run;
#   - every model of ../shared/realmodels that loads, at batch 1 and (where
#     the batch dimension is free) 8: `onnxkit bench --against onnxruntime`
#     in one process per model and batch (bench/realmodels.sh);
#   - the FMA peak of one core and of all cores, measured (BenchmarkFMAPeak,
#     256- and 512-bit FMAs), next to the GFLOP/s the LeNet's GEMM and
#     convolutions achieve and the training reaches.
#
# Usage (as root, or with sudo, on Debian 12 with Go 1.26 and npm), from
# anywhere in the checkout:
#
#   bash bench/compare.sh
#
# Environment: COUNT (repetitions of each Go benchmark, default 5),
# TRAIN_STEPS (steps per repetition, default 30), BENCHTIME (per inference
# benchmark, default 2s), FIXTURE_BENCHTIME (per fixture benchmark, default
# 1s), SKIP_INSTALL=1 to skip the installation step.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
cd "${repo_root}"

COUNT="${COUNT:-5}"
TRAIN_STEPS="${TRAIN_STEPS:-30}"
BENCHTIME="${BENCHTIME:-2s}"
FIXTURE_BENCHTIME="${FIXTURE_BENCHTIME:-1s}"
REALMODELS_DURATION="${REALMODELS_DURATION:-3s}"
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-openmp
PY=/usr/bin/python3

log() { printf 'compare: %s\n' "$*" >&2; }
die() { printf 'compare: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# --- peers -------------------------------------------------------------------
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
	# PyTorch with Debian's OpenBLAS OpenMP build (the default reference
	# BLAS is about 5x slower and not a fair peer), and /usr/bin/time.
	pkgs=(python3-torch libopenblas0-openmp python3-numpy time)
	missing=()
	for pkg in "${pkgs[@]}"; do
		status="$(dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null || true)"
		[ "${status}" = "install ok installed" ] || missing+=("${pkg}")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	fi
	# onnxruntime (the library onnxkit's tests load) and python3-onnx.
	bash "${repo_root}/scripts/install-peers.sh" >&2
fi
[ -d "${OPENBLAS_DIR}" ] || die "${OPENBLAS_DIR} missing (apt-get install libopenblas0-openmp)"

work="$(mktemp -d -t onnxkit-compare-XXXXXX)"
trap 'rm -rf "${work}"' EXIT

# --- build -------------------------------------------------------------------
log "building onnxkit, the benchmark binaries"
go build -o "${work}/onnxkit" ./cli/onnxkit
go test -c -o "${work}/trainer.test" ./trainer/
go test -c -o "${work}/bench.test" ./bench/
go test -c -o "${work}/kernel.test" ./internal/kernel/

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%FT%TZ)"

# --- the exported model -------------------------------------------------------
log "exporting lenet.onnx (1 epoch on 1,280 images; inference speed does not depend on the weights)"
"${work}/onnxkit" train --epochs 1 --limit 1280 --logdir '' --verify off \
	--out "${work}/lenet.onnx" >"${work}/export.log" 2>&1 ||
	{ cat "${work}/export.log" >&2; die "export failed"; }

# --- peak memory ----------------------------------------------------------------
log "peak memory: onnxkit train --epochs 1 --limit 12800 --out '' --logdir ''"
/usr/bin/time -v -o "${work}/time.txt" "${work}/onnxkit" train --epochs 1 --limit 12800 \
	--out '' --logdir '' --verify off >"${work}/rss-train.log" 2>&1 ||
	{ cat "${work}/rss-train.log" >&2; die "training run failed"; }
rss_kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "${work}/time.txt")"

# --- training -------------------------------------------------------------------
log "training: PyTorch (${TRAIN_STEPS} steps x 5 after warm-up)"
LD_LIBRARY_PATH="${OPENBLAS_DIR}${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}}" \
	"${PY}" "${script_dir}/pytorch_lenet.py" --threads 2 --batch 128 --warmup 5 \
	--steps "${TRAIN_STEPS}" --repeats 5 | tee "${work}/pytorch.txt" >&2

log "training: onnxkit BenchmarkTrainStep (${TRAIN_STEPS} steps x ${COUNT})"
(cd trainer && "${work}/trainer.test" -test.run '^$' -test.bench '^BenchmarkTrainStep$' \
	-test.benchtime "${TRAIN_STEPS}x" -test.count "${COUNT}") | tee "${work}/train.txt" >&2

# --- inference ------------------------------------------------------------------
log "inference: onnxruntime, onnxkit ONNX runtime, onnxkit graph (${BENCHTIME} x ${COUNT})"
# onnxruntime and onnxkit run in separate processes of the same benchmark
# binary, so that onnxruntime's worker threads cannot slow onnxkit down or
# the other way round.
for engines in 'ORT' '(ONNX|Graph)'; do
	(cd bench && ONNXKIT_BENCH_MODEL="${work}/lenet.onnx" "${work}/bench.test" -test.run '^$' \
		-test.bench "^BenchmarkInfer${engines}\$" -test.benchtime "${BENCHTIME}" -test.count "${COUNT}")
done | tee "${work}/infer.txt" >&2

log "inference: the shared fixtures, onnxruntime and onnxkit (${FIXTURE_BENCHTIME} x ${COUNT})"
(cd bench && "${work}/bench.test" -test.run '^$' -test.bench '^BenchmarkInferFixtures$' \
	-test.benchtime "${FIXTURE_BENCHTIME}" -test.count "${COUNT}") | tee "${work}/fixtures.txt" >&2

log "FMA peak and the LeNet's GEMM and convolution GFLOP/s (x ${COUNT})"
(cd internal/kernel && "${work}/kernel.test" -test.run '^$' \
	-test.bench '^(BenchmarkFMAPeak|BenchmarkGemm|BenchmarkConv2D)$' -test.benchtime 0.3s \
	-test.count "${COUNT}") | tee "${work}/gflops.txt" >&2

realmodels="${repo_root}/../shared/realmodels"
if [ -d "${realmodels}" ]; then
	log "real models: onnxkit bench --against onnxruntime, batch 1 and 8 (${REALMODELS_DURATION} each)"
	REALMODELS="${realmodels}" DURATION="${REALMODELS_DURATION}" \
		bash "${script_dir}/realmodels.sh" "${work}/onnxkit" | tee "${work}/realmodels.txt" >&2
else
	log "no ${realmodels}: skipping the real models"
	: >"${work}/realmodels.txt"
fi

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- table ----------------------------------------------------------------------
"${PY}" - "${work}" "${rss_kb}" "${started}" "${load_before}" "${load_after}" <<'EOF'
import re, statistics, sys

work, rss_kb, started, load_before, load_after = sys.argv[1:6]

def bench(path):
    """name -> unit -> list of values, from `go test -bench` output."""
    res = {}
    for line in open(path):
        f = line.split()
        if not f or not f[0].startswith("Benchmark"):
            continue
        name = re.sub(r"-\d+$", "", f[0])
        for i in range(3, len(f), 2):
            res.setdefault(name, {}).setdefault(f[i], []).append(float(f[i - 1]))
    return res

def med(r, name, unit):
    return statistics.median(r[name][unit])

torch = next(float(l.split()[1]) for l in open(f"{work}/pytorch.txt") if l.startswith("pytorch_train_images_per_s "))
torch_info = open(f"{work}/pytorch.txt").readline().strip()
train = bench(f"{work}/train.txt")
inf = bench(f"{work}/infer.txt")
fix = bench(f"{work}/fixtures.txt")

ok_train = med(train, "BenchmarkTrainStep", "images/s")

# The FMA peak (best of the repetitions, as a peak is), of one core and of
# all cores, the fastest vector width of each.
gf = bench(f"{work}/gflops.txt")
def best(name):
    return max(gf[name]["GFLOP/s"]) if name in gf and "GFLOP/s" in gf[name] else None
peaks = [(v, best(f"BenchmarkFMAPeak/{v}")) for v in ("ymm", "zmm")]
peak = max((p for _, p in peaks if p), default=None)
allpeaks = [(v, best(f"BenchmarkFMAPeak/{v}-all-cores")) for v in ("ymm", "zmm")]
allcores = max((p for _, p in allpeaks if p), default=None)
# Multiply-adds of one LeNet training step per image, times 2: forward
# (conv1 28*28*20*25, conv2 14*14*50*20*25, dense 2450*500 + 500*10), the
# same again for the weight gradients and for the input gradients of all
# but the first layer.
fwd = 28 * 28 * 20 * 25 + 14 * 14 * 50 * 20 * 25 + 2450 * 500 + 500 * 10
TRAIN_FLOP = 2 * (3 * fwd - 28 * 28 * 20 * 25)
rows = []
def row(what, peer, ours, ratio, target, met):
    rows.append((what, peer, ours, ratio, target, "yes" if met else "NO"))

r = ok_train / torch
row("training, batch 128 (images/s)", f"PyTorch {torch:,.0f}", f"{ok_train:,.0f}", f"{r:.2f}x", ">= 2.0x", r >= 2.0)
if allcores:
    g = ok_train * TRAIN_FLOP / 1e9
    row("training, batch 128 (GFLOP/s, share of the all-core FMA peak)", f"peak {allcores:.0f}", f"{g:.0f}", f"{100 * g / allcores:.0f}%", ">= 33%", g / allcores >= 0.33)
# The peer is onnxruntime's faster configuration (as many intra-op threads
# as onnxkit has, or one).
ort_cfg128 = max(("cores", "threads1"), key=lambda c: med(inf, f"BenchmarkInferORT/{c}/batch128", "images/s"))
ort_cfg1 = min(("cores", "threads1"), key=lambda c: med(inf, f"BenchmarkInferORT/{c}/batch1", "ms/run"))
ort128 = med(inf, f"BenchmarkInferORT/{ort_cfg128}/batch128", "images/s")
ort1 = med(inf, f"BenchmarkInferORT/{ort_cfg1}/batch1", "ms/run")
for path, label in (("ONNX", "onnx Session"), ("Graph", "trainer.Predict")):
    v = med(inf, f"BenchmarkInfer{path}/batch128", "images/s")
    if path == "Graph":  # the Gorgonia training graph: reported, not a target
        rows.append((f"inference b128 (images/s), {label}", f"ORT {ort128:,.0f} ({ort_cfg128})", f"{v:,.0f}", f"{v / ort128:.2f}x", "(info)", "-"))
        continue
    row(f"inference b128 (images/s), {label}", f"ORT {ort128:,.0f} ({ort_cfg128})", f"{v:,.0f}", f"{v / ort128:.2f}x", ">= 1.0x", v / ort128 >= 1.0)
for path, label in (("ONNX", "onnx Session"), ("Graph", "trainer.Predict")):
    v = med(inf, f"BenchmarkInfer{path}/batch1", "ms/run")
    if path == "Graph":
        rows.append((f"inference b1 latency (ms), {label}", f"ORT {ort1:.3f} ({ort_cfg1})", f"{v:.3f}", f"{v / ort1:.2f}x", "(info)", "-"))
        continue
    row(f"inference b1 latency (ms), {label}", f"ORT {ort1:.3f} ({ort_cfg1})", f"{v:.3f}", f"{v / ort1:.2f}x", "<= 1.0x", v / ort1 <= 1.0)
for path, label in (("ONNX", "onnx Session"), ("Graph", "trainer.Predict")):
    for b in ("batch1", "batch128"):
        a = med(inf, f"BenchmarkInfer{path}/{b}", "allocs/op")
        by = med(inf, f"BenchmarkInfer{path}/{b}", "B/op")
        ort_allocs = f"ORT {med(inf, f'BenchmarkInferORT/cores/{b}', 'allocs/op'):.0f}"
        if path == "Graph":
            # The allocation-free inference path is the Session; Predict
            # runs the Gorgonia training graph's tape machine and returns a
            # new slice: reported, not held to the target.
            rows.append((f"allocs per run, {b}, {label}", ort_allocs, f"{a:.0f} ({by / 1024:,.0f} KiB)", "", "(info)", "-"))
            continue
        row(f"allocs per run, {b}, {label}", ort_allocs, f"{a:.0f} ({by / 1024:,.0f} KiB)", "", "0", a == 0)
fixtures = sorted({n.split("/")[1] for n in fix})
for name in fixtures:
    for b in ("batch1", "batch128"):
        ort_name, ok_name = f"BenchmarkInferFixtures/{name}/{b}/ort", f"BenchmarkInferFixtures/{name}/{b}/onnxkit"
        if ort_name not in fix or ok_name not in fix:
            continue
        if b == "batch1":
            o, k = med(fix, ort_name, "ms/run"), med(fix, ok_name, "ms/run")
            row(f"fixture {name}, b1 latency (ms)", f"ORT {o:.3f}", f"{k:.3f}", f"{k / o:.2f}x", "<= 1.0x", k / o <= 1.0)
        else:
            o, k = med(fix, ort_name, "images/s"), med(fix, ok_name, "images/s")
            row(f"fixture {name}, b128 (images/s)", f"ORT {o:,.0f}", f"{k:,.0f}", f"{k / o:.2f}x", ">= 1.0x", k / o >= 1.0)
        a = med(fix, ok_name, "allocs/op")
        row(f"fixture {name}, {b}, allocs per run", "ORT 0", f"{a:.0f}", "", "0", a == 0)
rss_mb = int(rss_kb) / 1024
row("peak RSS, train 1 epoch on 12,800 (MiB)", "", f"{rss_mb:,.0f}", "", "<= 1024", rss_mb <= 1024)

print()
print(f"onnxkit vs peers, {started}; load average before {load_before}, after {load_after}")
print(torch_info)
print("medians of the repetitions; ratio = onnxkit / peer")
print()
w = [max(len(r[i]) for r in rows + [("what", "peer", "onnxkit", "ratio", "target", "met")]) for i in range(6)]
hdr = ("what", "peer", "onnxkit", "ratio", "target", "met")
print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |")
print("| " + " | ".join("-" * w[i] for i in range(6)) + " |")
for r in rows:
    print("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")

print()
print("FMA peak (measured, best of the repetitions): one core " + ", ".join(f"{v} {p:.1f} GFLOP/s" for v, p in peaks if p)
      + ("; all cores " + ", ".join(f"{v} {p:.1f} GFLOP/s" for v, p in allpeaks if p) if allcores else ""))
print("achieved by the LeNet's products (best of the repetitions; products from 2^20 multiply-adds use every core):")
achieved = sorted(((best(n), n) for n in gf if (n.startswith("BenchmarkGemm/") or n.startswith("BenchmarkConv2D/")) and best(n)), reverse=True)
for g, n in achieved[:6]:
    share = f" ({100 * g / allcores:.0f}% of the all-core peak, {100 * g / peak:.0f}% of one core's)" if peak and allcores else ""
    print(f"  {n.removeprefix('Benchmark')}: {g:.1f} GFLOP/s{share}")
real = open(f"{work}/realmodels.txt").read().strip()
if real:
    print()
    print("Real models (../shared/realmodels), onnxkit bench --against onnxruntime; ratio = onnxkit / onnxruntime median:")
    print(real)
EOF
