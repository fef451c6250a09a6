#!/usr/bin/env bash
# W1 on ctex variants, back to back, one at a time on port 39088 (BENCHMARKS.md, "Experiments
# beyond the switches"). Needs bench/setup.sh first and a binary built with
# loader-delay-and-allocator.patch. Appends to bench/results/experiments.jsonl.
#
#   bench/experiments/run-experiment.sh /path/to/patched/ctex
#   ONLY_ALLOC=1 bench/experiments/run-experiment.sh /path/to/patched/ctex
set -uo pipefail
cd "$(dirname "$0")/../.."
W=bench/.work
U="postgres://postgres@127.0.0.1:5432/ctex_bench?sslmode=disable"
LIFT="1000000/s,burst=1000000"
EXP=$1
OUT=bench/results/experiments.jsonl
run() { # name binary env...
  local name=$1 bin=$2; shift 2
  env CTEX_LOG=warn CTEX_RATE_SUBJECT=$LIFT CTEX_RATE_AGENCY=$LIFT CTEX_RATE_HITS=$LIFT "$@" "$bin" serve \
    --bind 127.0.0.1:39088 --database-url "$U" --trust $W/keys/trust.toml > /tmp/exp-$name.log 2>&1 &
  local pid=$!
  for _ in $(seq 1 40); do (echo > /dev/tcp/127.0.0.1/39088) 2>/dev/null && break; sleep 0.25; done
  for c in 1 32; do
    local th=2; [ $c = 1 ] && th=1
    wrk -t$th -c$c -d2s -s bench/wrk/workload.lua http://127.0.0.1:39088 -- ctex w1 $W/data > /dev/null
    local s0; s0=$(curl -s 127.0.0.1:39088/metrics | awk '/^ctex_sql_statements_total/ {print $2}')
    local r; r=$(wrk -t$th -c$c -d8s -s bench/wrk/workload.lua http://127.0.0.1:39088 -- ctex w1 $W/data | grep '^{')
    local s1; s1=$(curl -s 127.0.0.1:39088/metrics | awk '/^ctex_sql_statements_total/ {print $2}')
    echo "{\"exp\":\"$name\",\"connections\":$c,\"load1\":$(cut -d' ' -f1 /proc/loadavg),\"statements\":$((s1 - s0)),\"rss_kb\":$(awk '/^VmRSS/ {print $2}' /proc/$pid/status),${r#\{}" | tee -a $OUT
  done
  kill $pid; wait $pid 2>/dev/null
}
if [ -n "${ONLY_ALLOC:-}" ]; then
  run alloc-default-1 $EXP; run alloc-mimalloc-1 $EXP CTEX_EXP_MIMALLOC=1
  run alloc-default-2 $EXP; run alloc-mimalloc-2 $EXP CTEX_EXP_MIMALLOC=1
  exit 0
fi
[ -z "${ONLY_ALLOC:-}" ] && run base $W/ctex
run exp-default $EXP
run exp-mimalloc $EXP CTEX_EXP_MIMALLOC=1
run exp-delay0 $EXP CTEX_EXP_LOADER_DELAY_US=0
run exp-both $EXP CTEX_EXP_MIMALLOC=1 CTEX_EXP_LOADER_DELAY_US=0
run base-again $W/ctex
