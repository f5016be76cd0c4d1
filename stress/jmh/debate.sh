#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs the benchmarks the kalloc report's debate section reads (Molnar's M4, LaHaise's L2 and
# L3): FastPathBench on the page and slab subjects they compare, and CallSiteBench's five modes,
# with three forks, so that the error bars include the JIT's fork-to-fork variation (with one
# fork, CallSiteBench's mega and mono moved apart by 9 ns between two runs). About 11 minutes on
# 2 cores; run it alone (a disturbed run is marked and exits 3, see ratios.py). Then fold the results into a kalloc report:
#   ./kalloc report DIR --jmh stress/jmh/target/results-t1.json --jmh stress/jmh/target/results-t2.json
# Build the jar first from a clean clone: ./mvnw -B -DskipTests package -pl stress/jmh -am
set -e
cd "$(dirname "$0")"
JAR=target/benchmarks.jar
OPTS="-f 3 -wi 3 -w 1s -i 5 -r 1s -prof gc"
. ./halves.sh
# floor and Netty are there for ratios.py's check that the two halves saw the same machine.
run_halves "$JAR" "$OPTS" 'FastPathBench|CallSiteBench' \
    -p subject=page0-pcp,page0-rsv,slabobj-64,mempool-64,mempool-uncounted-64,floor,netty-64 "$@"
