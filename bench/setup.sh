#!/usr/bin/env bash
# Prepares the benchmark (BENCHMARKS.md): builds ctex (release) and the floor, installs
# PostGraphile from bench/postgraphile/package-lock.json and matplotlib into bench/.venv, creates
# and seeds the benchmark database, mints tokens and samples the ids the workloads use.
#
#   bench/setup.sh                     # 200,000 cases into database ctex_bench
#   CASES=20000 BENCH_DB=ctex_small bench/setup.sh
#
# Environment: PG (server URL without database, default postgres://postgres@127.0.0.1:5432),
# BENCH_DB (default ctex_bench; created if missing, never dropped), CASES (default 200000),
# SEED (default 1), CTEX_BIN (use this ctex binary instead of building one), BENCH_TARGET
# (cargo target directory for the floor, default target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-ctex_bench}
CASES=${CASES:-200000}
SEED=${SEED:-1}
WORK=bench/.work
URL="$PG/$BENCH_DB"
mkdir -p "$WORK/data"

if [ -z "${CTEX_BIN:-}" ]; then
  cargo build --release -p ctex
  CTEX_BIN=target/release/ctex
fi
cp "$CTEX_BIN" "$WORK/ctex"
BENCH_TARGET=${BENCH_TARGET:-target/bench}
case "$BENCH_TARGET" in /*) ;; *) BENCH_TARGET="$PWD/$BENCH_TARGET";; esac
(cd bench/floor && cargo build --release --locked --target-dir "$BENCH_TARGET")
cp "$BENCH_TARGET/release/ctex-floor" "$WORK/ctex-floor"
npm ci --prefix bench/postgraphile --no-audit --no-fund
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install -q -r bench/requirements.txt

psql "$PG/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" | grep -q 1 \
  || psql "$PG/postgres" -c "CREATE DATABASE \"$BENCH_DB\""
HAS_CASES=$(psql "$URL" -Atc "SELECT to_regclass('case_record') IS NOT NULL AND EXISTS (SELECT 1 FROM case_record)" 2>/dev/null || echo f)
if [ "$HAS_CASES" != "t" ]; then
  echo "seeding $CASES cases into $BENCH_DB ..."
  /usr/bin/time -f "seed: %e s wall, %M KB max RSS" \
    env CTEX_LOG=warn "$WORK/ctex" seed --synthetic --cases "$CASES" --seed "$SEED" --database-url "$URL"
else
  echo "$BENCH_DB already holds cases: not seeded again"
fi

# Tokens: several agencies and subjects; hit/no-hit is rate-limited per subject, so w4 rotates
# through many subjects.
env CTEX_LOG=warn "$WORK/ctex" keys init --dir "$WORK/keys" >/dev/null  # keeps existing keys
mint() { env CTEX_LOG=warn "$WORK/ctex" token --dir "$WORK/keys" --ttl 86400 --agency "$1" --sub "$2"; }
: > "$WORK/data/tokens_read.txt"; : > "$WORK/data/tokens_w2.txt"; : > "$WORK/data/tokens_write.txt"
for n in 1 2 3 4; do
  mint police "bench-police-$n" >> "$WORK/data/tokens_read.txt"
  mint procuracy "bench-procuracy-$n" >> "$WORK/data/tokens_read.txt"
  mint police "bench-writer-$n" >> "$WORK/data/tokens_write.txt"
done
# W2: police and procuracy alternating, as the floor is told (their case scope is one SQL shape).
for n in 1 2 3; do
  for a in police procuracy; do mint "$a" "bench-w2-$a-$n" >> "$WORK/data/tokens_w2.txt"; done
done
# W4: many police subjects (run.sh lifts the rate limits above the benchmark's rates, but the
# limiter still runs per subject).
: > "$WORK/data/tokens_hits.txt"
for n in $(seq 1 200); do mint police "bench-hits-$n" >> "$WORK/data/tokens_hits.txt"; done

# Sample ids (deterministic for a given dataset).
q() { psql "$URL" -Atc "$1" > "$WORK/data/$2"; }
q "SELECT id FROM case_record WHERE handling_code <> 'H2' ORDER BY md5(id::text) LIMIT 5000" w1_cases.txt
q "SELECT id FROM case_record WHERE handling_code <> 'H2' ORDER BY md5(id::text || 'net') LIMIT 500" net_cases.txt
# W3 adds parties to these cases: disjoint from the W1 and network samples, so repeated runs
# do not make the cases those workloads read any larger.
q "WITH w1 AS (SELECT id FROM case_record WHERE handling_code <> 'H2' ORDER BY md5(id::text) LIMIT 5000),
  net AS (SELECT id FROM case_record WHERE handling_code <> 'H2' ORDER BY md5(id::text || 'net') LIMIT 500)
  SELECT id FROM case_record WHERE lead_agency = 'police' AND handling_code <> 'H2'
  AND id NOT IN (SELECT id FROM w1) AND id NOT IN (SELECT id FROM net)
  ORDER BY md5(id::text || 'w3') LIMIT 5000" w3_cases.txt
psql "$URL" -Atc "COPY (SELECT kind, value, normalized FROM identifier WHERE kind IN ('PHONE', 'PASSPORT', 'BANK_ACCOUNT') ORDER BY md5(id::text) LIMIT 5000) TO STDOUT" > "$WORK/data/w4_identifiers.txt"
wc -l "$WORK"/data/*.txt
echo "setup done: bench/run.sh runs the benchmark"
