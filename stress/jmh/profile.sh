#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Where the time of a fast path goes: runs FastPathBench under async-profiler (JMH's -prof
# async, CPU-time samples; it needs no hardware counters, which this kind of guest lacks, so
# -prof perfasm/perfnorm cannot run here) and prints, per subject, the kalloc functions the
# samples fell in with their share of the time per operation (profile.py says how).
#
#   stress/jmh/profile.sh OUT [JMH options]    e.g. profile.sh /tmp/prof -p subject=slab-64,mempool-64
# (any JMH option but -f, -wi, -w, -i, -r, -rf, -rff, which it sets and JMH refuses twice, and -bm,
# -tu: the split assumes average time in ns/op)
#
# Without -p it profiles the subjects the README's breakdown shows. Build first, from a clean
# clone (the profile adds async-profiler's Linux x64 agent from Maven Central):
#   ./mvnw -B -Pprofiler -DskipTests package -pl stress/jmh -am
# Run it alone, as every benchmark here. The load before and after goes to OUT/loadavg.txt.
HERE=$(cd "$(dirname "$0")" && pwd) || exit 2
JAR=target/benchmarks.jar
LIB=$HERE/target/async-profiler/linux-x64/libasyncProfiler.so
BUILD="./mvnw -B -Pprofiler -DskipTests package -pl stress/jmh -am"
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
    echo "usage: profile.sh OUT [JMH options]: OUT is the folder for the profiles and results.json" >&2
    exit 2
fi
OUT=$1
shift
# OUT is relative to where the command was typed, not to stress/jmh.
if ! mkdir -p "$OUT" 2>/dev/null || [ ! -w "$OUT" ]; then
    echo "profile.sh: cannot write to $OUT" >&2
    exit 2
fi
OUT=$(cd "$OUT" && pwd)
cd "$HERE" || exit 2
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "profile.sh: the agent it unpacks is async-profiler's Linux x64 one; this is $(uname -s) $(uname -m)" >&2
       exit 2 ;;
esac
if [ ! -f "$JAR" ]; then
    echo "profile.sh: $JAR is missing; build it from the repository root: $BUILD" >&2
    exit 2
fi
if [ ! -f "$LIB" ]; then
    echo "profile.sh: async-profiler is missing ($LIB); build with the profiler profile: $BUILD" >&2
    exit 2
fi
case " $* " in
    *" -p "*) SUBJECTS="" ;;
    *) SUBJECTS="-p subject=page0-pcp,page0-buddy,slab-64,slabobj-64,mempool-64,mempool-uncounted-64" ;;
esac
echo "before: $(cat /proc/loadavg)" > "$OUT/loadavg.txt"
# shellcheck disable=SC2086 # SUBJECTS is two words or none
java -jar "$JAR" FastPathBench -f 1 -wi 3 -w 1s -i 5 -r 1s -rf json -rff "$OUT/results.json" \
    -prof "async:libPath=$LIB;event=cpu;interval=1000000;output=collapsed;dir=$OUT" $SUBJECTS "$@" > "$OUT/jmh.txt" 2>&1
status=$?
echo "after: $(cat /proc/loadavg)" >> "$OUT/loadavg.txt"
if [ $status -ne 0 ]; then
    echo "profile.sh: JMH failed (exit $status); its output is in $OUT/jmh.txt:" >&2
    tail -5 "$OUT/jmh.txt" >&2
    exit 1
fi
python3 profile.py "$OUT"
