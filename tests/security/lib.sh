# Shared by the scripts of tests/security/: the Python venv, the ctex binary, throwaway servers
# on 127.0.0.1 with their own keys and database, and cleaning up what was started (by pid only).
#
# Variables:
#   CTEX_BIN              the ctex binary (default: $CARGO_TARGET_DIR or target, debug/ctex; built if missing)
#   CTEX_SECURITY_VENV    the venv (default: target/security-venv)
#   CTEX_FUZZ_DATABASE_URL  a database for the servers (default: a SQLite file in a temp folder)

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/security"
VENV="${CTEX_SECURITY_VENV:-$ROOT/target/security-venv}"
CTEX_BIN="${CTEX_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/ctex}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ctex-security.XXXXXX")"
STARTED=()

cleanup() {
  local pid
  for pid in "${STARTED[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '%s\n' "security: $*" >&2; }

# The venv with the pinned packages (re-installed when requirements.txt changes).
ensure_venv() {
  local stamp="$VENV/.requirements"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$HERE/requirements.txt"; then
    return
  fi
  say "creating the Python venv in $VENV (PyPI: schemathesis, clairvoyance)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$stamp"
}

ensure_ctex() {
  if [ ! -x "$CTEX_BIN" ]; then
    say "building ctex"
    (cd "$ROOT" && cargo build --quiet -p ctex --bin ctex)
  fi
  if [ ! -f "$WORK/keys/trust.toml" ]; then
    "$CTEX_BIN" --log error keys init --dir "$WORK/keys" >/dev/null
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME [serve flags...]: a server on a free loopback port with a fresh database;
# sets PORT and leaves its log in $WORK/NAME.log. Extra environment: pass it in the caller's env.
start_server() {
  local name="$1"
  shift
  local port
  port="$(free_port)"
  local db="${CTEX_FUZZ_DATABASE_URL:-sqlite://$WORK/$name.db?mode=rwc}"
  CTEX_TRUST="$WORK/keys/trust.toml" CTEX_DATABASE_URL="$db" \
    "$CTEX_BIN" --log warn serve --bind "127.0.0.1:$port" "$@" >"$WORK/$name.log" 2>&1 &
  STARTED+=("$!")
  local _
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      PORT="$port"
      return
    fi
    if ! kill -0 "$!" 2>/dev/null; then break; fi
    sleep 0.5
  done
  say "server $name did not start:"
  cat "$WORK/$name.log" >&2
  exit 1
}

# token AGENCY: a dev token of AGENCY, valid for an hour.
token() {
  "$CTEX_BIN" --log error token --agency "$1" --sub "security-$1" --dir "$WORK/keys" --ttl 3600
}

# Fails when a server log shows a panic or an unclassified error.
check_log() {
  local name="$1"
  if grep -Eiq 'panicked|unclassified resolver error' "$WORK/$name.log"; then
    say "server $name logged a panic or an unclassified error:"
    grep -Ei 'panicked|unclassified resolver error' "$WORK/$name.log" | head -20 >&2
    exit 1
  fi
}

AGENCIES=(police border_guard procuracy court foreign_affairs social_services steering oversight)
