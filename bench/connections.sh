#!/usr/bin/env bash
# Many connections through one proxy (issue: scale and resilience).
#
#   bench/connections.sh [clients] [hold-seconds] [storm-per-second] [storm-seconds] [loris-sockets]
#                        defaults: 9000 60 2000 30 5000
#
# hold:  CLIENTS connections through the proxy, each running SELECT 1 once a second for HOLD seconds; prints how
#        many connected, queries and failures, latency percentiles, and the proxy's resident memory and heap while
#        all are connected.
# storm: STORM new connections a second for STORM-SECONDS (connect, log in, SELECT 1, disconnect), directly to
#        the server and through the proxy; prints failures and the p99 of connect-to-first-result of each.
# loris: LORIS connections that never log in, closed by the handshake timeout, while 16 clients run SELECT 1;
#        prints how many were closed and when, and the clients' latency before and during.
# The load runs in its own JVM with virtual threads (Temurin 25, or any java 21+ as LOAD_JAVA). A process may hold
# 20,000 descriptors here: the proxy needs two per client (client and backend socket).
set -euo pipefail
CLIENTS=${1:-9000}; HOLD=${2:-60}; STORM=${3:-2000}; STORM_SECONDS=${4:-30}; LORIS=${5:-5000}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
load_java
ulimit -n "$(ulimit -Hn)"
DB_PORT=25306; PROXY_PORT=25308
start_mariadb "$WORK" "$DB_PORT" --thread-handling=pool-of-threads --max-connections=20000
mariadb --no-defaults -h127.0.0.1 -P"$DB_PORT" -uroot -e \
  "CREATE USER bench@'%' IDENTIFIED BY 'bench'; GRANT ALL ON *.* TO bench@'%'"
PROXY_JAVA_OPTS=${PROXY_JAVA_OPTS:--XX:+UseParallelGC -Xms64m -Xmx384m} \
  start_proxy proxy "$WORK" "$PROXY_PORT" "127.0.0.1:$DB_PORT" --proxy-max-connections=20000 ${PROXY_OPTS:-}
PID=${PID_OF[proxy]}

memory() { # resident memory and heap of the proxy now
  local rss heap
  rss=$(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$PID/status")
  heap=$(jcmd "$PID" GC.heap_info 2>/dev/null | awk '/total/ {for (i=1;i<=NF;i++) if ($i=="used") {print $(i+1); exit}}')
  echo "proxy: resident $rss, heap used ${heap:-?}, descriptors $(ls /proc/$PID/fd | wc -l), threads $(ls /proc/$PID/task | wc -l)"
}

echo "== hold: $CLIENTS clients, SELECT 1 once a second for $HOLD s"
"${LOAD[@]}" hold "$PROXY_PORT" "$CLIENTS" "$HOLD" 500 \
  > >(while IFS= read -r line; do
        echo "$line"
        if [ "$line" = HOLDING ]; then sleep $((HOLD / 2)); memory; fi
      done) 2> >(sort | uniq -c | head -20 >&2)
sleep 2
memory
# connecting and disconnecting run code the hold phase did not: warm it up (JIT) before measuring, as for sysbench
"${LOAD[@]}" storm "$PROXY_PORT" $((STORM / 4)) 20 >/dev/null 2>&1
for target in "direct $DB_PORT" "proxy $PROXY_PORT"; do
  set -- $target
  echo "== storm $1: $STORM connections a second for $STORM_SECONDS s"
  "${LOAD[@]}" storm "$2" "$STORM" "$STORM_SECONDS" \
    2> >(grep -v '^failure' | sed 's/(conn=[0-9]*) //' | sort | uniq -c | sort -rn | head -5 >&2)
  sleep 5
done
memory
echo "== slow loris: $LORIS connections that never log in (handshake timeout 10 s), 16 clients running SELECT 1"
"${LOAD[@]}" loris "$PROXY_PORT" "$LORIS" 2> >(grep -v '^failure' | sort | uniq -c | sort -rn | head -5 >&2)
memory
