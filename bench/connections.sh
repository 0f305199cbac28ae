#!/usr/bin/env bash
# Many connections through one proxy (issues: scale and resilience; overload and footprint).
#
#   bench/connections.sh [clients] [hold-seconds] [storm-per-second] [storm-seconds] [loris-sockets]
#                        defaults: 9000 60 2000 30 5000
#
# memory: the proxy's resident memory with no client, then while 1,000 and while CLIENTS clients are logged in and
#        run SELECT 1 once a second; prints each with the heap in use, and the slope in KiB per client between the
#        two loads. PHASES=memory stops after it (to compare JVM options in PROXY_JAVA_OPTS quickly);
#        PHASES=storm skips it and the hold (to find the storm rate the server takes).
# hold:  the CLIENTS phase of the above runs for HOLD seconds; prints how many connected, queries and failures,
#        latency percentiles.
# storm: STORM new connections a second for STORM-SECONDS (connect, log in, SELECT 1, disconnect), directly to
#        the server, through HAProxy (TCP mode) and through the proxy; prints failures and the p99 of
#        connect-to-first-result of each.
# loris: LORIS connections that never log in, closed by the handshake timeout, while 16 clients run SELECT 1;
#        prints how many were closed and when, and the clients' latency before and during.
# The proxy runs with the JVM options it ships with (jvm.options) unless PROXY_JAVA_OPTS says otherwise.
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
start_haproxy "$WORK" $((DB_PORT + 1)) "$DB_PORT"
start_proxy proxy "$WORK" "$PROXY_PORT" "127.0.0.1:$DB_PORT" --proxy-max-connections=20000 ${PROXY_OPTS:-}
PID=${PID_OF[proxy]}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
memory() { # resident memory and heap of the proxy now
  local heap
  heap=$(jcmd "$PID" GC.heap_info 2>/dev/null | awk '/total/ {for (i=1;i<=NF;i++) if ($i=="used") {print $(i+1); exit}}')
  echo "proxy: resident $(( $(rss_kib) / 1024 )) MiB, heap used ${heap:-?}, descriptors $(ls /proc/$PID/fd | wc -l), threads $(ls /proc/$PID/task | wc -l)"
  # with -XX:NativeMemoryTracking=summary in PROXY_JAVA_OPTS: where the JVM's memory is, committed, by area
  if [[ "${PROXY_JAVA_OPTS:-}" == *NativeMemoryTracking* ]]; then
    jcmd "$PID" VM.native_memory summary | sed -n 's/^- *\([A-Za-z ]*[A-Za-z]\) *(reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1 \2/p' \
      | awk '$NF > 1024 {printf "  %s %d MiB;", substr($0, 1, length($0) - length($NF) - 1), $NF / 1024} END {print ""}'
  fi
}
hold() { # clients seconds sample-file: holds the clients, writes the resident KiB sampled halfway into the file
  "${LOAD[@]}" hold "$PROXY_PORT" "$1" "$2" 500 \
    > >(while IFS= read -r line; do
          echo "$line"
          if [ "$line" = HOLDING ]; then sleep $(($2 / 2)); rss_kib > "$3"; memory; fi
        done) 2> >(sort | uniq -c | head -20 >&2)
  sleep 2
}

if [ "${PHASES:-all}" != storm ]; then
echo "== memory: no client, 1000 clients, $CLIENTS clients"
sleep 5
echo "0 clients: resident $(( $(rss_kib) / 1024 )) MiB"; memory
hold 1000 20 "$WORK/rss-1000"
echo "== hold: $CLIENTS clients, SELECT 1 once a second for $HOLD s"
hold "$CLIENTS" "$HOLD" "$WORK/rss-all"
python3 -c "a, b, n = int(open('$WORK/rss-1000').read()), int(open('$WORK/rss-all').read()), $CLIENTS
print(f'resident: {a / 1024:.0f} MiB at 1000 clients, {b / 1024:.0f} MiB at {n}; slope {(b - a) / (n - 1000):.1f} KiB per client')"
memory
[ "${PHASES:-all}" = memory ] && exit 0
fi
# connecting and disconnecting run code the hold phase did not: warm it up (JIT) before measuring, as for sysbench
"${LOAD[@]}" storm "$PROXY_PORT" $((STORM / 4)) 20 >/dev/null 2>&1
for target in "direct $DB_PORT" "haproxy $((DB_PORT + 1))" "proxy $PROXY_PORT"; do
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
