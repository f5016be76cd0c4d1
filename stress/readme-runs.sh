#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Reruns every measured figure the root README shows, from the current checkout, into OUT: the
# default run at seeds 1 and 2 (with check --against and compare), --oom wait on writeback,
# failslab at 100%, stress/jmh/debate.sh folded into seed 1's report, and the default and quick
# sweeps. About 35 minutes on 2 cores (the default sweep is 15 of them). Run it alone on the
# machine: every step's start and end, with the load average, go to OUT/timeline.txt, each
# step's stdout and stderr to OUT/<step>.out and .err. A step's non-zero exit is recorded, not
# fatal: --oom wait exits 1 by design (mempool-2.5.1 deadlocks).
#   stress/readme-runs.sh OUT [--no-sweep]
# stress/jmh/run.sh, the whole JMH suite (~15 minutes), is separate: its table is in
# stress/jmh/README.md.
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 OUT [--no-sweep]" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
if ! OUT=$(mkdir -p "$1" 2>/dev/null && cd "$1" && pwd) || [ -z "$OUT" ]; then
    echo "$0: cannot make or enter the output folder $1" >&2
    exit 2
fi
SWEEP=yes
[ "${2:-}" = "--no-sweep" ] && SWEEP=no

log() {
    echo "$(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg): $*" | tee -a "$OUT/timeline.txt"
}

step() {
    name=$1
    shift
    log "start $name: $*"
    start=$(date +%s)
    "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
    rc=$?
    log "end $name: exit status $rc after $(($(date +%s) - start)) s"
}

log "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' plus uncommitted changes')"
step build ./mvnw -B -q -DskipTests package -pl stress/workload,stress/jmh -am
step seed1 ./kalloc run -o "$OUT/seed1"
step seed2 ./kalloc run --seed 2 -o "$OUT/seed2"
step oomwait ./kalloc run --oom wait -s writeback -o "$OUT/oomwait"
step failslab ./kalloc run --slab-fail-percent 100 -g mempool-2.5.1,mempool-modern -o "$OUT/failslab"
step debate stress/jmh/debate.sh
cp stress/jmh/target/results-t1.json stress/jmh/target/results-t2.json stress/jmh/target/loadavg.txt "$OUT/"
step report ./kalloc report "$OUT/seed1" --jmh "$OUT/results-t1.json" --jmh "$OUT/results-t2.json"
step against ./kalloc check "$OUT/seed1" --against "$OUT/seed2"
step compare ./kalloc compare "$OUT/seed1" "$OUT/seed2"
step compare-self ./kalloc compare "$OUT/seed1" "$OUT/seed1"
step lines wc -l mempool/src/main/java/dev/kalloc/mempool/*.java page-alloc/src/main/java/dev/kalloc/page/*Reserv*.java \
    reservation/src/main/java/dev/kalloc/reservation/*.java
if [ "$SWEEP" = yes ]; then
    step sweep ./kalloc sweep -o "$OUT/sweep-default"
    step sweep-quick ./kalloc sweep --quick -o "$OUT/sweep-quick"
fi
log "done"
