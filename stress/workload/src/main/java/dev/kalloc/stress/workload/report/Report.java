// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.Environment;
import dev.kalloc.stress.workload.run.MemorySeries;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.run.Text;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Renders a campaign's outputs from its {@link RunLog} into its folder: a {@code .hgrm}
 * percentile distribution per cell and operation type, pooled over the cell's trials
 * (HdrHistogram's own format, milliseconds; failed operations in their own file),
 * {@code summary.json}, one percentile plot per scenario and operation type comparing the
 * guarantees, and {@code index.html} with the debate section, the environment, the summary table
 * with intervals, the verdicts, the plots, where deadlocked threads waited, the counters and the
 * {@code /proc} snapshots. Everything is computed by {@link Analysis} from the log alone, and
 * rendering again overwrites the same files, so {@code kalloc report} reproduces what the run
 * wrote.
 */
public final class Report {
    public static final String INDEX = "index.html";
    public static final String SUMMARY = "summary.json";
    /** The debate section as Markdown, for pasting into a README. */
    static final String DEBATE = "debate.md";
    /** The folder of JMH result files folded into the report ({@code kalloc report --jmh}). */
    public static final String JMH = "jmh";
    private static final double NS_PER_MS = 1e6;

    private final RunLog log;
    private final Analysis analysis;
    private final Path dir;
    private final JmhResults jmh;
    /** Where the files being rendered go: a stage in {@code dir} while rendering, else null. */
    private Path out;

    /**
     * The report of {@code log} in {@code dir}, with the JMH results kept in {@code dir/jmh/}.
     *
     * @throws IOException if a JMH file there cannot be read
     * @throws IllegalArgumentException if a JMH file there is not JMH's JSON
     */
    public Report(RunLog log, Path dir) throws IOException {
        this.log = log;
        this.analysis = Analysis.of(log);
        this.dir = dir;
        this.jmh = readJmh(dir.resolve(JMH));
    }

    /** The JMH results in {@code folder} (every {@code .json}, by name), or null if there are none. */
    public static JmhResults readJmh(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return null;
        }
        List<Path> files;
        try (java.util.stream.Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        if (files.isEmpty()) {
            return null;
        }
        List<JmhResults> parts = new ArrayList<>();
        for (Path f : files) {
            parts.add(JmhResults.read(f));
        }
        return JmhResults.merge(parts);
    }

    /** The debate's rows for this campaign. */
    List<Debate.Row> debate() {
        String root = System.getProperty("kalloc.root");
        return Debate.rows(analysis, jmh, root == null ? null : Path.of(root));
    }

    public Analysis analysis() {
        return analysis;
    }

    /**
     * Writes every output; returns the path of {@code index.html}. The files are written aside
     * and moved into place together ({@link StagedOutput}): if rendering fails, the folder keeps
     * its earlier report untouched; once it succeeds, no {@code .hgrm} file or plot of an earlier
     * report that this one does not write is left beside it.
     */
    public Path render() throws IOException {
        try (StagedOutput staged = new StagedOutput(dir)) {
            out = staged.stage();
            writeData();
            Environment env = log.environment();
            Files.writeString(out.resolve(DEBATE), DebatePage.markdown(debate(), String.format(Locale.ROOT,
                    "From `%s` (%d trials a cell; kalloc %s, commit %s, %s, %s CPUs, load average %s at the start and %s"
                            + " at the end).", Debate.runCommand(log), analysis.trials(), env.get("kalloc_version"),
                    env.get("commit"), env.get("jdk"), env.get("cpus"), env.get("load_average_start"),
                    env.get(Environment.LOAD_END))), StandardCharsets.UTF_8);
            List<String> plots = writePlots();
            plots.addAll(writeMemoryPlots());
            Files.writeString(out.resolve(INDEX), html(plots), StandardCharsets.UTF_8);
            staged.publish(Report::isRendered, INDEX);
        } finally {
            out = null;
        }
        return dir.resolve(INDEX);
    }

    /**
     * Writes the data outputs only, the {@code .hgrm} files and {@code summary.json}: what a
     * sweep writes at each of its points ({@code kalloc report} on a point renders the rest).
     * Staged as {@link #render} is; it removes stale {@code .hgrm} files, and leaves plots alone.
     */
    public void renderData() throws IOException {
        try (StagedOutput staged = new StagedOutput(dir)) {
            out = staged.stage();
            writeData();
            staged.publish(n -> n.endsWith(".hgrm"), SUMMARY);
        } finally {
            out = null;
        }
    }

    private void writeData() throws IOException {
        writeHgrms();
        Files.writeString(out.resolve(SUMMARY), json(), StandardCharsets.UTF_8);
    }

    /** Whether {@code name} is a file {@link #render} writes: its pages, {@code .hgrm} files and plots. */
    static boolean isRendered(String name) {
        return name.equals(INDEX) || name.equals(SUMMARY) || name.equals(DEBATE) || name.endsWith(".hgrm")
                || (name.endsWith(".png") && (name.startsWith("plot-") || name.startsWith("memory-")));
    }

    /** The {@code .hgrm} file of a cell's operation type: {@code scenario.guarantee.op[.failed].hgrm}. */
    static String hgrmName(Cell cell, String op, boolean failed) {
        return cell.scenario() + "." + cell.guarantee() + "." + op + (failed ? "." + RunResult.FAILED : "") + ".hgrm";
    }

    /** Every operation type any trial of {@code cell} recorded, in first-seen order. */
    static List<String> opsOf(Cell cell) {
        List<String> ops = new ArrayList<>();
        for (RunResult r : cell.trials()) {
            for (String op : r.opTypes()) {
                if (!ops.contains(op)) {
                    ops.add(op);
                }
            }
        }
        return ops;
    }

    /**
     * The {@code .hgrm} files the report of {@code log} writes (those with at least one value):
     * the trials that ran to the end, pooled, as the plots pool them; a deadlocked trial is a
     * truncated run and stays out, as it stays out of every figure.
     */
    public static List<String> hgrmFiles(RunLog log) {
        List<String> files = new ArrayList<>();
        for (Cell c : log.cells()) {
            for (String op : opsOf(c)) {
                if (log.pooled(c, op).getTotalCount() > 0) {
                    files.add(hgrmName(c, op, false));
                }
                if (log.pooledFailed(c, op).getTotalCount() > 0) {
                    files.add(hgrmName(c, op, true));
                }
            }
        }
        return files;
    }

    private void writeHgrms() throws IOException {
        for (Cell c : log.cells()) {
            for (String op : opsOf(c)) {
                writeHgrm(hgrmName(c, op, false), log.pooled(c, op));
                writeHgrm(hgrmName(c, op, true), log.pooledFailed(c, op));
            }
        }
    }

    private void writeHgrm(String name, Histogram h) throws IOException {
        if (h.getTotalCount() == 0) {
            return;
        }
        try (PrintStream ps = new PrintStream(Files.newOutputStream(out.resolve(name)), false, StandardCharsets.UTF_8.name())) {
            h.outputPercentileDistribution(ps, 5, NS_PER_MS);
        }
    }

    /**
     * {@code summary.json}: the settings and environment; per cell the statistics of every
     * metric (per-trial values, median, interval and its confidence) and the outcomes; per
     * scenario the verdict of every metric with its significant findings; per run (trial) its
     * result, latency percentiles of successful and of failed operations, and counters.
     */
    String json() {
        Json j = new Json();
        j.beginObject();
        j.name("settings").value(log.settings());
        j.name("environment").beginObject();
        log.environment().fields().forEach((k, v) -> j.name(k).value(v));
        j.endObject();
        j.name("trials").value(analysis.trials());
        j.name("debate").beginArray();
        for (Debate.Row r : debate()) {
            j.beginObject();
            j.name("id").value(r.id());
            j.name("who").value(r.who());
            j.name("claim").value(r.claim());
            j.name("measurement").value(r.measurement());
            j.name("figure").value(r.figure());
            j.name("verdict").value(r.status().text());
            j.name("why").value(r.note());
            j.name("command").value(r.command());
            j.endObject();
        }
        j.endArray();
        j.name("exit_fails").value(failed());
        String incomplete = log.incompleteness();
        j.name("complete").value(incomplete == null);
        if (incomplete != null) {
            j.name("incomplete").value(incomplete);
        }
        j.name("cells").beginArray();
        for (CellStats s : analysis.cells()) {
            j.beginObject();
            j.name("scenario").value(s.cell().scenario());
            j.name("guarantee").value(s.cell().guarantee());
            j.name("outcomes").value(s.cell().outcomes());
            j.name("trials").value(s.cell().trials().size());
            j.name("trials_counted").value(s.counted().size());
            j.name("deadlocks").value(s.cell().deadlocks());
            j.name("rankable").value(s.cell().rankable());
            j.name("metrics").beginObject();
            for (Metric m : Metric.values()) {
                CellStats.Figure f = s.figure(m);
                j.name(m.label()).beginObject();
                j.name("unit").value(m.unit());
                if (f.present()) {
                    j.name("median").value(f.estimate().median());
                    j.name("lo").value(f.estimate().lo());
                    j.name("hi").value(f.estimate().hi());
                    j.name("confidence").value(f.estimate().confidence());
                    j.name("values").beginArray();
                    for (double v : f.values()) {
                        j.value(v);
                    }
                    j.endArray();
                } else if (f.unsupported() > 0) {
                    j.name("unsupported_trials").value(f.unsupported());
                    j.name("samples_needed_per_trial").value(Support.needed(m.percentile()));
                }
                j.endObject();
            }
            j.endObject();
            j.endObject();
        }
        j.endArray();
        j.name("verdicts").beginArray();
        for (String scenario : log.scenarios()) {
            for (Comparison c : analysis.comparisons(scenario)) {
                j.beginObject();
                j.name("scenario").value(scenario);
                j.name("metric").value(c.metric().label());
                j.name("line").value(c.line());
                j.name("winner").value(c.winner() == null ? "" : c.winner());
                j.name("findings").beginArray();
                for (Comparison.Finding f : c.findings()) {
                    j.beginObject();
                    j.name("better").value(f.better());
                    j.name("worse").value(f.worse());
                    j.name("p").value(f.p());
                    j.endObject();
                }
                j.endArray();
                j.name("not_ranked").beginObject();
                c.excluded().forEach((g, why) -> j.name(g).value(why));
                j.endObject();
                j.endObject();
            }
        }
        j.endArray();
        j.name("runs").beginArray();
        for (RunResult r : log.runs()) {
            runJson(j, r);
        }
        j.endArray();
        j.endObject();
        return j.toString();
    }

    private void runJson(Json j, RunResult r) {
        j.beginObject();
        j.name("scenario").value(r.scenario());
        j.name("guarantee").value(r.guarantee());
        j.name("trial").value(r.trial());
        j.name("seed").value(r.seed());
        j.name("outcome").value(r.outcome());
        j.name("fails_command").value(r.failsCommand());
        j.name("offered_ops_per_s").value(r.offeredRate());
        j.name("done_ops_per_s").value(r.goodput());
        j.name("load_seconds").value(r.loadSeconds());
        j.name("started").value(r.started());
        j.name("completed").value(r.completed());
        j.name("failed").value(r.failed());
        j.name("stalls").value(r.stalls());
        j.name("deadlocked").value(r.deadlocked());
        j.name("held_bytes_avg").value(r.idleBytes());
        j.name("price_bytes_avg").value(r.priceBytes());
        j.name("bytes_verified").value(r.bytesVerified());
        j.name("mismatches").value(r.mismatches());
        j.name("error").value(r.error());
        j.name("wait_sites").beginArray();
        for (String w : r.waitSites()) {
            j.value(w);
        }
        j.endArray();
        j.name("latency_ms").beginObject();
        percentiles(j, "all", log.runTotal(r));
        for (String op : r.opTypes()) {
            percentiles(j, op, log.total(r.tag(op)));
        }
        j.endObject();
        j.name("failed_latency_ms").beginObject();
        percentiles(j, "all", log.runFailedTotal(r));
        j.endObject();
        j.name("counters").beginObject();
        for (Map.Entry<String, Long> c : r.counters().entrySet()) {
            j.name(c.getKey()).value(c.getValue());
        }
        j.endObject();
        j.endObject();
    }

    /** Count, then each percentile the sample count supports, then max. */
    private static void percentiles(Json j, String name, Histogram h) {
        j.name(name).beginObject();
        j.name("count").value(h.getTotalCount());
        for (Metric m : List.of(Metric.P50, Metric.P99, Metric.P99_9)) {
            if (Support.supported(h.getTotalCount(), m.percentile())) {
                j.name(m.label()).value(h.getValueAtPercentile(m.percentile()) / NS_PER_MS);
            }
        }
        if (h.getTotalCount() > 0) {
            j.name("max").value(h.getMaxValue() / NS_PER_MS);
        }
        j.endObject();
    }

    /** True if some run fails the command. */
    public boolean failed() {
        return analysis.failed();
    }

    /** One plot per scenario and operation type, trials pooled; returns the file names written. */
    private List<String> writePlots() throws IOException {
        List<String> files = new ArrayList<>();
        for (String scenario : log.scenarios()) {
            List<String> ops = new ArrayList<>();
            for (CellStats s : analysis.cells(scenario)) {
                for (String op : opsOf(s.cell())) {
                    if (!ops.contains(op)) {
                        ops.add(op);
                    }
                }
            }
            for (String op : ops) {
                List<String> names = new ArrayList<>();
                List<Histogram> hs = new ArrayList<>();
                for (CellStats s : analysis.cells(scenario)) {
                    Cell c = s.cell();
                    Histogram h = log.pooled(c, op);
                    String note = c.deadlocks() > 0 ? ", " + c.deadlocks() + " deadlocked trials left out" : "";
                    names.add(String.format(Locale.ROOT, "%s (%d trials, %d ops%s)", c.guarantee(), s.counted().size(),
                            h.getTotalCount(), note));
                    hs.add(h);
                }
                String file = "plot-" + scenario + "-" + op + ".png";
                if (PercentilePlot.write(out.resolve(file), scenario + ": " + op + ", successful operations, trials pooled",
                        names, hs)) {
                    files.add(file);
                }
            }
        }
        return files;
    }

    /** The memory plot's file name of {@code scenario}. */
    static String memoryPlotName(String scenario) {
        return "memory-" + scenario + ".png";
    }

    /**
     * One memory plot per scenario, the guarantees side by side, each from its first trial that
     * ran to the end (the first trial, if none did).
     */
    private List<String> writeMemoryPlots() throws IOException {
        List<String> files = new ArrayList<>();
        for (String scenario : log.scenarios()) {
            List<String> labels = new ArrayList<>();
            List<MemorySeries> series = new ArrayList<>();
            for (CellStats s : analysis.cells(scenario)) {
                RunResult r = s.counted().isEmpty() ? s.cell().trials().get(0) : s.counted().get(0);
                MemorySeries m = log.series(r);
                if (m != null) {
                    labels.add(r.guarantee() + ", trial " + r.trial());
                    series.add(m);
                }
            }
            String file = memoryPlotName(scenario);
            if (!series.isEmpty() && MemoryPlot.write(out.resolve(file), scenario + ": memory over time (pages)", labels,
                    series)) {
                files.add(file);
            }
        }
        return files;
    }

    /** The page's head and the opening of its body, with the style every kalloc page shares. */
    public static String htmlHead(String title) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Text.html(title) + "</title>\n"
                + "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
                + "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}"
                + "td.n{text-align:right;white-space:nowrap}.fail{color:#b00;font-weight:bold}.ok{color:#070}"
                + "pre{background:#f6f6f6;padding:6px;overflow-x:auto;font-size:85%}</style></head><body>\n";
    }

    private String html(List<String> plots) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append(htmlHead("kalloc workload report"));
        h.append("<h1>kalloc workload report</h1>\n");
        String incomplete = log.incompleteness();
        if (incomplete != null) {
            h.append("<p class=\"fail\">").append(Text.html(incomplete)).append(".</p>\n");
        }
        for (String lost : log.countMismatches()) {
            h.append("<p class=\"fail\">WARNING: ").append(Text.html(lost))
                    .append(": the log lost intervals, and this run's figures are from what is left.</p>\n");
        }
        h.append("<p>").append(failed() ? "<span class=\"fail\">FAILED</span>: a guarantee that promises forward"
                + " progress deadlocked, lost data or broke in some trial." : "<span class=\"ok\">PASSED</span>: no deadlock,"
                + " data mismatch or error on mempool or reservation in any trial.").append("</p>\n");
        h.append(DebatePage.html(debate()));
        h.append(environmentHtml());
        h.append(howToRead());
        h.append("<h2>Summary</h2>\n").append(htmlTable()).append('\n');
        h.append("<p>").append(Text.html(SummaryTable.legend(analysis, SummaryTable.HTML_METRICS))).append("</p>\n");
        for (String scenario : log.scenarios()) {
            h.append("<h2 id=\"").append(Text.html(scenario)).append("\">Scenario ").append(Text.html(scenario))
                    .append("</h2>\n<h3>Verdict</h3>\n<ul>\n");
            for (String line : Verdict.lines(analysis, scenario)) {
                boolean fail = line.contains("FAILED");
                h.append("<li").append(fail ? " class=\"fail\"" : "").append('>').append(Text.html(line)).append("</li>\n");
            }
            h.append("</ul>\n");
            for (String p : plots) {
                if (p.startsWith("plot-" + scenario + "-") || p.equals(memoryPlotName(scenario))) {
                    h.append("<p><img src=\"").append(Text.html(p)).append("\" alt=\"").append(Text.html(p))
                            .append("\"></p>\n");
                }
            }
            for (RunResult r : log.runs()) {
                if (r.scenario().equals(scenario)) {
                    h.append(runDetails(r));
                }
            }
        }
        h.append("<h2>Files</h2>\n<p><a href=\"").append(Campaign.LOG).append("\">").append(Campaign.LOG)
                .append("</a> (HdrHistogram interval log, tags <code>scenario/guarantee/tN/op</code> and"
                        + " <code>.../op/failed</code>), <a href=\"")
                .append(SUMMARY).append("\">").append(SUMMARY).append("</a>");
        for (String f : hgrmFiles(log)) {
            h.append(", <a href=\"").append(Text.html(f)).append("\">").append(Text.html(f)).append("</a>");
        }
        h.append("</p>\n</body></html>\n");
        return h.toString();
    }

    private String environmentHtml() {
        StringBuilder e = new StringBuilder("<h2>Settings and environment</h2>\n<p>Settings: <code>")
                .append(Text.html(log.settings())).append("</code></p>\n<table>");
        log.environment().fields().forEach((k, v) -> e.append("<tr><td>").append(Text.html(k)).append("</td><td>")
                .append(Text.html(v)).append("</td></tr>"));
        return e.append("</table>\n").toString();
    }

    private String howToRead() {
        return "<details><summary>How to read this report</summary><ul>\n"
                + "<li>Each scenario ran " + analysis.trials() + " independent trials on each guarantee, each on a freshly"
                + " booted machine under memory pressure with its own seed, with load offered at a fixed rate (open loop)."
                + " The guarantees' order was rotated from trial to trial.</li>\n"
                + "<li>Every figure is the median over trials with the 95% interval of the median from order statistics"
                + " (distribution-free; with 5 trials or fewer no interval reaches 95%, and [min-max] is shown).</li>\n"
                + "<li>A difference is called only when a two-sided Mann-Whitney U test over the trials, Holm-corrected"
                + " over the pairs of guarantees compared for that scenario and metric, is significant at 5%;"
                + " otherwise the verdict says no difference was shown. A tie is never a win.</li>\n"
                + "<li>Latency is of successful operations, measured from each operation's <em>intended</em> start (no"
                + " coordinated omission). Failed operations have their own histograms. A percentile is shown only where"
                + " each trial has at least 10 samples beyond it.</li>\n"
                + "<li>The plots pool the trials that ran to the end; the percentile axis is log10(1/(1-p)), the number of"
                + " nines: 1 = 90%, 2 = 99%, 3 = 99.9%; each curve ends where 10 samples remain beyond it.</li>\n"
                + "<li><em>held</em>: what the guarantee set aside and did not use (pool elements, reserved pages R)."
                + " <em>price</em>: what it took from everyone else: for a mempool the same idle elements, for a"
                + " reservation max(0, R - C) per zone, since clean page-cache pages C occupy reserved memory until it is"
                + " needed (LaHaise, 15 Dec 2001). Both time-averaged.</li>\n"
                + "<li>A trial that <em>DEADLOCK</em>ed (no progress for the watchdog's limit) is marked and its cell is"
                + " never ranked; on mempool or reservation it fails the command.</li>\n"
                + "</ul></details>\n";
    }

    private String htmlTable() {
        StringBuilder t = new StringBuilder("<table><tr>");
        for (String c : SummaryTable.header(SummaryTable.HTML_METRICS)) {
            t.append("<th>").append(Text.html(c)).append("</th>");
        }
        t.append("<th>verified MiB/trial</th></tr>\n");
        for (CellStats s : analysis.cells()) {
            List<String> row = SummaryTable.row(s, SummaryTable.HTML_METRICS);
            boolean fail = s.cell().failingTrials() > 0;
            t.append("<tr").append(fail ? " class=\"fail\"" : "").append('>');
            for (int c = 0; c < row.size(); c++) {
                t.append(c < 3 ? "<td>" : "<td class=\"n\">").append(Text.html(row.get(c))).append("</td>");
            }
            long verified = 0;
            for (RunResult r : s.counted()) {
                verified += r.bytesVerified();
            }
            double perTrial = s.counted().isEmpty() ? 0 : verified / (double) s.counted().size() / (1 << 20);
            t.append("<td class=\"n\">").append(String.format(Locale.ROOT, "%.1f", perTrial)).append("</td></tr>\n");
        }
        return t.append("</table>").toString();
    }

    private String runDetails(RunResult r) throws IOException {
        StringBuilder d = new StringBuilder();
        d.append("<details><summary>").append(Text.html(r.guarantee())).append(", trial ").append(r.trial()).append(": ")
                .append(Text.html(r.outcome())).append(", counters and /proc</summary>\n");
        if (!r.waitSites().isEmpty()) {
            d.append("<p>Where the run's threads waited when the watchdog fired:</p><pre>");
            for (String w : r.waitSites()) {
                d.append(Text.html(w)).append('\n');
            }
            d.append("</pre>\n");
        }
        d.append("<table>");
        for (Map.Entry<String, Long> c : r.counters().entrySet()) {
            d.append("<tr><td>").append(Text.html(c.getKey())).append("</td><td class=\"n\">").append(c.getValue())
                    .append("</td></tr>");
        }
        d.append("</table>\n");
        for (String when : new String[] {"start", "end"}) {
            Path p = dir.resolve(Campaign.PROC).resolve(r.id() + "." + when + ".txt");
            if (Files.isRegularFile(p)) {
                d.append("<p>/proc at the ").append(when).append(" of the run:</p><pre>")
                        .append(Text.html(Files.readString(p, StandardCharsets.UTF_8))).append("</pre>\n");
            }
        }
        return d.append("</details>\n").toString();
    }

    /** A one-line description, for the terminal. */
    public String outcomeLine() {
        long failedRuns = log.runs().stream().filter(RunResult::failsCommand).count();
        int fewest = analysis.cells().stream().mapToInt(c -> c.cell().trials().size()).min().orElse(0);
        String trials = fewest == analysis.trials() ? String.valueOf(fewest) : fewest + "-" + analysis.trials();
        int planned = log.plannedRuns();
        String stopped = log.incompleteness() == null ? ""
                : planned > log.runs().size() ? String.format(Locale.ROOT, " (INCOMPLETE: the campaign stopped after %d of its"
                        + " %d runs)", log.runs().size(), planned) : " (INCOMPLETE: no end line in the log)";
        return String.format(Locale.ROOT, "%d runs (%d cells x %s trials)%s, %d failing the command", log.runs().size(),
                analysis.cells().size(), trials, stopped, failedRuns);
    }

    /** Prints the verdicts, one block per scenario. */
    public void printVerdicts(java.io.PrintWriter out) {
        for (String scenario : log.scenarios()) {
            out.println(scenario + ":");
            for (String line : Verdict.lines(analysis, scenario)) {
                out.println("  " + line);
            }
        }
    }
}
