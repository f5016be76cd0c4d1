package dev.kalloc.stress.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * A campaign read back from its interval log: the histograms with HdrHistogram's own
 * {@link HistogramLogReader}, summed per tag over every interval, and kalloc's comment lines
 * (settings, one result per run) by a plain line scan, since HdrHistogram's readers skip
 * comments. The report is always rendered from one of these, whether just after a run or by
 * {@code kalloc report} later, so there is one path from log to report.
 */
final class RunLog {
    private final String settings;
    private final List<RunResult> runs;
    private final Map<String, Histogram> totals;
    private final long intervals;

    private RunLog(String settings, List<RunResult> runs, Map<String, Histogram> totals, long intervals) {
        this.settings = settings;
        this.runs = runs;
        this.totals = totals;
        this.intervals = intervals;
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if it holds no kalloc run, or a malformed kalloc line
     */
    static RunLog read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no interval log at " + file);
        }
        Map<String, Histogram> totals = new LinkedHashMap<>();
        long intervals = 0;
        try (HistogramLogReader reader = new HistogramLogReader(file.toFile())) {
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null) {
                if (!(e instanceof Histogram)) {
                    throw new IllegalArgumentException(file + ": interval " + intervals + " is not an integer histogram");
                }
                Histogram h = (Histogram) e;
                String tag = h.getTag() == null ? "" : h.getTag();
                totals.computeIfAbsent(tag, t -> {
                    Histogram sum = new Histogram(3);
                    sum.setTag(t);
                    return sum;
                }).add(h);
                intervals++;
            }
        }
        String settings = "";
        List<RunResult> runs = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#" + RunResult.MARK + "\t")) {
                    runs.add(RunResult.decode(line.substring(1)));
                } else if (line.startsWith("#" + LatencyLog.CONFIG_MARK + "\t")) {
                    settings = RunResult.unescape(line.substring(LatencyLog.CONFIG_MARK.length() + 2));
                }
            }
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no " + RunResult.MARK + " line: not a kalloc run log,"
                    + " or the run was stopped before its first run ended");
        }
        return new RunLog(settings, runs, totals, intervals);
    }

    /** The campaign's settings line. */
    String settings() {
        return settings;
    }

    List<RunResult> runs() {
        return runs;
    }

    /** The summed histogram of {@code tag}, or an empty one if the tag never recorded. */
    Histogram total(String tag) {
        Histogram h = totals.get(tag);
        if (h == null) {
            h = new Histogram(3);
            h.setTag(tag);
        }
        return h;
    }

    /** Every tag seen, in log order. */
    List<String> tags() {
        return new ArrayList<>(totals.keySet());
    }

    /** All operation types of a run, summed. */
    Histogram runTotal(RunResult r) {
        Histogram sum = new Histogram(3);
        for (String op : r.opTypes()) {
            sum.add(total(r.tag(op)));
        }
        return sum;
    }

    /** Interval histograms read. */
    long intervals() {
        return intervals;
    }

    /** Scenario names in the order their first run appears. */
    List<String> scenarios() {
        List<String> s = new ArrayList<>();
        for (RunResult r : runs) {
            if (!s.contains(r.scenario())) {
                s.add(r.scenario());
            }
        }
        return s;
    }
}
