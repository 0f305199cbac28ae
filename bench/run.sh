#!/usr/bin/env bash
# Throughput and CPU of mysqlproxy against a direct connection and HAProxy (TCP mode), interleaved in one run.
#
#   bench/run.sh [rounds] [seconds-per-run]        defaults: 6 rounds of 20 s
#
# Starts its own MariaDB, HAProxy and proxy on loopback ports, runs sysbench oltp_point_select (16 threads) and
# oltp_read_write (16 threads) against each target in alternating order, and prints per workload the median QPS,
# p95 latency, QPS ratio to HAProxy, and CPU microseconds per query of the proxy process (from /proc).
# Needs: mariadbd, sysbench, haproxy (apt-get install -y mariadb-server sysbench haproxy), a built proxy
# (mvn -B -q package -DskipTests). Extra proxy options may be passed in PROXY_OPTS, JVM options in PROXY_JAVA_OPTS.
set -euo pipefail
ROUNDS=${1:-6}
SECONDS_PER_RUN=${2:-20}
THREADS=${THREADS:-16}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
DB_PORT=${DB_PORT:-23306}; HA_PORT=${HA_PORT:-23307}; PROXY_PORT=${PROXY_PORT:-23308}
start_mariadb "$WORK" "$DB_PORT"
start_haproxy "$WORK" "$HA_PORT" "$DB_PORT"
start_proxy proxy "$WORK" "$PROXY_PORT" "127.0.0.1:$DB_PORT" ${PROXY_OPTS:-}

prepare_sbtest "$DB_PORT"

RESULTS="$WORK/results.tsv"
WORKLOADS=${WORKLOADS:-oltp_point_select oltp_read_write}
warm_up "$WORKLOADS" direct haproxy proxy
alternating_rounds "$WORKLOADS" direct haproxy proxy
python3 "$HERE/report.py" "$RESULTS"
