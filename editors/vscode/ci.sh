#!/usr/bin/env bash
# CI for the VS Code extension, for a fresh Debian 12 machine as root (or a
# developer machine). Idempotent: installs only what is missing, then builds,
# runs the unit tests, packages and checks the .vsix, and runs the
# integration and end-to-end tests against the real aliasd.
#
#   ALIASD_BIN=/path/to/aliasd editors/vscode/ci.sh
#
# ALIASD_BIN is the aliasd binary built by the caller; without it, ci.sh
# builds one with `go build` into a temporary directory.
# Screenshots of the end-to-end test land in <repo>/artifacts/vscode/.
set -euo pipefail

cd "$(dirname "$0")"
ext_dir="$(pwd)"
repo_root="$(cd ../.. && pwd)"

declare -a phase_names=() phase_secs=()
phase_start=0
current=""
begin() {
	current="$1"
	phase_start=$(date +%s.%N)
	echo "==> ci.sh: $current"
}
end() {
	local secs
	secs=$(awk -v a="$phase_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	phase_names+=("$current")
	phase_secs+=("$secs")
	echo "==> ci.sh: $current took ${secs}s"
}
summary() {
	local rc=$?
	echo "==> ci.sh phase timings:"
	for i in "${!phase_names[@]}"; do
		printf '    %-28s %7ss\n' "${phase_names[$i]}" "${phase_secs[$i]}"
	done
	if ((rc != 0)); then echo "==> ci.sh: FAILED in phase: ${current:-setup}" >&2; fi
}
trap summary EXIT

begin "system packages"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
if ((${#need[@]})); then
	sudo=""
	if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
	echo "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	for try in 1 2 3 4 5 6; do
		if $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null; then break; fi
		if ((try == 6)); then echo "ci.sh: apt-get install ${need[*]} failed" >&2; exit 1; fi
		echo "apt-get failed (lock held?), retrying in 10s"
		sleep 10
	done
fi
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [[ "$node_major" != 20 ]]; then
	echo "ci.sh: Node 20 is required (code-server 4.100.3, @vscode/vsce 3.9.2); found $(node --version 2>/dev/null || echo none)" >&2
	exit 1
fi
end

begin "aliasd binary"
if [[ -z "${ALIASD_BIN:-}" ]]; then
	bin_dir="$(mktemp -d)"
	(cd "$repo_root" && go build -o "$bin_dir/aliasd" ./cmd/aliasd)
	ALIASD_BIN="$bin_dir/aliasd"
fi
if [[ ! -x "$ALIASD_BIN" ]]; then
	echo "ci.sh: ALIASD_BIN=$ALIASD_BIN is not an executable" >&2
	exit 1
fi
export ALIASD_BIN="$(cd "$(dirname "$ALIASD_BIN")" && pwd)/$(basename "$ALIASD_BIN")"
echo "aliasd: $ALIASD_BIN"
end

begin "code-server install"
bash test/e2e/install-code-server.sh >/dev/null
end

begin "npm ci"
npm ci --no-audit --no-fund --loglevel=error
end

begin "typecheck and build"
npm run --silent typecheck
npm run --silent build
end

begin "unit tests"
npm test
end

begin "package vsix"
rm -f aliasd.vsix
npm run --silent package
node test/check-vsix.mjs aliasd.vsix
end

begin "integration tests"
npm run --silent compile-tests
node --test out/test/integration/
end

begin "e2e (code-server)"
node test/e2e/run.mjs --vsix "$ext_dir/aliasd.vsix"
end
