#!/usr/bin/env bash
# Captures the SQL ctex runs for one request of each workload (W1, W2, W3's openCase and addParty
# as police, W4, network depth 3), as several agencies, with the
# plan PostgreSQL executed for each statement (auto_explain with ANALYZE and BUFFERS, so the
# real typed parameters): the evidence for the indexes of migration
# m20261126_000007_performance (BENCHMARKS.md). Needs bench/setup.sh first. Turns on
# log_statement and auto_explain for the benchmark database only while it runs (a superuser
# connection is needed for that), and reads the server log at PGLOG (default
# /var/log/postgresql/postgresql-15-main.log).
#
#   bench/capture-sql.sh     # writes bench/results/sql/<workload>-<agency>.sql, .plans.txt and
#                            # .response.json (W3 writes a case and a party, audited)
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-ctex_bench}
URL="$PG/$BENCH_DB"
PGLOG=${PGLOG:-/var/log/postgresql/postgresql-15-main.log}
WORK=bench/.work
OUTDIR=bench/results/sql
PORT=39090
mkdir -p "$OUTDIR" "$WORK/logs"

psql "$URL" -qc "ALTER DATABASE \"$BENCH_DB\" SET log_statement = 'all'" \
  -c "ALTER DATABASE \"$BENCH_DB\" SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER DATABASE \"$BENCH_DB\" SET auto_explain.log_min_duration = 0" \
  -c "ALTER DATABASE \"$BENCH_DB\" SET auto_explain.log_analyze = on" \
  -c "ALTER DATABASE \"$BENCH_DB\" SET auto_explain.log_buffers = on"
env CTEX_LOG=warn "$WORK/ctex" serve --bind "127.0.0.1:$PORT" --database-url "$URL" \
  --trust "$WORK/keys/trust.toml" > "$WORK/logs/capture.log" 2>&1 &
SERVER=$!
reset() {
  kill "$SERVER" 2>/dev/null || true
  for p in log_statement session_preload_libraries auto_explain.log_min_duration \
    auto_explain.log_analyze auto_explain.log_buffers; do
    psql "$URL" -qc "ALTER DATABASE \"$BENCH_DB\" RESET $p" || true
  done
}
trap reset EXIT
for _ in $(seq 1 60); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.5; done
sleep 1

CASE=$(head -1 "$WORK/data/w1_cases.txt")
NET=$(head -1 "$WORK/data/net_cases.txt")
W3CASE=$(head -1 "$WORK/data/w3_cases.txt")
IFS=$'\t' read -r KIND VALUE _ < <(head -1 "$WORK/data/w4_identifiers.txt")
declare -A BODY=(
  [w1]="{\"query\":\"query Case(\$id: ID!) { case(id: \$id) { id caseNumber title status province parties { role person { fullName identifiers { kind value normalized } } } } }\",\"variables\":{\"id\":\"$CASE\"}}"
  [w2]="{\"query\":\"{ cases(first: 50, filter: { province: [\\\"40\\\"], status: [UNDER_INVESTIGATION] }) { nodes { id caseNumber title status province leadAgency openedAt } pageInfo { endCursor hasNextPage } } }\"}"
  [w4]="{\"query\":\"query Hits(\$k: IdentifierKind!, \$v: String!) { identifierHits(kind: \$k, value: \$v) { reference holdingAgency contact } }\",\"variables\":{\"k\":\"$KIND\",\"v\":\"$VALUE\"}}"
  [w3open]="{\"query\":\"mutation Open(\$i: OpenCaseInput!) { openCase(input: \$i) { id version status } }\",\"variables\":{\"i\":{\"caseNumber\":\"CAPTURE-$$-$RANDOM\",\"title\":\"Vụ việc kiểm thử tải\",\"province\":\"40\",\"legalBasis\":\"ART_150\"}}}"
  [w3party]="{\"query\":\"mutation Party(\$i: AddPartyInput!) { addParty(input: \$i) { id role person { id fullName } } }\",\"variables\":{\"i\":{\"caseId\":\"$W3CASE\",\"role\":\"VICTIM\",\"person\":{\"fullName\":\"Nguyễn Thị Kiểm\",\"phone\":\"0912345678\"}}}}"
  [net]="{\"query\":\"query Net(\$id: ID!) { network(caseId: \$id, depth: 3) { truncated nodes { index kind depth } edges { from to kind } } }\",\"variables\":{\"id\":\"$NET\"}}"
)
for w in w1 w2 w3open w3party w4 net; do
  agencies="police procuracy court border_guard social_services"
  case "$w" in w3*) agencies=police;; esac  # the writers' workload: police only
  for agency in $agencies; do
    token=$(env CTEX_LOG=warn "$WORK/ctex" token --dir "$WORK/keys" --agency "$agency" --sub "capture-$w-$agency")
    before=$(wc -l < "$PGLOG")
    curl -s "127.0.0.1:$PORT/graphql" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -H 'X-Access-Purpose: capture sql' -d "${BODY[$w]}" > "$OUTDIR/$w-$agency.response.json"
    sleep 1
    # Every statement in order (parameters inlined), transaction control included.
    tail -n +"$((before + 1))" "$PGLOG" | grep -F "@$BENCH_DB " -A0 --no-group-separator | python3 bench/tools/pglog2sql.py \
      > "$OUTDIR/$w-$agency.sql" || true
    # The plans: each "duration: ... plan:" entry with its continuation lines.
    tail -n +"$((before + 1))" "$PGLOG" | awk -v db="@$BENCH_DB " '
      /^[0-9]{4}-/ { keep = (index($0, db) > 0 && index($0, "plan:") > 0) }
      keep { print }' > "$OUTDIR/$w-$agency.plans.txt"
  done
done
echo "captured: $(ls "$OUTDIR"/*.sql | wc -l) workload/agency files in $OUTDIR"
