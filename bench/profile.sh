#!/usr/bin/env bash
# Profiles ctex (release) under a workload (BENCHMARKS.md, "Profile"): starts ctex alone, warms
# it up, then samples it with `perf record` (on-CPU, user and kernel) for DURATION seconds while
# wrk drives WORKLOAD (default w1) at CONN connections, and at the same time counts how the
# machine's CPU time is split between ctex, PostgreSQL and wrk (`perf record -a`). Writes the top
# symbols and a per-component summary to bench/results/profile-<workload>.txt. Needs
# bench/setup.sh first and perf (timer sampling works where hardware counters do not).
#
#   bench/profile.sh
#   WORKLOAD=w3 bench/profile.sh
#   CTEX_EXTRA_ENV="CTEX_TOKEN_CACHE=off" OUT_NAME=profile-w1-nocache bench/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-ctex_bench}
# sslmode=disable: loopback, and see BENCHMARKS.md ("TLS") for what TLS costs ctex here.
SSLMODE=${SSLMODE:-disable}
URL="$PG/$BENCH_DB?sslmode=$SSLMODE"
WORK=bench/.work
CONN=${CONN:-32}
DURATION=${DURATION:-10}
POOL=${POOL:-16}
WORKLOAD=${WORKLOAD:-w1}
OUT_NAME=${OUT_NAME:-profile-$WORKLOAD}
PORT=39085
mkdir -p "$WORK/logs" bench/results
LIFT="1000000/s,burst=1000000"
# shellcheck disable=SC2086
env CTEX_LOG=warn CTEX_DB_POOL="$POOL" CTEX_RATE_SUBJECT="$LIFT" CTEX_RATE_AGENCY="$LIFT" \
  CTEX_RATE_HITS="$LIFT" ${CTEX_EXTRA_ENV:-} "$WORK/ctex" serve --bind "127.0.0.1:$PORT" \
  --database-url "$URL" --trust "$WORK/keys/trust.toml" > "$WORK/logs/profile.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.5; done
wrk -t2 -c"$CONN" -d3s -s bench/wrk/workload.lua "http://127.0.0.1:$PORT" -- ctex "$WORKLOAD" "$WORK/data" > /dev/null

wrk -t2 -c"$CONN" -d"$((DURATION + 2))s" -s bench/wrk/workload.lua "http://127.0.0.1:$PORT" \
  -- ctex "$WORKLOAD" "$WORK/data" > "$WORK/logs/$OUT_NAME-wrk.txt" 2>&1 &
WRK=$!
sleep 1
perf record -F 499 -p "$PID" -o "$WORK/$OUT_NAME.data" -- sleep "$DURATION" 2> /dev/null
wait $WRK
# Machine-wide split between processes, at a second, shorter load.
wrk -t2 -c"$CONN" -d"$((DURATION / 2 + 2))s" -s bench/wrk/workload.lua "http://127.0.0.1:$PORT" \
  -- ctex "$WORKLOAD" "$WORK/data" > /dev/null 2>&1 &
WRK=$!
sleep 1
perf record -a -F 199 -o "$WORK/$OUT_NAME-all.data" -- sleep "$((DURATION / 2))" 2> /dev/null
wait $WRK

{
  echo "# ctex under $WORKLOAD, $CONN connections, ${DURATION}s, $(nproc) cores; $(uptime)"
  echo "# extra env: ${CTEX_EXTRA_ENV:-none}"
  grep '^{' "$WORK/logs/$OUT_NAME-wrk.txt" || true
  echo
  echo "## CPU share by process (machine-wide samples)"
  perf report -i "$WORK/$OUT_NAME-all.data" --stdio --sort comm 2> /dev/null | grep -v '^#' | grep -v '^$' | head -15
  echo
  echo "## ctex: share by component (self time of symbols, classified by bench/tools/classify.py)"
  perf report -i "$WORK/$OUT_NAME.data" --stdio --no-children --sort dso,symbol 2> /dev/null \
    | python3 bench/tools/classify.py
  echo
  echo "## ctex: top 40 symbols (self time)"
  perf report -i "$WORK/$OUT_NAME.data" --stdio --no-children --sort dso,symbol 2> /dev/null \
    | grep -v '^#' | grep -v '^$' | head -40 | cut -c1-200
} > "bench/results/$OUT_NAME.txt"
cat "bench/results/$OUT_NAME.txt"
