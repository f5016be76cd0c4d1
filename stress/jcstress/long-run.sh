#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The long jcstress run: the whole suite, every JVM configuration jcstress detects on this machine
# (biased locking on/off, the C2 stress randomizers, split per-actor compilation), in `quick` mode by
# default or in `default` mode, with the samples each test collected written out as a table.
#
# CI runs the suite in sanity mode with one JVM configuration (a few hundred samples per test, a
# handful for the Mode.Termination tests); this is the run that gives the evidence weight.
#
#   stress/jcstress/long-run.sh [quick|default|tough] [OUT]
#
# OUT (default jcstress-results/long-run-<mode>) receives:
#   jcstress.log   jcstress's verbose console output (every configuration's outcomes)
#   report/        jcstress's HTML report, and its result blob
#   samples.md     one row per test: verdict, configurations run, samples, outcomes seen
#   run.txt        commit, JVM, machine, load before and after, start, end, elapsed
# (the blob is jcstress-results-*.bin.gz; `java -jar jcstress.jar -p FILE` re-reads it).
#
# Exits with jcstress's status (1 on a FORBIDDEN outcome or an error), or 1 when the report's
# "Failed tests" or "Error tests" line is not "No matches.". Runs for roughly 1.5-2 hours in quick
# mode on 2 cores: run it alone on the machine if the sample counts are to be compared.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

mode=${1:-quick}
case "$mode" in
  quick|default|tough) ;;
  *) echo "long-run.sh: mode \"$mode\": must be quick, default or tough" >&2; exit 2 ;;
esac
out=${2:-jcstress-results/long-run-$mode}
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "long-run.sh: $out exists and is not empty; move it away or name another folder" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

./mvnw -B -q -ntp -pl stress/jcstress -am package -DskipTests
jar=$root/stress/jcstress/target/jcstress.jar

{
  echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "mode:     $mode, whole suite, every detected JVM configuration"
  echo "java:     $(java -version 2>&1 | head -1)"
  echo "machine:  $(nproc) CPUs, $(uname -sr)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "start:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
} > "$out/run.txt"
start=$(date +%s)

# The jar moves the blob jcstress writes in the working folder into the report folder.
status=0
(cd "$out" && java -jar "$jar" -m "$mode" -r report -v) > "$out/jcstress.log" 2>&1 || status=$?

{
  echo "end:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "elapsed:  $(( ($(date +%s) - start) / 60 )) min"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "jcstress exit status: $status"
  echo "progress: $(grep -o 'Results: [^)]*' "$out/jcstress.log" | tail -1)"
  grep -q '^RUN RESULTS:' "$out/jcstress.log" || echo "INCOMPLETE: jcstress stopped before its summary; the table holds the runs it finished"
} >> "$out/run.txt"

# Per test, from the progress section: one "[OK|FAILED|ERROR] name" block per run (a JVM
# configuration, compilation mode and fork), each with an outcome table whose columns are
# right-aligned under their header (an outcome such as "2, 1, 0" holds spaces, so fields are cut
# by column). Built from the blocks rather than from jcstress's closing summary so that a run cut
# short still yields the table of what it finished (run.txt then says the run was incomplete).
awk '
  /^RUN RESULTS:/ { exit }
  match($0, /\[(OK|FAILED|ERROR)\] [A-Za-z0-9_.$]+$/) {
    test = substr($0, RSTART); v = test; sub(/\].*/, "", v); sub(/^\[/, "", v)
    sub(/^\[[A-Z]+\] /, "", test)
    runs[test]++
    if (!(test in verdict) || verdict[test] == "OK") verdict[test] = v
    header = 0; runSamples = 0; next
  }
  test != "" && /RESULT +SAMPLES +FREQ/ {
    header = 1; resultEnd = index($0, "RESULT") + 5; samplesEnd = index($0, "SAMPLES") + 6; next
  }
  test != "" && header && (NF == 0 || /^\(/) {
    if (!(test in fewest) || runSamples < fewest[test]) fewest[test] = runSamples
    header = 0; test = ""; next
  }
  test != "" && header {
    outcome = substr($0, 1, resultEnd); gsub(/^ +| +$/, "", outcome)
    n = substr($0, resultEnd + 1, samplesEnd - resultEnd); gsub(/[ ,]/, "", n)
    runSamples += n; samples[test] += n
    key = test SUBSEP outcome
    if (!(key in count)) order[test] = order[test] (order[test] == "" ? "" : SUBSEP) outcome
    count[key] += n
  }
  END {
    print "| test | verdict | runs | samples | fewest in one run | outcomes (samples) |"
    print "|---|---|---:|---:|---:|---|"
    fflush()
    for (t in verdict) {
      short = t; sub(/^dev\.kalloc\.stress\.jcstress\./, "", short)
      k = split(order[t], names, SUBSEP); seen = ""
      for (i = 1; i <= k; i++) seen = seen (i > 1 ? "; " : "") names[i] ": " count[t, names[i]]
      printf "| %s | %s | %d | %d | %d | %s |\n", short, verdict[t], runs[t], samples[t], fewest[t], seen | "sort"
    }
    close("sort")
  }
' "$out/jcstress.log" > "$out/samples.md"

echo "long-run.sh: $(( $(wc -l < "$out/samples.md") - 2 )) tests; table in $out/samples.md, log in $out/jcstress.log"
cat "$out/run.txt"
for line in "Failed tests: No matches." "Error tests: No matches."; do
  if ! grep -qF "$line" "$out/jcstress.log"; then
    echo "long-run.sh: the jcstress report lacks \"$line\"" >&2
    [ "$status" -ne 0 ] || status=1
  fi
done
exit "$status"
