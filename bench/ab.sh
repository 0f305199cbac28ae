#!/usr/bin/env bash
# A/B: two builds of the proxy (or one build with two JVM settings), alternating round by round in one run beside a
# direct connection and HAProxy (TCP mode), so that a change is measured against what it changes.
#
#   A_JAR=old/quarkus-run.jar B_JAR=target/quarkus-app/quarkus-run.jar bench/ab.sh [rounds] [seconds] [proxy option...]
#
# A_JAR and B_JAR default to target/quarkus-app/quarkus-run.jar; A_JAVA_OPTS and B_JAVA_OPTS are each proxy's JVM
# options (default: lib.sh's; empty: none, as README starts the jar). The proxy options (a script, say) apply to
# both; A_PROXY_OPTS and B_PROXY_OPTS add options to one side (a script to measure against none, say). WORKLOADS, THREADS, SYSBENCH_OPTS and WARMUP_SECONDS as in run.sh. Prints run.sh's table with the targets
# a and b, then per workload the median over rounds of b/a: QPS and CPU per query. KEEP_RESULTS=FILE keeps the
# measurements (one TSV line per run).
set -euo pipefail
ROUNDS=${1:-6}
SECONDS_PER_RUN=${2:-20}
shift $(( $# < 2 ? $# : 2 ))
THREADS=${THREADS:-16}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
A_JAR=${A_JAR:-$JAR}; B_JAR=${B_JAR:-$JAR}
for jar in "$A_JAR" "$B_JAR"; do
  [ -f "$jar" ] || { echo "bench: no jar at $jar"; exit 1; }
done
DB_PORT=${DB_PORT:-23306}; HA_PORT=$((DB_PORT + 1))
start_mariadb "$WORK" "$DB_PORT"
start_haproxy "$WORK" "$HA_PORT" "$DB_PORT"
start_side() { # name jar port java-options-set java-options [proxy options...]
  local name=$1 jar=$2 port=$3 set=$4 opts=$5; shift 5
  if [ -n "$set" ]; then
    JAR=$jar PROXY_JAVA_OPTS=$opts start_proxy "$name" "$WORK" "$port" "127.0.0.1:$DB_PORT" "$@"
  else
    JAR=$jar start_proxy "$name" "$WORK" "$port" "127.0.0.1:$DB_PORT" "$@"
  fi
}
# shellcheck disable=SC2086
start_side a "$A_JAR" $((DB_PORT + 2)) "${A_JAVA_OPTS+set}" "${A_JAVA_OPTS-}" "$@" ${A_PROXY_OPTS:-}
# shellcheck disable=SC2086
start_side b "$B_JAR" $((DB_PORT + 3)) "${B_JAVA_OPTS+set}" "${B_JAVA_OPTS-}" "$@" ${B_PROXY_OPTS:-}

prepare_sbtest "$DB_PORT"

RESULTS="$WORK/results.tsv"
WORKLOADS=${WORKLOADS:-oltp_point_select oltp_read_write}
warm_up "$WORKLOADS" direct haproxy a b
alternating_rounds "$WORKLOADS" direct haproxy a b
[ -n "${KEEP_RESULTS:-}" ] && cp "$RESULTS" "$KEEP_RESULTS"
python3 "$HERE/report.py" "$RESULTS"
python3 - "$RESULTS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    workload, target, rnd, qps, _p95, cpu, *_ = line.rstrip("\n").split("\t")
    runs[(workload, target, rnd)] = (float(qps), float(cpu))
print()
for workload in sorted({w for w, _t, _r in runs}):
    pairs = [(runs[(w, "a", r)], runs[(w, "b", r)]) for (w, t, r) in runs if w == workload and t == "a"
             and (w, "b", r) in runs]
    qps = statistics.median(b[0] / a[0] for a, b in pairs)
    cpu = statistics.median(b[1] / a[1] for a, b in pairs if a[1] > 0)
    print(f"{workload}: b/a over {len(pairs)} rounds: QPS {qps:.3f}x, CPU per query {cpu:.3f}x")
PY
