#!/usr/bin/env bash
# Field suggestions cannot rebuild the schema in production mode.
#
# clairvoyance guesses field names from a wordlist and learns the real ones from "Did you mean"
# suggestions. Its wordlist here (near-misses.txt) holds near misses of ctex's root fields and no
# real field name, so every real field it reports was learnt from a suggestion.
#
# clairvoyance reads graphql-js' wording only, so both servers are asked through
# graphql_js_wording.py, which rewords async-graphql's messages without adding anything.
# - Control, dev mode (suggestions on): clairvoyance rebuilds real root fields.
# - Production mode (no --dev): it rebuilds none, and no answer to a near miss suggests anything.
#
#   tests/security/clairvoyance.sh
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_ctex
WORDS="$HERE/near-misses.txt"

# rebuild NAME [serve flags...]: runs clairvoyance against a fresh server; writes the real
# fields it reports (those not in the wordlist) to $WORK/NAME.fields, one per line, and leaves the
# server's port in PORT.
rebuild() {
  local name="$1"
  shift
  start_server "$name" "$@"
  local server_port="$PORT" proxy_port
  proxy_port="$(free_port)"
  "$VENV/bin/python" "$HERE/graphql_js_wording.py" "$proxy_port" \
    "http://127.0.0.1:$server_port/graphql" >"$WORK/$name-proxy.log" 2>&1 &
  STARTED+=("$!")
  local _
  for _ in $(seq 1 40); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$proxy_port/graphql" && break
    sleep 0.25
  done
  # clairvoyance exits non-zero when it cannot type what it found ("Field Suggestion is not
  # fully enabled"); what it wrote, if anything, is what it rebuilt.
  "$VENV/bin/clairvoyance" --header "Authorization: Bearer $(token police)" \
    --header "X-Access-Purpose: clairvoyance check" --wordlist "$WORDS" \
    --concurrent-requests 4 --output "$WORK/$name.json" \
    "http://127.0.0.1:$proxy_port/graphql" >"$WORK/$name-clairvoyance.log" 2>&1 || true
  "$VENV/bin/python" - "$WORK/$name.json" "$WORDS" >"$WORK/$name.fields" <<'PY'
import json, os, sys
path, words = sys.argv[1], set(open(sys.argv[2]).read().split())
if not os.path.exists(path) or os.path.getsize(path) == 0:
    sys.exit(0)
schema = json.load(open(path))["data"]["__schema"]
for t in schema["types"]:
    if t["name"] in ("Query", "Mutation", "Subscription"):
        for f in t.get("fields") or []:
            # `dummy` is clairvoyance's placeholder in a type it found nothing in.
            if f["name"] not in words and f["name"] != "dummy":
                print(f'{t["name"]}.{f["name"]}')
PY
  PORT="$server_port"
}

# suggestions PORT: how many answers to the near misses carry a "Did you mean".
suggestions() {
  local port="$1" auth n=0 word
  auth="Authorization: Bearer $(token police)"
  while read -r word; do
    [ -n "$word" ] || continue
    if curl -s "http://127.0.0.1:$port/graphql" -H "$auth" -H 'Content-Type: application/json' \
        -H 'X-Access-Purpose: clairvoyance check' -d "{\"query\":\"{ $word }\"}" | grep -q 'Did you mean'; then
      n=$((n + 1))
    fi
  done <"$WORDS"
  echo "$n"
}

rebuild dev --dev
dev_port="$PORT"
dev_fields="$(cat "$WORK/dev.fields")"
dev_count="$(printf '%s' "$dev_fields" | grep -c . || true)"
say "dev mode: clairvoyance rebuilt $dev_count real root fields: $(echo $dev_fields)"
if [ "$dev_count" -eq 0 ]; then
  say "the control failed: clairvoyance rebuilt nothing even with suggestions on"
  tail -20 "$WORK/dev-clairvoyance.log" >&2
  exit 1
fi
if [ "$(suggestions "$dev_port")" -eq 0 ]; then
  say "the control failed: dev mode gave no suggestion"
  exit 1
fi

rebuild production
prod_port="$PORT"
prod_fields="$(cat "$WORK/production.fields")"
prod_count="$(printf '%s' "$prod_fields" | grep -c . || true)"
say "production mode: clairvoyance rebuilt $prod_count real root fields"
if [ "$prod_count" -ne 0 ]; then
  say "suggestions leaked the schema in production mode: $(echo $prod_fields)"
  exit 1
fi
if [ "$(suggestions "$prod_port")" -ne 0 ]; then
  say "production mode answered a near miss with a suggestion"
  exit 1
fi
check_log dev
check_log production
say "clairvoyance: field suggestions cannot rebuild the schema in production mode"
