#!/usr/bin/env bash
# Runs the benchmark (BENCHMARKS.md) after bench/setup.sh: starts ctex, the floor and (when it is
# a target) PostGraphile on 127.0.0.1 against the same database, runs every workload against
# each at each concurrency with wrk (targets interleaved, so machine noise hits all alike),
# samples each server's RSS, verifies the audit chain, and writes bench/results/results.jsonl.
# bench/report.py then makes the tables and charts (run at the end).
#
#   bench/run.sh                                  # everything, about 20 minutes
#   WORKLOADS="w1 w2" CONCURRENCY="8 32" DURATION=10 bench/run.sh
#
# Environment: PG, BENCH_DB (as setup.sh), WORKLOADS (default "w1 w2 w3 w4 net"),
# W1_CONCURRENCY (default "1 4 8 16 32 64": W1 also finds 70 % of peak), CONCURRENCY (other
# workloads, default "8 32 64"), NET_CONCURRENCY (default "1 8"), DURATION seconds per run
# (default 10), WARMUP seconds (default 2), POOL database connections per server (default 16,
# ctex's default), THREADS wrk threads (2), LABEL (names the run in the results, default
# run-<UTC time>), OUT results file (default bench/results/results.jsonl; appended to),
# CTEX_EXTRA_ENV (e.g. "CTEX_TOKEN_CACHE=off", passed to ctex only), SSLMODE (of every server's
# database connection, default disable: all on one machine), TARGETS (only these of ctex, floor,
# floor-noaudit, peer, base), CTEX_BASE (a second ctex binary, e.g. a build of the previous
# commit: run as target `base`, right after `ctex` at each level, with the same settings, so a
# change is measured side by side in one run), BASE_EXTRA_ENV (passed to base only, after
# CTEX_EXTRA_ENV: e.g. CTEX_BASE set to the same binary with "CTEX_DB_PING_IDLE_MS=0" measures
# a switch), PREWARM (default 1: read every table and index of the database into the OS page
# cache with pg_prewarm before the first measurement; 0 skips it).
#
# ctex runs with its production defaults except the rate limits, which are lifted far above
# what the benchmark sends (the limiters still run): at the defaults (50/s per subject, 200/s
# per agency, 30/min hit searches) most benchmark requests would be refused.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-ctex_bench}
# sslmode=disable: loopback, and see BENCHMARKS.md ("TLS") for what TLS costs ctex here.
SSLMODE=${SSLMODE:-disable}
URL="$PG/$BENCH_DB?sslmode=$SSLMODE"
WORK=bench/.work
WORKLOADS=${WORKLOADS:-w1 w2 w3 w4 net}
W1_CONCURRENCY=${W1_CONCURRENCY:-1 4 8 16 32 64}
CONCURRENCY=${CONCURRENCY:-8 32 64}
NET_CONCURRENCY=${NET_CONCURRENCY:-1 8}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
POOL=${POOL:-16}
THREADS=${THREADS:-2}
OUT=${OUT:-bench/results/results.jsonl}
LABEL=${LABEL:-run-$(date -u +%Y%m%dT%H%M)}
mkdir -p "$(dirname "$OUT")" "$WORK/logs"
for t in ${TARGETS:-}; do  # a misspelt target would otherwise be skipped without a word
  case $t in ctex|base|floor|floor-noaudit|peer) ;; *) echo "unknown target $t" >&2; exit 2;; esac
done
CTEX_PORT=39080; BASE_PORT=39081; FLOOR_PORT=39181; PEER_PORT=39280

pids=()
stop_all() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap stop_all EXIT

echo "machine: $(nproc) cores, $(uptime)" | tee "$WORK/logs/uptime-$LABEL.txt"
LIFT="1000000/s,burst=1000000"
start_ctex() { # binary port log [extra env]
  # shellcheck disable=SC2086
  env CTEX_LOG=warn CTEX_DB_POOL="$POOL" CTEX_RATE_SUBJECT="$LIFT" CTEX_RATE_AGENCY="$LIFT" \
    CTEX_RATE_HITS="$LIFT" ${CTEX_EXTRA_ENV:-} ${4:-} "$1" serve \
    --bind "127.0.0.1:$2" --database-url "$URL" --trust "$WORK/keys/trust.toml" > "$3" 2>&1 &
}
start_ctex "$WORK/ctex" "$CTEX_PORT" "$WORK/logs/ctex.log"
CTEX_PID=$!; pids+=("$CTEX_PID")
BASE_PID=
if [ -n "${CTEX_BASE:-}" ]; then
  start_ctex "$CTEX_BASE" "$BASE_PORT" "$WORK/logs/base.log" "${BASE_EXTRA_ENV:-}"
  BASE_PID=$!; pids+=("$BASE_PID")
fi
"$WORK/ctex-floor" "127.0.0.1:$FLOOR_PORT" "$URL" "$POOL" > "$WORK/logs/floor.log" 2>&1 &
FLOOR_PID=$!; pids+=("$FLOOR_PID")
# PostGraphile only when it is measured: a Node process still starting up would share the
# cores with the first measurements of the others.
PEER_PID=
if [ -z "${TARGETS:-}" ] || grep -qxF peer <(tr ' ' '\n' <<< "$TARGETS"); then
  node bench/postgraphile/node_modules/postgraphile/cli.js --connection "$URL" --schema public \
    --host 127.0.0.1 --port "$PEER_PORT" --disable-query-log --max-pool-size "$POOL" \
    --disable-graphiql --disable-default-mutations > "$WORK/logs/peer.log" 2>&1 &
  PEER_PID=$!; pids+=("$PEER_PID")
