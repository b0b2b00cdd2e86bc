#!/usr/bin/env bash
# Installs code-server (the real VS Code workbench and extension host) into a
# cache directory outside the repository, once. Prints the path of the
# code-server executable on its last stdout line.
#
#   ALIASD_E2E_CACHE   cache root (default $HOME/.cache/aliasd-e2e)
#   CODE_SERVER_VERSION (default 4.100.3, the newest that runs on Node 20)
#
# code-server's dependency @vscode/ripgrep downloads rg from GitHub, which is
# unreachable here; its download cache is filled with Debian's rg instead.
set -euo pipefail

version="${CODE_SERVER_VERSION:-4.100.3}"
cache="${ALIASD_E2E_CACHE:-$HOME/.cache/aliasd-e2e}"
prefix="$cache/code-server-$version"
bin="$prefix/node_modules/.bin/code-server"

if [[ -f "$prefix/.installed" && -x "$bin" ]]; then
	echo "code-server $version already installed in $prefix" >&2
	echo "$bin"
	exit 0
fi

rg_path="$(command -v rg || true)"
if [[ -z "$rg_path" ]]; then
	echo "install-code-server: ripgrep (rg) is not installed; run: apt-get install -y ripgrep" >&2
	exit 1
fi

tmp="$cache/tmp"
rg_cache="$tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$rg_cache" "$prefix"
tarball="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [[ ! -s "$tarball" ]]; then
	stage="$(mktemp -d)"
	cp "$rg_path" "$stage/rg"
	tar -C "$stage" -czf "$tarball" rg
	rm -rf "$stage"
fi

rm -f "$prefix/.installed"
echo "installing code-server $version into $prefix" >&2
TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true \
	npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
	"code-server@$version" >&2
if [[ ! -x "$bin" ]]; then
	echo "install-code-server: $bin missing after npm install" >&2
	exit 1
fi
touch "$prefix/.installed"
echo "$bin"
