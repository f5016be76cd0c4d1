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
    private final Environment environment;
    private final List<RunResult> runs;
    private final Map<String, MemorySeries> series;
    private final Map<String, Histogram> totals;
    private final long intervals;

    private RunLog(String settings, Environment environment, List<RunResult> runs, Map<String, MemorySeries> series,
            Map<String, Histogram> totals, long intervals) {
        this.settings = settings;
        this.environment = environment;
        this.runs = runs;
        this.series = series;
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
            while ((e = nextInterval(reader, file, intervals)) != null) {
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
        Environment env = new Environment(Map.of());
        List<RunResult> runs = new ArrayList<>();
        Map<String, MemorySeries> series = new LinkedHashMap<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                if (line.startsWith("#" + MemorySeries.MARK + "\t")) {
                    String[] parts = line.split("\t", 3);
                    if (parts.length != 3) {
                        throw new IllegalArgumentException(file + " line " + number + ": a " + MemorySeries.MARK
                                + " line needs a run id and a series");
                    }
                    try {
                        series.put(parts[1], MemorySeries.decode(parts[2]));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(file + " line " + number + ": " + e.getMessage(), e);
                    }
                } else if (line.startsWith("#" + RunResult.MARK + "\t")) {
                    runs.add(RunResult.decode(line.substring(1)));
                } else if (line.startsWith("#" + LatencyLog.CONFIG_MARK + "\t")) {
                    settings = RunResult.unescape(line.substring(LatencyLog.CONFIG_MARK.length() + 2));
                } else if (line.startsWith("#" + Environment.MARK + "\t")) {
                    env = Environment.decode(line.substring(1)); // the last one has the load at the end
                }
            }
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no " + RunResult.MARK + " line: not a kalloc run log,"
                    + " or the run was stopped before its first run ended");
        }
        return new RunLog(settings, env, runs, series, totals, intervals);
    }

    /** The memory series of {@code r}, or null if the log has none for it. */
    MemorySeries series(RunResult r) {
        return series.get(r.id());
    }

    /**
     * The reader's next histogram. HdrHistogram's reader throws unchecked exceptions of its own
     * on a damaged line (a line cut short: {@code NoSuchElementException}; a bad payload:
     * {@code IllegalArgumentException}, {@code UnsupportedOperationException}, a buffer or
     * format exception); they become one {@link IllegalArgumentException} naming the file and
     * the interval, so that no command answers a damaged log with a stack trace.
     */
    private static EncodableHistogram nextInterval(HistogramLogReader reader, Path file, long read) {
        try {
            return reader.nextIntervalHistogram();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": interval histogram " + (read + 1) + " does not read back ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
    }

    /** What the campaign ran on (empty for a log written before it was recorded). */
    Environment environment() {
        return environment;
    }

    /** The value of {@code key=} in the settings line, or null. */
    String setting(String key) {
        for (String kv : settings.split(" ")) {
            if (kv.startsWith(key + "=")) {
                return kv.substring(key.length() + 1);
            }
        }
        return null;
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

    /** The successful operations of every type of a run, summed. */
    Histogram runTotal(RunResult r) {
        Histogram sum = new Histogram(3);
        for (String op : r.opTypes()) {
            sum.add(total(r.tag(op)));
        }
        return sum;
    }

    /** The failed operations of every type of a run, summed. */
    Histogram runFailedTotal(RunResult r) {
        Histogram sum = new Histogram(3);
        for (String op : r.opTypes()) {
            sum.add(total(r.failedTag(op)));
        }
        return sum;
    }

    /**
     * The cells (scenario x guarantee) with their trials: scenarios in the order they first
     * appear, guarantees in {@link dev.kalloc.bio.StandardGuarantee}'s order (the campaign rotates
     * the order it runs them in), trials by number.
     */
    List<Cell> cells() {
        Map<String, Map<String, List<RunResult>>> by = new LinkedHashMap<>();
        for (String s : scenarios()) {
            by.put(s, new java.util.TreeMap<>(java.util.Comparator.comparingInt(RunLog::guaranteeRank)
                    .thenComparing(java.util.Comparator.naturalOrder())));
        }
        for (RunResult r : runs) {
            by.get(r.scenario()).computeIfAbsent(r.guarantee(), g -> new ArrayList<>()).add(r);
        }
        List<Cell> cells = new ArrayList<>();
        by.forEach((s, gs) -> gs.forEach((g, trials) -> {
            trials.sort(java.util.Comparator.comparingInt(RunResult::trial));
            cells.add(new Cell(s, g, List.copyOf(trials)));
        }));
        return cells;
    }

    private static int guaranteeRank(String label) {
        for (dev.kalloc.bio.StandardGuarantee g : dev.kalloc.bio.StandardGuarantee.values()) {
            if (g.label().equals(label)) {
                return g.ordinal();
            }
        }
        return Integer.MAX_VALUE;
    }

    /** The successful operations of type {@code op} of every trial of {@code cell}, summed (for plots). */
    Histogram pooled(Cell cell, String op) {
        Histogram sum = new Histogram(3);
        for (RunResult r : cell.trials()) {
            sum.add(total(r.tag(op)));
        }
        return sum;
    }

    /** The failed operations of type {@code op} of every trial of {@code cell}, summed. */
    Histogram pooledFailed(Cell cell, String op) {
        Histogram sum = new Histogram(3);
        for (RunResult r : cell.trials()) {
            sum.add(total(r.failedTag(op)));
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
