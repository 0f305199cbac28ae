#!/usr/bin/env bash
# The fuzz tests for longer than CI runs them (issue: scale and resilience).
#
#   bench/fuzz.sh [seconds]      default 300: each decoder and the hostile-session test run that long
#
# Prints how many inputs each decoder took and how many hostile sessions ran; any exception other than the
# decoders' MalformedPacketException, any session or backend connection left behind, or any unexpected error in the
# proxy's log fails the run (the seed to replay it is in the failure).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.."
export PATH="$PATH:/usr/sbin"
export FUZZ_SEED=${FUZZ_SEED:-$(date +%s%N)}   # CI uses a fixed seed; here every run tries new inputs
echo "fuzz seed $FUZZ_SEED"
FUZZ_SECONDS=${1:-300} mvn -B -q test -Dtest='DecoderFuzzTest,SessionFuzzTest' -Dsurefire.failIfNoSpecifiedTests=false
grep -ho "fuzz [^<]*inputs in [0-9]* s\|session fuzz: [^<]*" target/surefire-reports/TEST-io.mysqlproxy.fuzz.*.xml
