#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# An A/B of the fast paths between two builds, measured in one sitting: the two benchmark jars
# take turns (A B B A, ROUNDS times) on the same subjects with one thread, so that whatever the
# machine does meanwhile falls on both, and ab.py prints each subject's after/before ratio with
# its interval, and the same ratio divided by the floor's (which neither build changed).
#
#   stress/jmh/ab.sh BEFORE.jar AFTER.jar OUT [ROUNDS] [more JMH options]
#
# AB_SUBJECTS (comma-separated FastPathBench subjects; keep floor, the control) and AB_TIMING
# (default "-wi 3 -w 1s -i 5 -r 1s") replace the defaults below; JMH refuses an option twice.
#
# Build each jar with ./mvnw -B -DskipTests package -pl stress/jmh -am and copy
# stress/jmh/target/benchmarks.jar away before checking out the other commit. OUT (a new or
# empty folder) receives one JMH JSON file per turn, loadavg.txt and ab.md. Run it alone: no
# build, test or other benchmark at the same time. About 6 minutes per round with the defaults
# (four turns of about 92 s each on 2 cores).
set -eu
if [ $# -lt 3 ]; then
  echo "usage: ab.sh BEFORE.jar AFTER.jar OUT [ROUNDS] [JMH options]" >&2
  exit 2
fi
before=$1
after=$2
out=$3
shift 3
rounds=2
case "${1:-}" in
  ''|-*) ;;
  *[!0-9]*) echo "ab.sh: ROUNDS \"$1\" is not a positive whole number" >&2; exit 2 ;;
  *) rounds=$1; shift ;;
esac
if [ "$rounds" -lt 1 ]; then
  echo "ab.sh: ROUNDS must be at least 1" >&2
  exit 2
fi
for jar in "$before" "$after"; do
  if [ ! -f "$jar" ]; then
    echo "ab.sh: $jar is missing: build it with ./mvnw -B -DskipTests package -pl stress/jmh -am" >&2
    exit 2
  fi
done
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "ab.sh: $out exists and is not empty; move it away or name another folder" >&2
  exit 2
fi
mkdir -p "$out"
subjects=${AB_SUBJECTS:-page0-pcp,page0-buddy,page3,page0-rsv,slab-64,kmalloc-64,slabobj-64,mempool-64,mempool-uncounted-64,mempool-reserve-64,floor}
timing=${AB_TIMING:--wi 3 -w 1s -i 5 -r 1s}
i=0
while [ "$i" -lt "$rounds" ]; do
  i=$((i + 1))
  for side in A B B A; do
    if [ "$side" = A ]; then jar=$before; name=before; else jar=$after; name=after; fi
    n=$(ls "$out" | grep -c "^$name-" || true)
    file="$out/$name-$((n + 1)).json"
    echo "$name $((n + 1)) $(date -u '+%F %T') UTC: $(cat /proc/loadavg 2>/dev/null || uptime)" >> "$out/loadavg.txt"
    # shellcheck disable=SC2086 # the options are words on purpose
    java -jar "$jar" FastPathBench -t 1 -f 1 $timing -p subject="$subjects" \
      -rf json -rff "$file" "$@"
  done
done
echo "end $(date -u '+%F %T') UTC: $(cat /proc/loadavg 2>/dev/null || uptime)" >> "$out/loadavg.txt"
python3 "$(dirname "$0")/ab.py" "$out" | tee "$out/ab.md"
