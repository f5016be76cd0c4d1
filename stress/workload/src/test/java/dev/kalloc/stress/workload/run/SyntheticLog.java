// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A {@code kalloc.hlog} whose every per-trial metric value is chosen by the test: each trial
 * records its successful operations all at one latency (so p50, p99 and p99.9 are that latency,
 * where the count supports them), its failed operations under the failed tag, and a
 * {@link RunResult} line whose counters agree with the histograms (so {@code kalloc check} finds
 * nothing wrong with it). Written with {@link LatencyLog}, read back with {@link RunLog#read}: the
 * same path a campaign's log takes.
 */
public final class SyntheticLog {
    private String settings;

    /** The log's start, epoch milliseconds. */
    static final long T0 = 1_700_000_000_000L;
    /** The one operation type of every synthetic trial. */
    static final String OP = "write";
    /** Where failed operations are recorded: failed latencies are never in the latency figures. */
    static final long FAILED_NANOS = 50_000;

    /** One trial; fields have defaults that make it an unremarkable, fully supported run. */
    public static final class Trial {
        final String scenario;
        final String guarantee;
        public final int trial;
        public long ok = 1000;
        long latencyNanos = 1_000_000;
        public long failed;
        public double loadSeconds = 1;
        public double offeredRate = 1000;
        double heldKiB;
        public double priceKiB;
        long stalls;
        public boolean deadlocked;
        public String error = "";

        Trial(String scenario, String guarantee, int trial) {
            this.scenario = scenario;
            this.guarantee = guarantee;
            this.trial = trial;
        }

        /** {@code n} successful operations (1,000 by default: just enough for p99). */
        public Trial ok(long n) {
            this.ok = n;
            return this;
        }

        /** Every successful operation took {@code ms} milliseconds. */
        public Trial latencyMs(double ms) {
            this.latencyNanos = Math.round(ms * 1e6);
            return this;
        }

        public Trial failed(long n) {
            this.failed = n;
            return this;
        }

        public Trial loadSeconds(double s) {
            this.loadSeconds = s;
            return this;
        }

        public Trial offeredRate(double r) {
            this.offeredRate = r;
            return this;
        }

        public Trial priceKiB(double kib) {
            this.priceKiB = kib;
            return this;
        }

        Trial heldKiB(double kib) {
            this.heldKiB = kib;
            return this;
        }

        public Trial deadlocked() {
            this.deadlocked = true;
            return this;
        }

        public Trial error(String e) {
            this.error = e;
            return this;
        }

        RunResult result() {
            long completed = ok + failed;
            Map<String, Long> counters = new LinkedHashMap<>();
            counters.put("ops." + OP, completed);
            counters.put("ops_failed." + OP, failed);
            return new RunResult(scenario, guarantee, trial, trial, offeredRate, 1, loadSeconds, completed, completed,
                    failed, stalls, deadlocked, deadlocked ? List.of("phase load", "w0 [WAITING] synthetic") : List.of(),
                    ok * 4096, 0, List.of(), heldKiB * 1024, priceKiB * 1024, error, counters, List.of(OP));
        }
    }

    private final List<Trial> trials = new ArrayList<>();

    /** Adds trial {@code trial} of {@code scenario} on {@code guarantee} with the defaults. */
    public Trial trial(String scenario, String guarantee, int trial) {
        Trial t = new Trial(scenario, guarantee, trial);
        trials.add(t);
        return t;
    }

    /** Adds {@code n} default trials (numbered from 1) of one cell; returns them to be adjusted. */
    public List<Trial> cell(String scenario, String guarantee, int n) {
        List<Trial> cell = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            cell.add(trial(scenario, guarantee, i));
        }
        return cell;
    }

    /** Adds one trial per value, trial i with every successful operation taking {@code ms[i]} ms. */
    public SyntheticLog latencies(String scenario, String guarantee, double... ms) {
        List<Trial> cell = cell(scenario, guarantee, ms.length);
        for (int i = 0; i < ms.length; i++) {
            cell.get(i).latencyMs(ms[i]);
        }
        return this;
    }

    /** The settings line to write instead of the default {@code synthetic trials=N}. */
    public SyntheticLog settings(String line) {
        this.settings = line;
        return this;
    }

    /** One interval histogram of {@code nanos}, one second long from {@code startMs}. */
    public static Histogram interval(long startMs, long... nanos) {
        Histogram h = new Histogram(3);
        for (long n : nanos) {
            h.recordValue(n);
        }
        h.setStartTimeStamp(startMs);
        h.setEndTimeStamp(startMs + 1000);
        return h;
    }

    /** Writes {@code dir/kalloc.hlog} and reads it back. */
    public RunLog write(Path dir) throws IOException {
        Path file = dir.resolve(Campaign.LOG);
        String line = settings != null ? settings : "synthetic trials=" + trials.size();
        try (LatencyLog log = new LatencyLog(file, T0, line)) {
            long start = T0;
            for (Trial t : trials) {
                RunResult r = t.result();
                Histogram ok = new Histogram(3);
                if (t.ok > 0) {
                    ok.recordValueWithCount(t.latencyNanos, t.ok);
                }
                ok.setStartTimeStamp(start);
                ok.setEndTimeStamp(start + 1000);
                log.interval(r.tag(OP), ok);
                if (t.failed > 0) {
                    Histogram failed = new Histogram(3);
                    failed.recordValueWithCount(FAILED_NANOS, t.failed);
                    failed.setStartTimeStamp(start);
                    failed.setEndTimeStamp(start + 1000);
                    log.interval(r.failedTag(OP), failed);
                }
                log.run(r);
                start += 1000;
            }
            log.end(trials.size());
        }
        return RunLog.read(file);
    }

    /**
     * What a percentile of a trial whose operations all took {@code ms} reads as, in ms: the
     * histogram (3 significant digits) reports the highest value equivalent to the one recorded,
     * e.g. 1,000,447 ns for 1,000,000. Within 0.1% of {@code ms}.
     */
    public static double recorded(double ms) {
        return new Histogram(3).highestEquivalentValue(Math.round(ms * 1e6)) / 1e6;
    }
}
