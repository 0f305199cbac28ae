#!/usr/bin/env bash
# Built-in read/write splitting against what a user would run instead, with a primary and a replica replicating
# from it, in one run:
#   direct   sysbench straight to the primary
#   haproxy  HAProxy (TCP mode) to the primary alone
#   lua      lua/rw-splitting.lua (reads to the replica)
#   split    --routing=read-write-split, no script: each client keeps a connection to the primary and the replica
#   split_mux  the same with --multiplexing=true: statements borrow connections from the backends' pools
#   causal   split with --causal-reads=local (only in the last workload)
#
#   bench/splitting.sh [rounds] [seconds-per-run]        defaults: 3 rounds of 20 s
#
# Workloads (WORKLOADS) oltp_read_only and oltp_read_write, each over the text protocol (--db-ps-mode=disable) and
# with server-side prepared statements (sysbench's default; MODES="text ps"); labelled <workload>_text and
# <workload>_ps. oltp_read_only runs with --skip_trx=on (autocommit reads, as a read-mostly application sends them: in
# sysbench's default BEGIN ... COMMIT every read belongs on the primary); oltp_read_write's transactions stay on the
# primary. Last, oltp_read_write_autocommit_text (oltp_read_write, text, --skip_trx=on) through HAProxy, split and
# causal: each event's first read follows its writes, so causal reads wait once per event (the cost of a write/read
# pair). Needs what bench/run.sh needs. Prints the medians per workload and target, then how many SELECTs the replica
# served.
set -euo pipefail
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-20}
THREADS=${THREADS:-16}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
DB_PORT=${DB_PORT:-24306}; REPLICA_PORT=$((DB_PORT + 10)); HA_PORT=$((DB_PORT + 1))

start_replicated_pair "$WORK" "$DB_PORT" "$REPLICA_PORT"
start_haproxy "$WORK" "$HA_PORT" "$DB_PORT"
PRIMARY="127.0.0.1:$DB_PORT"
REPLICA="127.0.0.1:$REPLICA_PORT"
start_proxy lua "$WORK" $((DB_PORT + 2)) "$PRIMARY" --proxy-read-only-backend-addresses="$REPLICA" \
  --proxy-lua-script="$ROOT/lua/rw-splitting.lua"
start_proxy split "$WORK" $((DB_PORT + 3)) "$PRIMARY" --proxy-read-only-backend-addresses="$REPLICA" \
  --routing=read-write-split
start_proxy split_mux "$WORK" $((DB_PORT + 5)) "$PRIMARY" --proxy-read-only-backend-addresses="$REPLICA" \
  --routing=read-write-split --multiplexing=true
start_proxy causal "$WORK" $((DB_PORT + 4)) "$PRIMARY" --proxy-read-only-backend-addresses="$REPLICA" \
  --routing=read-write-split --causal-reads=local

RESULTS="$WORK/results.tsv"
TARGETS="direct haproxy lua split split_mux"
WORKLOADS=${WORKLOADS:-oltp_read_only oltp_read_write}
replica_selects() {
  mariadb --no-defaults -h127.0.0.1 -P"$REPLICA_PORT" -uroot -N -e "SHOW GLOBAL STATUS LIKE 'Com_select'" | cut -f2
}
for mode in ${MODES-text ps}; do
  opts=""; [ "$mode" = text ] && opts=--db-ps-mode=disable
  for workload in $WORKLOADS; do
    opts=${opts%% --skip_trx=on}
    [ "$workload" = oltp_read_only ] && opts="$opts --skip_trx=on"
    # shellcheck disable=SC2086
    SYSBENCH_OPTS=$opts warm_up "$workload" $TARGETS
    before=$(replica_selects)
    # shellcheck disable=SC2086
    SYSBENCH_OPTS=$opts LABEL="${workload}_$mode" alternating_rounds "$workload" $TARGETS
    echo "${workload}_$mode: $(( $(replica_selects) - before )) SELECTs on the replica during the measured runs"
  done
done
if [ -z "${SKIP_CAUSAL:-}" ]; then
  # without transactions two threads may delete and insert the same id at once (1062; the others are sysbench's
  # defaults, which the option replaces): the duplicate is not the proxy's
  opts="--db-ps-mode=disable --skip_trx=on --mysql-ignore-errors=1062,1213,1020,1205"
  SYSBENCH_OPTS=$opts warm_up oltp_read_write haproxy split causal
  before=$(replica_selects)
  SYSBENCH_OPTS=$opts LABEL=oltp_read_write_autocommit_text alternating_rounds oltp_read_write haproxy split causal
  echo "oltp_read_write_autocommit_text: $(( $(replica_selects) - before )) SELECTs on the replica during the measured runs"
fi
python3 "$HERE/report.py" "$RESULTS"
