#!/usr/bin/env bash
# Multiplexing (issue: backend connection pooling and multiplexing).
#
#   bench/multiplexing.sh [clients] [seconds] [period-ms] [max-connections]
#                         defaults: 9000 60 3000 200
#
# CLIENTS connections through the proxy, each running a short transaction (BEGIN, UPDATE and SELECT of its own
# row, COMMIT) every PERIOD milliseconds for SECONDS once all are connected; once with multiplexing
# (--multiplexing-max-connections=MAX) and once without (one backend connection per client), the same load in the
# same run. Prints for each: connected clients, transactions a second, failures, latency percentiles, the most
# backend connections the server saw (Threads_connected, sampled every second, minus this script's own) and the
# proxy's resident memory while all are connected.
set -euo pipefail
CLIENTS=${1:-9000}; SECONDS_=${2:-60}; PERIOD=${3:-3000}; MAX=${4:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
load_java
ulimit -n "$(ulimit -Hn)"
DB_PORT=26306
start_mariadb "$WORK" "$DB_PORT" --thread-handling=pool-of-threads --max-connections=20000
sql() { mariadb --no-defaults -h127.0.0.1 -P"$DB_PORT" -uroot -N -e "$1"; }
sql "CREATE USER bench@'%' IDENTIFIED BY 'bench'; GRANT ALL ON *.* TO bench@'%'; CREATE DATABASE bench;
     CREATE TABLE bench.t (id INT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0);
     USE bench; INSERT INTO bench.t (id) SELECT seq FROM seq_1_to_$CLIENTS"

run() { # name port [proxy options...]
  local name=$1 port=$2; shift 2
  start_proxy "$name" "$WORK" "$port" "127.0.0.1:$DB_PORT" --proxy-max-connections=20000 "$@"
  local pid=${PID_OF[$name]} peak=0 sampler
  ( while sleep 1; do sql "SHOW GLOBAL STATUS LIKE 'Threads_connected'" | awk '{print $2 - 1}'; done ) \
    > "$WORK/$name.threads" &
  sampler=$!
  echo "== $name: $CLIENTS clients, a short transaction every $PERIOD ms for $SECONDS_ s"
  "${LOAD[@]}" tx "$port" "$CLIENTS" "$SECONDS_" 500 "$PERIOD" \
    > >(while IFS= read -r line; do
          echo "$line"
          if [ "$line" = HOLDING ]; then
            sleep $((SECONDS_ / 2))
            awk '/VmRSS/ {printf "proxy resident memory %.0f MiB\n", $2/1024}' "/proc/$pid/status"
          fi
        done) 2> >(grep -v '^failure' | sed 's/(conn=[0-9]*) //' | sort | uniq -c | sort -rn | head -5 >&2)
  kill "$sampler"
  peak=$(sort -n "$WORK/$name.threads" | tail -1); [ -n "${SHOW_SAMPLES:-}" ] && tr "\n" " " < "$WORK/$name.threads" && echo
  echo "backend connections at most: $peak"
  kill "${PID_OF[$name]}"; wait "${PID_OF[$name]}" 2>/dev/null || true
  sleep 3
}

run multiplexed 26308 --multiplexing=true --multiplexing-max-connections="$MAX"
run dedicated 26309
