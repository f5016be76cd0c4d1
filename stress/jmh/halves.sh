# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh and debate.sh: runs JMH with -t 1 and then -t 2, recording the load average
# around each half in target/loadavg.txt, then prints ratios.py's tables (whose exit status, 3 for
# a disturbed run, becomes the script's).
#   run_halves JAR "JMH options" [more JMH arguments...]
run_halves() {
    jar=$1
    opts=$2
    shift 2
    if [ ! -f "$jar" ]; then
        echo "$jar is missing: build it first with ./mvnw -B -DskipTests package -pl stress/jmh -am" >&2
        return 2
    fi
    : > target/loadavg.txt
    for t in 1 2; do
        echo "before $t thread(s), $(date -u '+%F %T') UTC: $(cat /proc/loadavg 2>/dev/null || uptime)" >> target/loadavg.txt
        # shellcheck disable=SC2086 # the options are words on purpose
        java -jar "$jar" $opts -t "$t" -rf json -rff "target/results-t$t.json" "$@"
        echo "after $t thread(s), $(date -u '+%F %T') UTC: $(cat /proc/loadavg 2>/dev/null || uptime)" >> target/loadavg.txt
    done
    python3 ratios.py --load target/loadavg.txt target/results-t1.json target/results-t2.json
}
