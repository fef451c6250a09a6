#!/usr/bin/env bash
# Counts the instructions ctex and the floor execute per request (BENCHMARKS.md, "Instructions
# per request"), under `valgrind --tool=callgrind`. Instruction counts do not depend on what else
# the machine is doing, so this measures CPU cost per request repeatably on a busy 2-core machine
# where wrk's throughput is noisy. Each server starts with instrumentation off, gets WARMUP
# requests, is instrumented for REQUESTS sequential requests (bench/tools/drive.py, one
# keep-alive connection), and the dump's total is divided by REQUESTS. The dumps stay in
# bench/.work/callgrind/ for `callgrind_annotate --inclusive=yes`.
#
#   bench/callgrind.sh                       # W2 (page walk), ctex and floor, into results
#   WORKLOAD=w1 TARGETS=ctex bench/callgrind.sh
#
# Needs bench/setup.sh first (binaries, tokens, sample ids; CASES=20000 is enough: the cost per
# request does not depend on the table's size) and valgrind. Environment: PG, BENCH_DB (as
# setup.sh), WORKLOAD (w1, w2 or w3, default w2), TARGETS (default "ctex floor"), CTEX (the ctex
# binary, default bench/.work/ctex), WARMUP (default 30), REQUESTS (default 200), LABEL, OUT
# (default bench/results/callgrind.jsonl; appended to).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-ctex_bench}
URL="$PG/$BENCH_DB?sslmode=disable"
WORK=bench/.work
WORKLOAD=${WORKLOAD:-w2}
TARGETS=${TARGETS:-ctex floor}
CTEX=${CTEX:-$WORK/ctex}
WARMUP=${WARMUP:-30}
REQUESTS=${REQUESTS:-200}
LABEL=${LABEL:-run-$(date -u +%Y%m%dT%H%M)}
OUT=${OUT:-bench/results/callgrind.jsonl}
PORT=39380
mkdir -p "$WORK/callgrind" "$WORK/logs" "$(dirname "$OUT")"
LIFT="1000000/s,burst=1000000"

for target in $TARGETS; do
  dump="$WORK/callgrind/$LABEL-$WORKLOAD-$target.out"
  rm -f "$dump" "$dump".*
  case $target in
    ctex)
      cmd=("$CTEX" serve --bind "127.0.0.1:$PORT" --database-url "$URL"
        --trust "$WORK/keys/trust.toml") ;;
    floor) cmd=("$WORK/ctex-floor" "127.0.0.1:$PORT" "$URL" 4) ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  # The environment is set outside valgrind: an `env` under it would exec ctex unmeasured.
  CTEX_LOG=warn CTEX_DB_POOL=4 CTEX_RATE_SUBJECT="$LIFT" CTEX_RATE_AGENCY="$LIFT" \
    CTEX_RATE_HITS="$LIFT" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dump" "${cmd[@]}" \
    > "$WORK/logs/callgrind-$target.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.5; done
  python3 bench/tools/drive.py "$target" "$WORKLOAD" "$WORK/data" "$PORT" "$WARMUP"
  callgrind_control -i on "$pid" > /dev/null 2>&1
  python3 bench/tools/drive.py "$target" "$WORKLOAD" "$WORK/data" "$PORT" "$REQUESTS"
  callgrind_control -i off "$pid" > /dev/null 2>&1
  callgrind_control -d "$pid" > /dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  total=$(for f in "$dump"*; do grep -h '^summary:\|^totals:' "$f" | awk '{print $2}'; done \
    | sort -n | tail -1)
  echo "{\"label\":\"$LABEL\",\"workload\":\"$WORKLOAD\",\"target\":\"$target\",\"requests\":$REQUESTS,\"instructions\":$total,\"per_request\":$((total / REQUESTS))}" \
    | tee -a "$OUT"
done
