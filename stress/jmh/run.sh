#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs the whole suite with one and with two benchmark threads, with -prof gc, and prints the
# ratio table. Settings are short but sane for a 2-core machine; pass more JMH options to change
# them (e.g. ./run.sh -p subject=slab-64,netty-64,floor). Run from a clean clone after:
#   ./mvnw -B -DskipTests package -pl stress/jmh -am
# Run it alone: the load average before and after each half goes to target/loadavg.txt, and
# ratios.py marks the run DISTURBED (exit status 3) if the floor or Netty, which share nothing
# between threads, moved by more than 20% between the halves.
set -e
cd "$(dirname "$0")"
JAR=target/benchmarks.jar
OPTS="-f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc"
. ./halves.sh
run_halves "$JAR" "$OPTS" "$@"
