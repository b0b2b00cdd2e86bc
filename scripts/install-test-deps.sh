#!/usr/bin/env bash
# Installs what the test suite needs and is missing. Idempotent: on a
# machine that has everything it only checks. Needs root (or sudo) for apt.
set -euo pipefail

need_apt=()
command -v nvim >/dev/null 2>&1 || need_apt+=(neovim)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need_apt+=(gnome-keyring)
command -v dbus-run-session >/dev/null 2>&1 || need_apt+=(dbus)
command -v git >/dev/null 2>&1 || need_apt+=(git)

if ((${#need_apt[@]})); then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	echo "install-test-deps: apt-get install ${need_apt[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
echo "install-test-deps: ok"
