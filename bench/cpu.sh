#!/usr/bin/env bash
# CPU time per request, of ctex and of PostgreSQL, for sequential requests of one workload:
# each named ctex binary serves in turn; after WARMUP requests, N requests go one after the
# other on one keep-alive connection (bench/tools/drive.py), and the user + system CPU ticks of
# the ctex process and of every postgres process (backends, writer, WAL writer) before and after
# are read from /proc. Sequential requests do not batch (each seal serves one request), so this
# measures what one request costs each side without a load generator sharing the cores; it
# does not measure throughput. Other processes on the machine, and PostgreSQL's own background
# work, shift the figures: alternate the binaries and repeat (BENCHMARKS.md, run `s24`).
#
#   bench/cpu.sh /work/bins/ctex-new /work/bins/ctex-base /work/bins/ctex-new /work/bins/ctex-base
#
# Needs bench/setup.sh first. Environment: PG, BENCH_DB (as setup.sh), WORKLOAD (w1, w2 or w3,
# default w3), WARMUP (default 300), N (default 3000), OUT (default bench/results/cpu.jsonl;
# appended to), LABEL.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-ctex_bench}
URL="$PG/$BENCH_DB?sslmode=disable"
WORK=bench/.work
WORKLOAD=${WORKLOAD:-w3}
WARMUP=${WARMUP:-300}
N=${N:-3000}
OUT=${OUT:-bench/results/cpu.jsonl}
LABEL=${LABEL:-run-$(date -u +%Y%m%dT%H%M)}
PORT=39381
LIFT="1000000/s,burst=1000000"
HZ=$(getconf CLK_TCK)
mkdir -p "$WORK/logs" "$(dirname "$OUT")"

# Sum of utime + stime (clock ticks) of the given processes.
ticks() {
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

for bin in "$@"; do
  CTEX_LOG=warn CTEX_DB_POOL=4 CTEX_RATE_SUBJECT="$LIFT" CTEX_RATE_AGENCY="$LIFT" \
    CTEX_RATE_HITS="$LIFT" "$bin" serve --bind "127.0.0.1:$PORT" --database-url "$URL" \
    --trust "$WORK/keys/trust.toml" > "$WORK/logs/cpu.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.5; done
  python3 bench/tools/drive.py ctex "$WORKLOAD" "$WORK/data" "$PORT" "$WARMUP" > /dev/null
  # The pool's connections are open by now; their backends are among these.
  mapfile -t pgs < <(pgrep -x postgres)
  pg0=$(ticks "${pgs[@]}"); c0=$(ticks "$pid"); t0=$(date +%s%N)
  python3 bench/tools/drive.py ctex "$WORKLOAD" "$WORK/data" "$PORT" "$N" > /dev/null
  t1=$(date +%s%N); pg1=$(ticks "${pgs[@]}"); c1=$(ticks "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "{\"label\":\"$LABEL\",\"workload\":\"$WORKLOAD\",\"binary\":\"$(basename "$bin")\",\"requests\":$N,\"postgres_us\":$(((pg1 - pg0) * 1000000 / HZ / N)),\"ctex_us\":$(((c1 - c0) * 1000000 / HZ / N)),\"wall_us\":$(((t1 - t0) / 1000 / N))}" \
    | tee -a "$OUT"
done
