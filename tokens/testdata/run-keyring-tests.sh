#!/bin/sh
# Runs the token vault's keyring tests against a real Secret Service:
# a private D-Bus session (dbus-run-session) with gnome-keyring-daemon
# started and unlocked by a password on stdin, the way go-keyring's CI does.
# Nothing touches the user's own keyring: the keyring files and the daemon's
# control socket live in a temporary directory removed on exit.
#
# Needs: go, dbus (dbus-run-session), gnome-keyring. Usage, from anywhere:
#   sh tokens/testdata/run-keyring-tests.sh [extra go test flags]
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
for cmd in dbus-run-session gnome-keyring-daemon go; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "run-keyring-tests: $cmd not found (install dbus and gnome-keyring)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -m 0700 "$tmp/data" "$tmp/run"

cd "$root"
# ALIASD_REQUIRE_KEYRING makes TestKeyringReal fail, not skip, when the
# Secret Service does not answer. The test waits for the daemon to own its
# bus name before the first call (calling earlier would make D-Bus start a
# second, locked daemon).
XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" ALIASD_REQUIRE_KEYRING=1 \
	dbus-run-session -- sh -c '
		printf "%s" "aliasd-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
		exec go test -race -count=1 -run Keyring "$@" ./tokens/...
	' sh "$@"
