#!/usr/bin/env bash
# install-peers.sh installs the real reference peers that onnxkit's tests
# compare against:
#   - Debian's ONNX Python package (onnx.checker), numpy, the ONNX backend
#     test data, protoc and chromium (the HTML report test opens the page
#     in headless Chromium), from apt;
#   - the onnxruntime CPU shared library, taken from the npm package
#     onnxruntime-node, into <repo>/.peers/ort (gitignored).
# It is idempotent: steps whose result is already present are skipped.
# Run it as root (or with sudo available) on Debian 12 with node/npm present.
set -euo pipefail

ORT_NPM_VERSION="1.30.0"
# gcc and libc6-dev: onnxruntime_go is cgo (it dlopens the library).
APT_PACKAGES=(python3-onnx python3-numpy libonnx-testdata protobuf-compiler gcc libc6-dev chromium)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
peer_dir="${repo_root}/.peers/ort"
ort_pkg_dir="${peer_dir}/node_modules/onnxruntime-node"
ort_lib_dir="${ort_pkg_dir}/bin/napi-v6/linux/x64"
ort_lib="${ort_lib_dir}/libonnxruntime.so.1"

log() { printf 'install-peers: %s\n' "$*"; }
die() { printf 'install-peers: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# --- apt packages ----------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
	status="$(dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null || true)"
	if [ "${status}" != "install ok installed" ]; then
		missing+=("${pkg}")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	log "apt packages already installed: ${APT_PACKAGES[*]}"
else
	log "installing apt packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

[ -x /usr/bin/python3 ] || die "/usr/bin/python3 is missing after the apt step"
onnx_version="$(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)')" ||
	die "/usr/bin/python3 cannot import onnx"
numpy_version="$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')" ||
	die "/usr/bin/python3 cannot import numpy"

# --- onnxruntime shared library from npm -----------------------------------
installed_version=""
if [ -f "${ort_pkg_dir}/package.json" ]; then
	installed_version="$(node -p "require(process.argv[1]).version" "${ort_pkg_dir}/package.json" 2>/dev/null || true)"
fi
if [ "${installed_version}" = "${ORT_NPM_VERSION}" ] && [ -f "${ort_lib}" ]; then
	log "onnxruntime-node@${ORT_NPM_VERSION} already in ${peer_dir}"
else
	command -v npm >/dev/null 2>&1 || die "npm is not installed"
	# Let node trust the system CA store too (some networks re-sign TLS with
	# a CA that only the system bundle carries).
	if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	fi
	log "installing onnxruntime-node@${ORT_NPM_VERSION} into ${peer_dir}"
	mkdir -p "${peer_dir}"
	if [ ! -f "${peer_dir}/package.json" ]; then
		printf '{\n  "name": "onnxkit-peers",\n  "private": true\n}\n' >"${peer_dir}/package.json"
	fi
	# --ignore-scripts: the package's postinstall only fetches optional GPU
	# providers from outside the registry; the CPU library ships in the tarball.
	npm install --prefix "${peer_dir}" --ignore-scripts --no-audit --no-fund \
		"onnxruntime-node@${ORT_NPM_VERSION}"
fi

[ -f "${ort_lib}" ] || die "onnxruntime-node@${ORT_NPM_VERSION} did not ship ${ort_lib}"
# An unversioned name next to the soname, for tools that dlopen libonnxruntime.so.
ln -sfn libonnxruntime.so.1 "${ort_lib_dir}/libonnxruntime.so"
if command -v ldd >/dev/null 2>&1; then
	ldd_out="$(ldd "${ort_lib}" 2>&1 || true)"
	if [[ "${ldd_out}" == *"not found"* ]]; then
		printf '%s\n' "${ldd_out}" >&2
		die "${ort_lib} has unresolved shared library dependencies"
	fi
fi

log "python3 onnx ${onnx_version}, numpy ${numpy_version} (/usr/bin/python3)"
testdata_dir=/usr/share/libonnx-testdata/data
[ -d "${testdata_dir}/node" ] || die "ONNX backend test data missing under ${testdata_dir}"
log "ONNX backend test data: ${testdata_dir}"
log "protoc: $(command -v protoc) ($(protoc --version))"
log "onnxruntime ${ORT_NPM_VERSION} library: ${ort_lib}"
log "set ONNXRUNTIME_LIB=${ort_lib} to use it outside this checkout"
