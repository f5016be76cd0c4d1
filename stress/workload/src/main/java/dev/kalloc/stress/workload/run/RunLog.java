// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

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
public final class RunLog {
    private final String settings;
    private final Environment environment;
    private final List<RunResult> runs;
    private final Map<String, MemorySeries> series;
    private final Map<String, Histogram> totals;
    /** {@link #runTotal} by run id, filled on first use (a log is read by one thread). */
    private final Map<String, Histogram> runTotals = new java.util.HashMap<>();
    private final long intervals;
    /** The end line's run count, or -1 if the log has no end line. */
    private final int endedRuns;
    /** What the interruption line says, or null if the log has none. */
    private final String interruption;

    private RunLog(String settings, Environment environment, List<RunResult> runs, Map<String, MemorySeries> series,
            Map<String, Histogram> totals, long intervals, int endedRuns, String interruption) {
        this.endedRuns = endedRuns;
        this.interruption = interruption;
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
     * <p>Every line is checked, and a fault names its line: HdrHistogram's reader stops at the
     * first interval histogram it cannot decode as if the log ended there (or throws when the log
     * ends in the middle of a line), so the histogram lines are counted here too and a log that
     * reads back fewer intervals than it holds is refused rather than reported without them.
     *
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if it holds no kalloc run, or a malformed or damaged line
     */
    public static RunLog read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no interval log at " + file);
        }
        String settings = "";
        Environment env = new Environment(Map.of());
        List<RunResult> runs = new ArrayList<>();
        Map<String, Long> runLines = new LinkedHashMap<>();
        Map<String, MemorySeries> series = new LinkedHashMap<>();
        Map<String, Long> seriesLines = new LinkedHashMap<>();
        List<Long> histogramLines = new ArrayList<>();
        long number = 0;
        int endedRuns = -1;
        String interruption = null;
        long lastLine = 0;
        try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)))) {
            while (true) {
                String line;
                try {
                    line = r.readLine();
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new IllegalArgumentException(file + " line " + (number + 1)
                            + ": not UTF-8 text (not a kalloc interval log, or a damaged one)", e);
                }
                if (line == null) {
                    break;
                }
                number++;
                if (lastLine > 0 && !line.isBlank()) {
                    throw new IllegalArgumentException(file + " line " + number + ": follows the "
                            + (interruption != null ? LatencyLog.INTERRUPTED_MARK : LatencyLog.END_MARK) + " line (line "
                            + lastLine + "), which ends a log: two logs run together, or a damaged one");
                }
                String at = file + " line " + number + ": ";
                if (line.startsWith("#" + MemorySeries.MARK + "\t")) {
                    String[] parts = line.split("\t", 3);
                    if (parts.length != 3) {
                        throw new IllegalArgumentException(at + "a " + MemorySeries.MARK
                                + " line needs a run id and a series");
                    }
                    Long first = seriesLines.putIfAbsent(parts[1], number);
                    if (first != null) {
                        throw new IllegalArgumentException(at + "a second " + MemorySeries.MARK + " line for run "
                                + parts[1] + " (the first is line " + first + ")");
                    }
                    try {
                        series.put(parts[1], MemorySeries.decode(parts[2]));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(at + e.getMessage(), e);
                    }
                } else if (line.startsWith("#" + RunResult.MARK + "\t")) {
                    RunResult run;
                    try {
                        run = RunResult.decode(line.substring(1));
                        dev.kalloc.bio.GuaranteeKind.parse(run.guarantee());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(at + e.getMessage(), e);
                    }
                    Long first = runLines.putIfAbsent(run.id(), number);
                    if (first != null) {
                        throw new IllegalArgumentException(at + "a second " + RunResult.MARK + " line for run "
                                + run.id() + " (the first is line " + first + ")");
                    }
                    runs.add(run);
                } else if (line.startsWith("#" + LatencyLog.END_MARK + "\t")) {
                    String count = line.substring(LatencyLog.END_MARK.length() + 2);
                    if (endedRuns >= 0 || !count.matches("\\d{1,9}")) {
                        throw new IllegalArgumentException(at + (endedRuns >= 0 ? "a second " + LatencyLog.END_MARK
                                + " line" : "a " + LatencyLog.END_MARK + " line needs the number of runs"));
                    }
                    endedRuns = Integer.parseInt(count);
                    lastLine = number;
                } else if (line.startsWith("#" + LatencyLog.INTERRUPTED_MARK + "\t")) {
                    interruption = unescape(at, line.substring(LatencyLog.INTERRUPTED_MARK.length() + 2));
                    lastLine = number;
                } else if (line.startsWith("#" + LatencyLog.CONFIG_MARK + "\t")) {
                    settings = unescape(at, line.substring(LatencyLog.CONFIG_MARK.length() + 2));
                } else if (line.startsWith("#" + Environment.MARK + "\t")) {
                    try {
                        env = Environment.decode(line.substring(1)); // the last one has the load at the end
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(at + e.getMessage(), e);
                    }
                } else if (!line.startsWith("#") && !line.isBlank() && !line.startsWith("\"StartTimestamp\"")) {
                    histogramLines.add(number); // what HistogramLogReader reads as an interval histogram
                }
            }
        }
        Map<String, Histogram> totals = new LinkedHashMap<>();
        long intervals = 0;
        try (HistogramLogReader reader = new HistogramLogReader(file.toFile())) {
            while (true) {
                EncodableHistogram e;
                try {
                    e = reader.nextIntervalHistogram();
                } catch (RuntimeException x) {
                    throw new IllegalArgumentException(undecodable(file, histogramLines, intervals, number,
                            endsWithNewline(file), x), x);
                }
                if (e == null) {
                    break;
                }
                if (!(e instanceof Histogram)) {
                    throw new IllegalArgumentException(file + " line " + lineOf(histogramLines, intervals)
                            + ": interval histogram " + (intervals + 1) + " is not an integer histogram");
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
        if (intervals < histogramLines.size()) {
            throw new IllegalArgumentException(file + " line " + histogramLines.get((int) intervals)
                    + ": interval histogram " + (intervals + 1) + " of " + histogramLines.size()
                    + " does not decode (HistogramLogReader stops there): the log is damaged");
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no " + RunResult.MARK + " line: not a kalloc run log,"
                    + " or the run was stopped before its first run ended");
        }
        if (endedRuns >= 0 && endedRuns != runs.size()) {
            throw new IllegalArgumentException(file + " line " + lastLine + ": the " + LatencyLog.END_MARK + " line says "
                    + endedRuns + " runs, the log holds " + runs.size() + ": the log is damaged");
        }
        return new RunLog(settings, env, runs, series, totals, intervals, endedRuns, interruption);
    }

    /** {@link RunResult#unescape}, with a refusal naming the file and line it was on. */
    private static String unescape(String at, String escaped) {
        try {
            return RunResult.unescape(escaped);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + e.getMessage(), e);
        }
    }

    /**
     * One line per operation type of a run whose histograms do not hold what the run counted
     * (operations ended, and of those failed), in runs that were not torn down: the log lost
     * interval lines (a deleted or damaged copy), and every figure of that run is from what is
     * left. Runs torn down mid-flight are left out: operations may end after their counters were
     * read.
     */
    public List<String> countMismatches() {
        List<String> lines = new ArrayList<>();
        for (RunResult r : runs) {
            if (r.deadlocked() || !r.error().isEmpty()) {
                continue;
            }
            for (String op : r.opTypes()) {
                long ended = r.counters().getOrDefault("ops." + op, 0L);
                long failedEnded = r.counters().getOrDefault("ops_failed." + op, 0L);
                long logged = total(r.tag(op)).getTotalCount();
                long failedLogged = total(r.failedTag(op)).getTotalCount();
                if (logged != ended - failedEnded || failedLogged != failedEnded) {
                    lines.add("run " + r.id() + " ended " + ended + " operations of type " + op + " (" + failedEnded
                            + " failed) but the log holds " + logged + " under tag " + r.tag(op) + " and " + failedLogged
                            + " under " + r.failedTag(op));
                }
            }
        }
        return lines;
    }

    /**
     * Null if the log records a whole campaign (its end line is there and it holds every run its
     * settings ask for); otherwise why not, in one plain sentence: stopped by a signal (the
     * interruption line), or killed or cut short (no end line), with how many runs it holds.
     */
    public String incompleteness() {
        int planned = plannedRuns();
        String of = runs.size() + (planned > 0 ? " of the " + planned : "") + " runs";
        if (interruption != null) {
            return "INCOMPLETE: the campaign was interrupted: " + interruption + "; the log holds " + of
                    + ", and everything here is about those only";
        }
        if (endedRuns < 0) {
            return "INCOMPLETE: the log has no " + LatencyLog.END_MARK + " line, so the campaign was stopped before its"
                    + " end (killed, or the log was cut short); it holds " + of + ", and everything here is about those"
                    + " only";
        }
        if (planned > runs.size()) {
            return "INCOMPLETE: the log holds " + of + " its settings ask for";
        }
        return null;
    }

    /** Whether {@code file} is empty or its last byte ends a line. */
    private static boolean endsWithNewline(Path file) {
        try (java.nio.channels.SeekableByteChannel c = Files.newByteChannel(file)) {
            if (c.size() == 0) {
                return true;
            }
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            c.position(c.size() - 1).read(last);
            return last.get(0) == '\n';
        } catch (IOException e) {
            return true; // cannot tell; the caller then says only that the log is damaged
        }
    }

    /** The line of the {@code index}-th interval histogram (from 0), or "?" past the last. */
    private static String lineOf(List<Long> histogramLines, long index) {
        return index < histogramLines.size() ? String.valueOf(histogramLines.get((int) index)) : "?";
    }

    /** Why HistogramLogReader threw while reading interval {@code index} (from 0) of {@code file}. */
    private static String undecodable(Path file, List<Long> histogramLines, long index, long lines, boolean ended,
            RuntimeException x) {
        String why = x.getMessage() == null ? x.getClass().getSimpleName() : x.getClass().getSimpleName() + ": "
                + x.getMessage();
        if (index < histogramLines.size() && histogramLines.get((int) index) < lines) {
            return file + " line " + histogramLines.get((int) index) + ": interval histogram " + (index + 1) + " of "
                    + histogramLines.size() + " does not decode with HistogramLogReader (" + why + "): the log is damaged";
        }
        if (ended) {
            return file + ": HistogramLogReader fails after interval histogram " + index + " (" + why
                    + "): the log is damaged";
        }
        // The reader failed on the last line: HdrHistogram's scanner throws there when the line has
        // no end, which is how a log cut short (a stopped run, a truncated copy) ends.
        return file + " line " + lines + ": the log ends in the middle of this line (" + why + "): it was cut short;"
                + " a run stopped while writing it, or a truncated copy";
    }

    /** The memory series of {@code r}, or null if the log has none for it. */
    public MemorySeries series(RunResult r) {
        return series.get(r.id());
    }

    /** What the campaign ran on (empty for a log written before it was recorded). */
    public Environment environment() {
        return environment;
    }

    /** The value of {@code key=} in the settings line, or null. */
    public String setting(String key) {
        for (String kv : settings.split(" ")) {
            if (kv.startsWith(key + "=")) {
                return kv.substring(key.length() + 1);
            }
        }
        return null;
    }

    /**
     * The runs the settings line asks for (trials x scenarios x guarantees), or -1 if it does not
     * say: a log holding fewer is of a campaign stopped before its end.
     */
    public int plannedRuns() {
        String trials = setting("trials");
        String scenarios = setting("scenarios");
        String guarantees = setting("guarantees");
        if (trials == null || scenarios == null || guarantees == null || scenarios.isEmpty() || guarantees.isEmpty()) {
            return -1;
        }
        try {
            long n = Long.parseLong(trials) * scenarios.split(",").length * guarantees.split(",").length;
            return n > 0 && n <= Integer.MAX_VALUE ? (int) n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The campaign's settings line. */
    public String settings() {
        return settings;
    }

    public List<RunResult> runs() {
        return runs;
    }

    /** The summed histogram of {@code tag}, or an empty one if the tag never recorded. */
    public Histogram total(String tag) {
        Histogram h = totals.get(tag);
        if (h == null) {
            h = new Histogram(3);
            h.setTag(tag);
        }
        return h;
    }

    /** Every tag seen, in log order. */
    public List<String> tags() {
        return new ArrayList<>(totals.keySet());
    }

    /**
     * The successful operations of every type of a run, summed: every latency figure of a trial
     * is read from it, several times per report, so it is summed once and kept. Read only.
     */
    public Histogram runTotal(RunResult r) {
        return runTotals.computeIfAbsent(r.id(), id -> {
            Histogram sum = new Histogram(3);
            for (String op : r.opTypes()) {
                sum.add(total(r.tag(op)));
            }
            return sum;
        });
    }

    /** The failed operations of every type of a run, summed. */
    public Histogram runFailedTotal(RunResult r) {
        Histogram sum = new Histogram(3);
        for (String op : r.opTypes()) {
            sum.add(total(r.failedTag(op)));
        }
        return sum;
    }

    /**
     * The cells (scenario x guarantee) with their trials: scenarios in the order they first
     * appear, guarantees in {@link dev.kalloc.bio.GuaranteeKind}'s order (the campaign rotates
     * the order it runs them in), trials by number.
     */
    public List<Cell> cells() {
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
        for (dev.kalloc.bio.GuaranteeKind g : dev.kalloc.bio.GuaranteeKind.values()) {
            if (g.label().equals(label)) {
                return g.ordinal();
            }
        }
        return Integer.MAX_VALUE;
    }

    /**
     * The successful operations of type {@code op} of every trial of {@code cell} that ran to the
     * end (neither deadlocked nor broke), summed.
     */
    public Histogram pooled(Cell cell, String op) {
        Histogram sum = new Histogram(3);
        for (RunResult r : cell.trials()) {
            if (!r.deadlocked() && r.error().isEmpty()) {
                sum.add(total(r.tag(op)));
            }
        }
        return sum;
    }

    /** As {@link #pooled}, for the failed operations. */
    public Histogram pooledFailed(Cell cell, String op) {
        Histogram sum = new Histogram(3);
        for (RunResult r : cell.trials()) {
            if (!r.deadlocked() && r.error().isEmpty()) {
                sum.add(total(r.failedTag(op)));
            }
        }
        return sum;
    }

    /** Interval histograms read. */
    public long intervals() {
        return intervals;
    }

    /** Scenario names in the order their first run appears. */
    public List<String> scenarios() {
        List<String> s = new ArrayList<>();
        for (RunResult r : runs) {
            if (!s.contains(r.scenario())) {
                s.add(r.scenario());
            }
        }
        return s;
    }
}
