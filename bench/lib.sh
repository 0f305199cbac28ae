# Shared by the bench scripts: start servers on loopback and run one measured sysbench run.
# Every target a run can measure has a port in PORT_OF and, when its CPU is measured, a pid in PID_OF.
declare -A PORT_OF PID_OF

# Checks the tools and the built proxy, makes a work directory, and stops every started process on exit
# (KEEP=1 leaves them and the directory). Sets ROOT, JAR, WORK and PIDS.
bench_start() {
  ROOT=$(dirname "$HERE")
  JAR="$ROOT/target/quarkus-app/quarkus-run.jar"
  export PATH="$PATH:/usr/sbin"
  for tool in mariadbd sysbench haproxy python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install -y mariadb-server sysbench haproxy)"; exit 1; }
  done
  [ -f "$JAR" ] || { echo "bench: build first: mvn -B -q package -DskipTests"; exit 1; }
  WORK=$(mktemp -d /tmp/mysqlproxy-bench.XXXXXX)
  PIDS=()
  trap bench_stop EXIT
}

bench_stop() {
  [ -n "${KEEP:-}" ] && return 0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

start_mariadb() { # dir port [mariadbd options...]
  local dir=$1 port=$2; shift 2
  local user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal --skip-test-db \
    --datadir="$dir/db" "${user[@]}" >"$dir/install.log" 2>&1
  mariadbd --no-defaults --datadir="$dir/db" --port="$port" --bind-address=127.0.0.1 --socket="$dir/db.sock" \
    --max-connections=20000 --innodb-buffer-pool-size=256M --skip-name-resolve --log-error="$dir/db.err" \
    "${user[@]}" "$@" &
  PIDS+=($!)
  PORT_OF[direct]=${PORT_OF[direct]:-$port}
  for _ in $(seq 1 100); do
    mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: mariadbd did not start"; cat "$dir/db.err"; exit 1
}

start_haproxy() { # dir port backend-port
  cat >"$1/haproxy.cfg" <<CFG
global
  maxconn 9000
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
listen mysql
  bind 127.0.0.1:$2
  server db 127.0.0.1:$3
CFG
  haproxy -f "$1/haproxy.cfg" -db >"$1/haproxy.log" 2>&1 &
  PIDS+=($!)
  PORT_OF[haproxy]=$2
  PID_OF[haproxy]=$!
}

# The proxy's JVM options: PROXY_JAVA_OPTS when set (empty: none), else the ones it ships with (jvm.options, as
# README starts it).
start_proxy() { # name dir port backend [options...]
  local name=$1 dir=$2 port=$3 backend=$4; shift 4
  # shellcheck disable=SC2086
  java ${PROXY_JAVA_OPTS-@$ROOT/jvm.options} -Dquarkus.http.port=0 -jar "$JAR" --proxy-address=127.0.0.1:"$port" --proxy-backend-addresses="$backend" --admin-address= \
    "$@" >"$dir/$name.log" 2>&1 &
  PIDS+=($!)
  PORT_OF[$name]=$port
  PID_OF[$name]=$!
  for _ in $(seq 1 100); do
    mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "bench: proxy $name did not start"; cat "$dir/$name.log"; exit 1
}

prepare_sbtest() { # db-port: the sbtest schema every bench script's sysbench runs use
  mariadb --no-defaults -h127.0.0.1 -P"$1" -uroot -e "CREATE DATABASE IF NOT EXISTS sbtest"
  sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$1" --mysql-user=root \
    --mysql-db=sbtest --tables=4 --table-size=20000 prepare >/dev/null
}

proc_usage() { # pid -> "utime stime context-switches": CPU in clock ticks, switches summed over its threads
  local ticks switches
  ticks=$(awk '{print $14, $15}' "/proc/$1/stat")
  switches=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ {n += $2} END {print n + 0}')
  echo "$ticks $switches"
}

# One TSV line: workload target round qps p95 cpu_us_per_query sys_us_per_query switches_per_query; the last
# three are those of the target's process (0 for a target without one): its CPU time, the kernel's part of it, and
# how often its threads were switched out (blocking in epoll, or preempted).
run_sysbench() { # workload target round
  local workload=$1 target=$2 round=$3 port=${PORT_OF[$2]} pid=${PID_OF[$2]:-}
  local before="0 0 0" after="0 0 0"
  [ -n "$pid" ] && before=$(proc_usage "$pid")
  local out
  out=$(sysbench "$workload" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user=root \
    --mysql-db=sbtest --tables=4 --table-size=20000 --threads="$THREADS" --time="$SECONDS_PER_RUN" \
    --percentile=95 --report-interval=0 ${SYSBENCH_OPTS:-} run)
  [ -n "$pid" ] && after=$(proc_usage "$pid")
  local queries qps p95
  queries=$(echo "$out" | awk '/queries:/ {print $2; exit}')
  qps=$(echo "$out" | awk '/queries:/ {gsub(/\(/, "", $3); print $3; exit}')
  p95=$(echo "$out" | awk '/95th percentile:/ {print $3; exit}')
  local usage="0\t0\t0"
  if [ -n "$pid" ]; then
    usage=$(python3 -c "import os
b, a, q, t = [int(x) for x in '$before'.split()], [int(x) for x in '$after'.split()], $queries, os.sysconf('SC_CLK_TCK')
us = lambda ticks: round(ticks * 1e6 / t / q, 2)
print(us(a[0] + a[1] - b[0] - b[1]), us(a[1] - b[1]), round((a[2] - b[2]) / q, 2), sep='\t')")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%b\n' "${LABEL:-$workload}" "$target" "$round" "$qps" "$p95" "$usage"
}

# Warm-up, not measured: every target runs every workload that will be measured, so that the JIT has compiled the
# paths of each (a workload measured cold ran its first round at up to 1.4x the CPU per query of the next ones) and
# the server's caches hold every table. WARMUP_SECONDS per workload and target, default 30.
warm_up() { # workloads targets...
  local workloads=$1 workload target; shift
  for workload in $workloads; do
    for target in "$@"; do
      SECONDS_PER_RUN=${WARMUP_SECONDS:-30} run_sysbench "$workload" "$target" 0 >/dev/null
    done
  done
}

# Every workload, ROUNDS rounds each, over the targets in alternating order (reversed every other round, so that
# no target always runs right after another), one result line per run appended to RESULTS.
alternating_rounds() { # workloads targets...
  local workloads=$1 workload round target order; shift
  for workload in $workloads; do
    for round in $(seq 1 "$ROUNDS"); do
      order="$*"
      [ $((round % 2)) -eq 0 ] && order=$(printf '%s\n' "$@" | tac | tr '\n' ' ')
      for target in $order; do
        run_sysbench "$workload" "$target" "$round" >> "$RESULTS"
      done
    done
  done
}

# A primary on port $2 (binary log on) and a read-only replica on port $3 replicating from it with GTIDs, under
# dir $1; the sbtest schema is loaded on the primary and waited for on the replica.
start_replicated_pair() { # dir primary-port replica-port
  local dir=$1 primary=$2 replica=$3
  mkdir -p "$dir/primary" "$dir/replica"
  start_mariadb "$dir/primary" "$primary" --server-id=1 --log-bin=mysql-bin --binlog-format=ROW
  start_mariadb "$dir/replica" "$replica" --server-id=2 --read-only=ON
  mariadb --no-defaults -h127.0.0.1 -P"$replica" -uroot -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1',
    MASTER_PORT=$primary, MASTER_USER='root', MASTER_USE_GTID=slave_pos; START SLAVE"
  prepare_sbtest "$primary"
  for _ in $(seq 1 300); do
    [ "$(mariadb --no-defaults -h127.0.0.1 -P"$replica" -uroot -N -e "SELECT COUNT(*) FROM sbtest.sbtest4" \
      2>/dev/null || true)" = 20000 ] && return
    sleep 0.2
  done
  echo "bench: the replica on port $replica did not catch up with the primary"; exit 1
}

# The JDK 21+ (virtual threads) and the MariaDB driver that run bench/java/ConnectionLoad.java: sets LOAD.
load_java() {
  local java=${LOAD_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java} driver
  [ -x "$java" ] || { echo "bench: LOAD_JAVA must be a java 21+ ($java is missing)"; exit 1; }
  driver=$(ls ~/.m2/repository/org/mariadb/jdbc/mariadb-java-client/*/mariadb-java-client-*.jar | grep -v sources | tail -1)
  LOAD=("$java" -cp "$driver" "$HERE/java/ConnectionLoad.java")
}
