package dev.kalloc.stress.workload;

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
 * percentile distribution per tag (HdrHistogram's own format, milliseconds), {@code summary.json},
 * one percentile plot per scenario and operation type comparing the guarantees, and
 * {@code index.html} with the verdicts, the summary table, the plots, where deadlocked threads
 * waited, the scenario counters and the {@code /proc} snapshots. Rendering again overwrites the
 * same files, so {@code kalloc report} reproduces what the run wrote.
 */
final class Report {
    static final String INDEX = "index.html";
    static final String SUMMARY = "summary.json";
    private static final double NS_PER_MS = 1e6;

    private final RunLog log;
    private final Path dir;

    Report(RunLog log, Path dir) {
        this.log = log;
        this.dir = dir;
    }

    /** Writes every output; returns the path of {@code index.html}. */
    Path render() throws IOException {
        Files.createDirectories(dir);
        writeHgrms();
        Files.writeString(dir.resolve(SUMMARY), json(), StandardCharsets.UTF_8);
        List<String> plots = writePlots();
        Path index = dir.resolve(INDEX);
        Files.writeString(index, html(plots), StandardCharsets.UTF_8);
        return index;
    }

    /** The file name of a tag's {@code .hgrm}: slashes become dots. */
    static String hgrmName(String tag) {
        return tag.replace('/', '.') + ".hgrm";
    }

    private void writeHgrms() throws IOException {
        for (String tag : log.tags()) {
            try (PrintStream ps = new PrintStream(Files.newOutputStream(dir.resolve(hgrmName(tag))), false,
                    StandardCharsets.UTF_8.name())) {
                log.total(tag).outputPercentileDistribution(ps, 5, NS_PER_MS);
            }
        }
    }

    /** {@code summary.json}: the settings, then per run its result and latency percentiles per op type. */
    String json() {
        Json j = new Json();
        j.beginObject();
        j.name("settings").value(log.settings());
        j.name("exit_fails").value(failed());
        j.name("runs").beginArray();
        for (RunResult r : log.runs()) {
            j.beginObject();
            j.name("scenario").value(r.scenario());
            j.name("guarantee").value(r.guarantee());
            j.name("outcome").value(r.outcome());
            j.name("fails_command").value(r.failsCommand());
            j.name("offered_ops_per_s").value(r.offeredRate());
            j.name("achieved_ops_per_s").value(r.throughput());
            j.name("load_seconds").value(r.loadSeconds());
            j.name("started").value(r.started());
            j.name("completed").value(r.completed());
            j.name("failed").value(r.failed());
            j.name("stalls").value(r.stalls());
            j.name("deadlocked").value(r.deadlocked());
            j.name("idle_bytes_avg").value(r.idleBytes());
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
            j.name("counters").beginObject();
            for (Map.Entry<String, Long> c : r.counters().entrySet()) {
                j.name(c.getKey()).value(c.getValue());
            }
            j.endObject();
            j.endObject();
        }
        j.endArray();
        j.endObject();
        return j.toString();
    }

    private static void percentiles(Json j, String name, Histogram h) {
        j.name(name).beginObject();
        j.name("count").value(h.getTotalCount());
        if (h.getTotalCount() > 0) {
            j.name("p50").value(h.getValueAtPercentile(50) / NS_PER_MS);
            j.name("p99").value(h.getValueAtPercentile(99) / NS_PER_MS);
            j.name("p99.9").value(h.getValueAtPercentile(99.9) / NS_PER_MS);
            j.name("p99.99").value(h.getValueAtPercentile(99.99) / NS_PER_MS);
            j.name("max").value(h.getMaxValue() / NS_PER_MS);
        }
        j.endObject();
    }

    /** True if some run fails the command. */
    boolean failed() {
        for (RunResult r : log.runs()) {
            if (r.failsCommand()) {
                return true;
            }
        }
        return false;
    }

    /** One plot per scenario and operation type; returns the file names written. */
    private List<String> writePlots() throws IOException {
        List<String> files = new ArrayList<>();
        for (String scenario : log.scenarios()) {
            for (String op : opsOf(scenario)) {
                List<String> names = new ArrayList<>();
                List<Histogram> hs = new ArrayList<>();
                for (RunResult r : log.runs()) {
                    if (r.scenario().equals(scenario) && r.opTypes().contains(op)) {
                        names.add(r.guarantee() + (r.deadlocked() ? " (deadlocked)" : ""));
                        hs.add(log.total(r.tag(op)));
                    }
                }
                String file = "plot-" + scenario + "-" + op + ".png";
                if (PercentilePlot.write(dir.resolve(file), scenario + ": " + op, names, hs)) {
                    files.add(file);
                }
            }
        }
        return files;
    }

    private List<String> opsOf(String scenario) {
        List<String> ops = new ArrayList<>();
        for (RunResult r : log.runs()) {
            if (r.scenario().equals(scenario)) {
                for (String op : r.opTypes()) {
                    if (!ops.contains(op)) {
                        ops.add(op);
                    }
                }
            }
        }
        return ops;
    }

    private String html(List<String> plots) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kalloc workload report</title>\n")
                .append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}")
                .append("table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}")
                .append("td.n{text-align:right}.fail{color:#b00;font-weight:bold}.ok{color:#070}")
                .append("pre{background:#f6f6f6;padding:6px;overflow-x:auto;font-size:85%}</style></head><body>\n");
        h.append("<h1>kalloc workload report</h1>\n");
        h.append("<p>").append(failed() ? "<span class=\"fail\">FAILED</span>: a guarantee that promises forward"
                + " progress deadlocked, lost data or broke." : "<span class=\"ok\">PASSED</span>: no deadlock, data"
                + " mismatch or error on mempool or reservation.").append("</p>\n");
        h.append("<p>Settings: <code>").append(Text.html(log.settings())).append("</code></p>\n");
        h.append(howToRead());
        h.append("<h2>Summary</h2>\n").append(htmlTable()).append('\n');
        for (String scenario : log.scenarios()) {
            h.append("<h2 id=\"").append(Text.html(scenario)).append("\">Scenario ").append(Text.html(scenario))
                    .append("</h2>\n<h3>Verdict</h3>\n<ul>\n");
            for (String line : Verdict.lines(log, scenario)) {
                boolean fail = line.contains("FAILED");
                h.append("<li").append(fail ? " class=\"fail\"" : "").append('>').append(Text.html(line)).append("</li>\n");
            }
            h.append("</ul>\n");
            for (String p : plots) {
                if (p.startsWith("plot-" + scenario + "-")) {
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
                .append("</a> (HdrHistogram interval log, tags <code>scenario/guarantee/op</code>), <a href=\"")
                .append(SUMMARY).append("\">").append(SUMMARY).append("</a>");
        for (String tag : log.tags()) {
            h.append(", <a href=\"").append(Text.html(hgrmName(tag))).append("\">").append(Text.html(hgrmName(tag)))
                    .append("</a>");
        }
        h.append("</p>\n</body></html>\n");
        return h.toString();
    }

    private static String howToRead() {
        return "<details><summary>How to read this report</summary><ul>\n"
                + "<li>Each scenario ran once on each guarantee, on a freshly booted machine under memory pressure,"
                + " with load offered at a fixed rate (open loop).</li>\n"
                + "<li>Latency is measured from each operation's <em>intended</em> start, so time spent waiting"
                + " behind a stalled operation counts (no coordinated omission).</li>\n"
                + "<li>The plots put the percentile on an axis of log10(1/(1-p)), the number of nines: 1 = 90%,"
                + " 2 = 99%, 3 = 99.9%, equally spaced; latency is on a log scale. A curve that climbs on the right"
                + " is a tail problem.</li>\n"
                + "<li><em>idle KiB</em> is the memory a guarantee keeps set aside and unused (pool elements, reserved"
                + " pages), averaged over the run: the price of the guarantee.</li>\n"
                + "<li>A <em>DEADLOCK</em> means no operation finished for the watchdog's limit; the threads' wait"
                + " sites are listed under the run. On <em>none</em> that is the expected result; on mempool or"
                + " reservation it is a failure and the command exits non-zero.</li>\n"
                + "<li><em>verified MiB</em> counts bytes written, read back and compared by CRC32.</li>\n"
                + "</ul></details>\n";
    }

    private String htmlTable() {
        StringBuilder t = new StringBuilder("<table><tr>");
        for (String c : SummaryTable.HEADER) {
            t.append("<th>").append(Text.html(c)).append("</th>");
        }
        t.append("</tr>\n");
        List<RunResult> runs = log.runs();
        List<String[]> rows = SummaryTable.rows(log);
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            boolean fail = runs.get(i).failsCommand();
            t.append("<tr").append(fail ? " class=\"fail\"" : "").append('>');
            for (int c = 0; c < row.length; c++) {
                t.append(c < 3 ? "<td>" : "<td class=\"n\">").append(Text.html(row[c])).append("</td>");
            }
            t.append("</tr>\n");
        }
        return t.append("</table>").toString();
    }

    private String runDetails(RunResult r) throws IOException {
        StringBuilder d = new StringBuilder();
        d.append("<details><summary>").append(Text.html(r.guarantee())).append(": ").append(Text.html(r.outcome()))
                .append(", counters and /proc</summary>\n");
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
    String outcomeLine() {
        long failedRuns = log.runs().stream().filter(RunResult::failsCommand).count();
        return String.format(Locale.ROOT, "%d runs, %d failing the command", log.runs().size(), failedRuns);
    }

    /** Prints the verdicts, one block per scenario. */
    void printVerdicts(java.io.PrintWriter out) {
        for (String scenario : log.scenarios()) {
            out.println(scenario + ":");
            for (String line : Verdict.lines(log, scenario)) {
                out.println("  " + line);
            }
        }
    }
}
