#!/usr/bin/env bash
# Headless tests of the Neovim plugin in real Neovim, against a real aliasd
# binary and its mock of the alias API.
#
#   ALIASD_BIN=/path/to/aliasd editors/nvim/ci.sh [test_name ...]
#
# Idempotent; installs Debian's neovim when it is missing (needs root). Each
# test script runs in its own Neovim with its own ALIASD_HOME and XDG
# directories, under a timeout; the mock is shared. Exits non-zero when any
# test fails. ALIASD_NVIM_KEEP=1 keeps the scratch directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
per_test_timeout=${ALIASD_NVIM_TEST_TIMEOUT:-120}

say() { printf '%s\n' "$*"; }
die() { say "ci.sh: $*" >&2; exit 2; }

if ! command -v nvim >/dev/null 2>&1; then
  say "ci.sh: installing neovim (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq neovim >/dev/null
fi
command -v nvim >/dev/null 2>&1 || die "nvim not found after installing"
command -v timeout >/dev/null 2>&1 || die "timeout(1) not found"

[ -n "${ALIASD_BIN:-}" ] || die "set ALIASD_BIN to the aliasd binary (go build -o /tmp/aliasd ./cmd/aliasd)"
ALIASD_BIN=$(realpath "$ALIASD_BIN")
[ -x "$ALIASD_BIN" ] || die "ALIASD_BIN=$ALIASD_BIN is not executable"

work=$(mktemp -d "${TMPDIR:-/tmp}/aliasd-nvim-ci.XXXXXX")
mock_pid=""

# end_daemons ends the shared daemons a test caused to start, by pid: the
# ones the test recorded and the one whose pid file is in the test's
# ALIASD_HOME/run (an idle daemon would exit by itself, later).
end_daemons() {
  local dir=$1 pid pids f
  for f in "$dir/daemon.pids" "$dir"/home/run/aliasd-*.pid; do
    # A daemon may remove its pid file at any moment: read it defensively.
    pids=$(cat "$f" 2>/dev/null) || continue
    for pid in $pids; do
      case $pid in *[!0-9]*) continue ;; esac
      kill "$pid" 2>/dev/null || true
    done
  done
}

cleanup() {
  local d
  for d in "$work"/*/; do
    end_daemons "${d%/}"
  done
  if [ -n "$mock_pid" ]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
  fi
  if [ "${ALIASD_NVIM_KEEP:-}" = 1 ]; then
    say "ci.sh: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Fake tokens made at run time: one with every scope, one with only the
# catalog scope (its listings calls fail with 403).
rand() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
token_full="goatapi_$(rand)"
token_catalog="goatapi_$(rand)"

# Tokens reach the mock through its environment, not its arguments.
ALIASD_MOCK_TOKENS="$token_full $token_catalog:catalog" "$ALIASD_BIN" mock --addr 127.0.0.1:0 \
  >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
base_url=""
for _ in $(seq 1 200); do
  base_url=$(head -n 1 "$work/mock.out" 2>/dev/null || true)
  [ -n "$base_url" ] && break
  if ! kill -0 "$mock_pid" 2>/dev/null; then
    cat "$work/mock.err" >&2
    die "aliasd mock exited before printing its base URL"
  fi
  sleep 0.05
done
[ -n "$base_url" ] || die "aliasd mock printed no base URL within 10 s"
say "ci.sh: nvim $(nvim --version | head -n 1 | cut -d' ' -f2), aliasd $("$ALIASD_BIN" version 2>/dev/null | head -n 1), mock at $base_url"

tests=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    name=${name%.lua}
    [ -f "$here/tests/$name.lua" ] || die "no test $here/tests/$name.lua"
    tests+=("$here/tests/$name.lua")
  done
else
  for t in "$here"/tests/test_*.lua; do tests+=("$t"); done
fi

passed=0
failed=()
skipped=()
started=$(date +%s)
for t in "${tests[@]}"; do
  name=$(basename "$t" .lua)
  dir="$work/$name"
  mkdir -p "$dir/home" "$dir/xdg/cache" "$dir/xdg/state" "$dir/xdg/data" "$dir/xdg/config"
  printf 'token_storage = "file"\n' >"$dir/home/config.toml"
  t0=$(date +%s)
  rc=0
  (
    cd "$dir"
    env \
      ALIASD_NVIM_TESTS="$here/tests" \
      ALIASD_NVIM_PLUGIN="$here" \
      ALIASD_BIN="$ALIASD_BIN" \
      ALIASD_HOME="$dir/home" \
      ALIASD_BASE_URL="$base_url" \
      ALIASD_TEST_TOKEN="$token_full" \
      ALIASD_TEST_TOKEN_CATALOG="$token_catalog" \
      ALIASD_TEST_PIDFILE="$dir/daemon.pids" \
      ALIASD_TEST_DIR="$dir" \
      XDG_CACHE_HOME="$dir/xdg/cache" \
      XDG_STATE_HOME="$dir/xdg/state" \
      XDG_DATA_HOME="$dir/xdg/data" \
      XDG_CONFIG_HOME="$dir/xdg/config" \
      timeout -k 5 "$per_test_timeout" \
      nvim --headless -u NONE -i NONE -n -c "luafile $t" -c 'cquit 3'
  ) >"$dir/out.log" 2>&1 </dev/null || rc=$?
  end_daemons "$dir"
  # Neither token may appear in what Neovim printed or wrote (ALIASD_HOME
  # holds the token file on purpose and is not searched).
  if [ "$rc" -eq 0 ] && grep -rqsF -e "$token_full" -e "$token_catalog" "$dir/out.log" "$dir/xdg"; then
    say "ci.sh: $name: a token appears in $(grep -rlsF -e "$token_full" -e "$token_catalog" "$dir/out.log" "$dir/xdg" | head -n 1)"
    rc=1
  fi
  secs=$(($(date +%s) - t0))
  if [ "$rc" -eq 0 ] && grep -q "^PASS " "$dir/out.log"; then
    passed=$((passed + 1))
    say "PASS $name (${secs}s, $(grep -c '^  ok ' "$dir/out.log") checks)"
    if grep -q '^SKIP ' "$dir/out.log"; then
      grep '^SKIP ' "$dir/out.log" | sed 's/^/    /'
      skipped+=("$name")
    fi
  else
    failed+=("$name")
    case $rc in
      124 | 137) why="timed out after ${per_test_timeout}s" ;;
      3) why="the script died before finishing (cquit 3)" ;;
      *) why="exit $rc" ;;
    esac
    say "FAIL $name (${secs}s, $why)"
    # Printed with the tokens masked: a leak must not reach the CI log.
    sed -e "s/$token_full/[token]/g" -e "s/$token_catalog/[catalog token]/g" -e 's/^/    /' "$dir/out.log"
  fi
done

total=$(($(date +%s) - started))
say "ci.sh: ${passed}/${#tests[@]} passed in ${total}s"
if [ ${#skipped[@]} -gt 0 ]; then
  say "ci.sh: with skipped checks (daemon feature missing): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
  say "ci.sh: failed: ${failed[*]}"
  exit 1
fi
