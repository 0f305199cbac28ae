#!/usr/bin/env bash
# Backend failure and script swaps under load (issue: scale and resilience).
#
#   bench/resilience.sh [seconds]          default 30
#
# failover: two backends, 16 clients opening connections and running queries through the proxy; one backend is
#           killed with SIGKILL a third of the way in. Prints queries, failures on the killed backend (in flight:
#           how long until they failed), how long new connections kept failing (the failover gap, bounded by
#           health-check failures-to-down x interval), and failures on the survivor (should be 0).
# hot swap: sysbench oltp_point_select (16 threads) through a proxy whose Lua script is rewritten every second;
#           prints sysbench's error count (should be 0) and the number of swaps.
set -euo pipefail
SECONDS_TOTAL=${1:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_start
load_java
mkdir -p "$WORK/a" "$WORK/b"
start_mariadb "$WORK/a" 27306
start_mariadb "$WORK/b" 27307
DB_A_PID=${PIDS[-2]}
for port in 27306 27307; do
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e \
    "CREATE USER bench@'%' IDENTIFIED BY 'bench'; GRANT ALL ON *.* TO bench@'%'; CREATE DATABASE sbtest"
done
start_proxy failover "$WORK" 27308 "127.0.0.1:27306,127.0.0.1:27307" \
  --health-check-interval=0.5 --health-check-failures-to-down=2 --health-check-timeout=0.5
KILL_AT=$((SECONDS_TOTAL / 3))
echo "== failover: SIGKILL of backend 127.0.0.1:27306 after $KILL_AT s (health check: 2 failures x 0.5 s)"
"${LOAD[@]}" failover 27308 16 "$SECONDS_TOTAL" "$KILL_AT" 27307 \
  "$DB_A_PID" \
  2> >(grep -v '^failure' | sed 's/(conn=[0-9]*) //' | sort | uniq -c | sort -rn | head -5 >&2)
grep -h "is DOWN" "$WORK/failover.log" | head -2

echo "== hot swap: the script rewritten every second for $SECONDS_TOTAL s under sysbench oltp_point_select"
sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=27307 --mysql-user=root \
  --mysql-db=sbtest --tables=4 --table-size=20000 prepare >/dev/null
cat >"$WORK/swap.lua" <<'LUA'
local n = 0
function read_query(packet) n = n + 1 end
LUA
start_proxy swap "$WORK" 27309 "127.0.0.1:27307" --proxy-lua-script="$WORK/swap.lua"
(for i in $(seq 1 "$SECONDS_TOTAL"); do
   sleep 1
   printf 'local n = %d\nfunction read_query(packet) n = n + 1 end\n' "$i" >"$WORK/swap.lua"
 done) &
sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=27309 --mysql-user=root \
  --mysql-db=sbtest --tables=4 --table-size=20000 --threads=16 --time="$SECONDS_TOTAL" --report-interval=0 \
  --db-ps-mode=disable run | grep -E "queries:|errors:|95th"
echo "swaps: $(grep -c 'replaced' "$WORK/swap.log")"
