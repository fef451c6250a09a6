#!/usr/bin/env bash
# Schema-driven fuzzing: schemathesis introspects ctex as each agency (its contract schema) and
# sends generated queries and mutations, valid and invalid, to a throwaway server loaded with the
# demo dataset. The check `ctex_documented_errors` (hooks.py) fails any answer that is not
# documented: HTTP 5xx, an error without `extensions.code`, `INTERNAL`, or a body showing SQL, a
# file path or a Rust type name. Documented refusals pass.
#
#   tests/security/schemathesis.sh                 # CI: 20 examples per operation and agency
#   CTEX_FUZZ_EXAMPLES=500 tests/security/schemathesis.sh   # longer, by hand
#   CTEX_FUZZ_AGENCIES="police court" ...          # some agencies only
#   CTEX_FUZZ_SEED=7 ...                           # another seed (default: a new one each run)
source "$(dirname "$0")/lib.sh"

EXAMPLES="${CTEX_FUZZ_EXAMPLES:-20}"
read -r -a WHO <<<"${CTEX_FUZZ_AGENCIES:-${AGENCIES[*]}}"
SEED_ARGS=()
if [ -n "${CTEX_FUZZ_SEED:-}" ]; then SEED_ARGS=(--seed "$CTEX_FUZZ_SEED"); fi

ensure_venv
ensure_ctex
# Production mode, with the demo data so queries find rows. The per-subject and per-agency
# buckets are off (a fuzzer is a flood by design); the hit/no-hit bucket stays, and its
# RATE_LIMITED is a documented answer.
CTEX_RATE_SUBJECT=off CTEX_RATE_AGENCY=off start_server fuzz --demo
URL="http://127.0.0.1:$PORT/graphql"

failed=0
for agency in "${WHO[@]}"; do
  say "schemathesis as $agency ($EXAMPLES examples per operation)"
  # Run from the temp folder: hypothesis and schemathesis keep their databases in the working
  # directory, and nothing of a run belongs in the tree.
  if ! (cd "$WORK" && PYTHONPATH="$HERE" PYTHONDONTWRITEBYTECODE=1 SCHEMATHESIS_HOOKS=hooks \
      "$VENV/bin/schemathesis" --no-color run "$URL" \
      --header "Authorization: Bearer $(token "$agency")" \
      --header "X-Access-Purpose: schema fuzzing" \
      --checks ctex_documented_errors \
      --max-examples "$EXAMPLES" \
      --request-timeout 30 \
      "${SEED_ARGS[@]}" >"$WORK/schemathesis-$agency.txt" 2>&1); then
    failed=1
    say "schemathesis found failures as $agency:"
    sed -n '/FAILURES/,$p' "$WORK/schemathesis-$agency.txt" | head -80 >&2
  else
    grep -E 'generated' "$WORK/schemathesis-$agency.txt" | tail -1 | sed "s/^/security: $agency: /" >&2
  fi
done
check_log fuzz
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { say "the server stopped answering"; exit 1; }
if [ "$failed" -ne 0 ]; then exit 1; fi
say "schemathesis: every answer was a documented one"
