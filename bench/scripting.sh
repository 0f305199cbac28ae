#!/usr/bin/env bash
# What Lua scripting costs, measured against HAProxy (TCP mode) in the same run, and how it scales:
#   plain        the proxy without a script (reference)
#   passthrough  (a) a read_query hook that lets every command through
#   inject       (b) every query appended and sent with PROXY_SEND_QUERY, query_time read in read_query_result
#   rwsplit      (c) lua/rw-splitting.lua with a primary and a replica replicating from it (reads go to the replica)
#   rwsplit-mux  the same on a multiplexing listener (reads borrow from the replica's pool, at most 8 connections)
#   lua-1, lua-2 a CPU-heavy hook (bench/lua/cpu-heavy.lua: pattern matching) with one and with two Lua threads
#   num-1, num-2 the same for an arithmetic hook (bench/lua/number-heavy.lua), which allocates as much as it computes
#
#   bench/scripting.sh [rounds] [seconds-per-run]        defaults: 3 rounds of 20 s
#
# Needs what bench/run.sh needs. Prints the medians per workload, then the lua-2/lua-1 throughput ratio.
# sysbench runs with --db-ps-mode=disable (text protocol) for every target: rw-splitting routes text-protocol
# reads, and prepared statements stay on the primary (SYSBENCH_OPTS overrides it).
set -euo pipefail
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-20}
THREADS=${THREADS:-16}
export SYSBENCH_OPTS=${SYSBENCH_OPTS:---db-ps-mode=disable}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
DB_PORT=${DB_PORT:-23306}; REPLICA_PORT=$((DB_PORT + 10)); HA_PORT=$((DB_PORT + 1))

start_replicated_pair "$WORK" "$DB_PORT" "$REPLICA_PORT"
sql() { mariadb --no-defaults -h127.0.0.1 -P"$1" -uroot -N -e "$2"; }

start_haproxy "$WORK" "$HA_PORT" "$DB_PORT"
PRIMARY="127.0.0.1:$DB_PORT"
start_proxy plain "$WORK" $((DB_PORT + 2)) "$PRIMARY"
start_proxy passthrough "$WORK" $((DB_PORT + 3)) "$PRIMARY" --proxy-lua-script="$HERE/lua/passthrough.lua"
start_proxy inject "$WORK" $((DB_PORT + 4)) "$PRIMARY" --proxy-lua-script="$HERE/lua/inject.lua"
start_proxy rwsplit "$WORK" $((DB_PORT + 5)) "$PRIMARY" --proxy-read-only-backend-addresses="127.0.0.1:$REPLICA_PORT" \
  --proxy-lua-script="$ROOT/lua/rw-splitting.lua"
start_proxy rwsplit-mux "$WORK" $((DB_PORT + 11)) "$PRIMARY" \
  --proxy-read-only-backend-addresses="127.0.0.1:$REPLICA_PORT" --proxy-lua-script="$ROOT/lua/rw-splitting.lua" \
  --multiplexing=true --multiplexing-max-connections=8
start_proxy lua-1 "$WORK" $((DB_PORT + 6)) "$PRIMARY" --proxy-lua-script="$HERE/lua/cpu-heavy.lua" --lua-threads=1
start_proxy lua-2 "$WORK" $((DB_PORT + 7)) "$PRIMARY" --proxy-lua-script="$HERE/lua/cpu-heavy.lua" --lua-threads=2
start_proxy num-1 "$WORK" $((DB_PORT + 8)) "$PRIMARY" --proxy-lua-script="$HERE/lua/number-heavy.lua" --lua-threads=1
start_proxy num-2 "$WORK" $((DB_PORT + 9)) "$PRIMARY" --proxy-lua-script="$HERE/lua/number-heavy.lua" --lua-threads=2

RESULTS="$WORK/results.tsv"
TARGETS="direct haproxy plain passthrough inject rwsplit rwsplit-mux"
WORKLOADS=${WORKLOADS:-oltp_point_select oltp_read_write}
# shellcheck disable=SC2086
warm_up "$WORKLOADS" $TARGETS
warm_up oltp_point_select lua-1 lua-2 num-1 num-2
# shellcheck disable=SC2086
alternating_rounds "$WORKLOADS" $TARGETS
for round in $(seq 1 "$ROUNDS"); do
  for target in lua-1 lua-2 num-1 num-2; do
    LABEL=cpu_heavy_point_select run_sysbench oltp_point_select "$target" "$round" >> "$RESULTS"
  done
done
python3 "$HERE/report.py" "$RESULTS"
python3 - "$RESULTS" <<'PY'
import statistics, sys
qps = {}
for line in open(sys.argv[1]):
    workload, target, _r, q, *_ = line.split("\t")
    if workload == "cpu_heavy_point_select":
        qps.setdefault(target, []).append(float(q))
print()
for name, (a, b) in {"pattern-matching hook": ("lua-1", "lua-2"), "arithmetic hook": ("num-1", "num-2")}.items():
    one, two = statistics.median(qps[a]), statistics.median(qps[b])
    print(f"{name}: {one:.0f} QPS with one Lua thread, {two:.0f} with two: {two / one:.2f}x")
PY
echo "reads on the replica during the run: $(sql "$REPLICA_PORT" "SHOW GLOBAL STATUS LIKE 'Com_select'" | cut -f2)"