fi
for port in $CTEX_PORT ${BASE_PID:+$BASE_PORT} $FLOOR_PORT ${PEER_PID:+$PEER_PORT}; do
  for _ in $(seq 1 60); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.5; done
done
sleep 2

port_of() { case "$1" in ctex) echo $CTEX_PORT;; base) echo $BASE_PORT;; floor|floor-noaudit) echo $FLOOR_PORT;; peer) echo $PEER_PORT;; esac; }
pid_of() { case "$1" in ctex) echo $CTEX_PID;; base) echo $BASE_PID;; floor|floor-noaudit) echo $FLOOR_PID;; peer) echo $PEER_PID;; esac; }
targets_of() {
  case "$1" in
    w1) echo "ctex floor floor-noaudit peer";;
    w2) echo "ctex floor peer";;
    w3) echo "ctex floor";;
    w4) echo "ctex floor floor-noaudit";;
    net) echo "ctex";;
  esac | { if [ -n "$BASE_PID" ]; then sed 's/^ctex\b/ctex base/'; else cat; fi; } \
    | tr ' ' '\n' | { if [ -n "${TARGETS:-}" ]; then grep -xF -f <(tr ' ' '\n' <<< "$TARGETS"); else cat; fi; } | tr '\n' ' '
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The PostGraphile process tree's RSS (node is one process here).

run_one() { # workload target concurrency
  local w=$1 t=$2 c=$3 port pid json max=0 rss
  port=$(port_of "$t"); pid=$(pid_of "$t")
  local th=$THREADS; [ "$c" -lt "$th" ] && th=$c
  local load; load=$(cut -d' ' -f1 /proc/loadavg)  # before the run
  local as=$t; [ "$t" = base ] && as=ctex  # the base speaks ctex's API
  wrk -t"$th" -c"$c" -d"${WARMUP}s" -s bench/wrk/workload.lua "http://127.0.0.1:$port" -- "$as" "$w" "$WORK/data" > /dev/null 2>&1 || true
  # One file per measurement, appended to: a sample still being written when the sampler is
  # killed cannot land in (and corrupt) the next measurement's file.
  local rss_file="$WORK/rss/$w-$t-$c.txt"
  mkdir -p "$WORK/rss"; rm -f "$rss_file"
  ( while sleep 0.5; do rss_kb "$pid" >> "$rss_file"; done ) &
  local sampler=$!
  json=$(wrk -t"$th" -c"$c" -d"${DURATION}s" --timeout 10s -s bench/wrk/workload.lua \
    "http://127.0.0.1:$port" -- "$as" "$w" "$WORK/data" 2> "$WORK/logs/wrk-$w-$t-$c.err" | grep '^{' | tail -1)
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  max=$(grep -xE '[0-9]+' "$rss_file" 2>/dev/null | sort -n | tail -1); max=${max:-0}
  echo "{\"label\":\"$LABEL\",\"workload\":\"$w\",\"target\":\"$t\",\"connections\":$c,\"rss_kb\":$max,\"load1\":$load,\"at\":\"$(date -u +%FT%TZ)\",${json#\{}" | tee -a "$OUT"
}

# The first target measured would otherwise read a cold cache and the next ones a warm one
# (run `s17`'s first W1 level: ctex 0.60 of the floor, 1.00 once warm; BENCHMARKS.md).
if [ "${PREWARM:-1}" = 1 ]; then
  echo "prewarming $BENCH_DB into the OS page cache (pg_prewarm) ..."
  psql "$PG/$BENCH_DB" -qAtc "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
    -c "SELECT pg_size_pretty(8192 * sum(pg_prewarm(c.oid, 'read'))) || ' read' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')" \
    || echo "pg_prewarm is not available: the first measurements may read a cold cache"
fi

for w in $WORKLOADS; do
  case "$w" in w1) levels=$W1_CONCURRENCY;; net) levels=$NET_CONCURRENCY;; *) levels=$CONCURRENCY;; esac
  for c in $levels; do
    for t in $(targets_of "$w"); do run_one "$w" "$t" "$c"; done
  done
done

hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
echo "{\"label\":\"$LABEL\",\"vmhwm_kb\":{\"ctex\":$(hwm $CTEX_PID),${BASE_PID:+\"base\":$(hwm "$BASE_PID"),}\"floor\":$(hwm $FLOOR_PID)${PEER_PID:+,\"peer\":$(hwm "$PEER_PID")}}}" \
  | tee -a bench/results/peak-rss.jsonl
stop_all; trap - EXIT
wait 2>/dev/null || true
echo "audit chain after $LABEL:" | tee -a bench/results/audit-verify.txt
env CTEX_LOG=warn "$WORK/ctex" audit verify --database-url "$URL" 2>&1 | tee -a bench/results/audit-verify.txt
if [ -x bench/.venv/bin/python ]; then bench/.venv/bin/python bench/report.py --label "$LABEL" --results "$OUT"; fi
