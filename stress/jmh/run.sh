#!/bin/sh
# Runs the whole suite with one and with two benchmark threads, with -prof gc, and prints the
# ratio table. Settings are short but sane for a 2-core machine; pass more JMH options to change
# them (e.g. ./run.sh -p subject=slab-64,netty-64). Run from a clean clone after:
#   ./mvnw -B -DskipTests package -pl stress/jmh -am
set -e
cd "$(dirname "$0")"
JAR=target/benchmarks.jar
OPTS="-f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc"
uptime > target/loadavg.txt
for t in 1 2; do
    java -jar "$JAR" $OPTS -t "$t" -rf json -rff "target/results-t$t.json" "$@"
    uptime >> target/loadavg.txt
done
python3 ratios.py target/results-t1.json target/results-t2.json
