// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.stress.workload.report.Analysis;
import dev.kalloc.stress.workload.report.Metric;
import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.report.RunComparison;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.Text;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code kalloc compare DIR_A DIR_B}: two campaigns of the same settings (two commits, say)
 * compared cell by cell and metric by metric ({@link RunComparison}): the significant changes on
 * stdout, every figure in an HTML page. Runs whose settings make them incomparable are refused,
 * naming the setting. Two sweeps are compared point by point (the points both finished), each
 * point as two runs; sweeps of different settings (beyond the seed) are refused.
 *
 * <p>Exit status: 0 when compared (a change is a result, not a failure); 2 for incomparable runs
 * or a sweep against a run; 3 when a folder or its log is missing or cannot be read, or the page
 * cannot be written.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compares two runs (or two sweeps, point by point) of the same settings: per cell and metric the change from A to B with its"
            + " 95%% interval and whether it is significant (Mann-Whitney, Holm over the cells of each metric).",
            "Prints the significant changes; writes every figure to an HTML page."})
final class CompareCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR_A", description = "The output folder of the run to compare from")
    private Path a;

    @Parameters(index = "1", paramLabel = "DIR_B", description = "The output folder of the run to compare to")
    private Path b;

    @Option(names = "--all", description = "Print every figure compared, not only the significant changes")
    private boolean all;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "The HTML page (default: results/compare-<date>-<time>.html)")
    private Path out;

    @Override
    public Integer call() {
        for (Path dir : List.of(a, b)) {
            if (!Files.isDirectory(dir)) {
                spec.commandLine().getErr().println("kalloc compare: " + dir + ": no such folder; DIR_A and DIR_B must be"
                        + " output folders of 'kalloc run' or of 'kalloc sweep'");
                return Main.EXIT_IO;
            }
        }
        if (out != null && out.toString().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: --out '': an empty path; name"
                    + " the HTML file to write");
        }
        boolean sweepA = Files.isRegularFile(a.resolve(SweepCommand.ARGS));
        boolean sweepB = Files.isRegularFile(b.resolve(SweepCommand.ARGS));
        if (sweepA != sweepB) {
            throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: " + (sweepA ? a : b)
                    + " is a sweep and " + (sweepA ? b : a) + " is not: compare two runs or two sweeps");
        }
        List<String> points;
        try {
            points = sweepA ? commonPoints() : List.of("");
        } catch (UncheckedIOException e) {
            spec.commandLine().getErr().println("kalloc compare: cannot read a sweep: " + Text.ioError(e.getCause()));
            return Main.EXIT_IO;
        }
        Map<String, RunComparison> compared = new LinkedHashMap<>();
        for (String point : points) {
            Path da = point.isEmpty() ? a : a.resolve(point);
            Path db = point.isEmpty() ? b : b.resolve(point);
            for (Path dir : List.of(da, db)) {
                if (!Files.isRegularFile(dir.resolve(Campaign.LOG))) {
                    spec.commandLine().getErr().println("kalloc compare: no interval log at " + dir.resolve(Campaign.LOG)
                            + ": DIR_A and DIR_B must be output folders of 'kalloc run' or of 'kalloc sweep'");
                    return Main.EXIT_IO;
                }
            }
            RunLog la;
            RunLog lb;
            try {
                la = RunLog.read(da.resolve(Campaign.LOG));
                lb = RunLog.read(db.resolve(Campaign.LOG));
            } catch (IOException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("kalloc compare: cannot read a run: " + e.getMessage());
                return Main.EXIT_IO;
            }
            String why = RunComparison.incomparable(la, lb);
            if (why != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: "
                        + (point.isEmpty() ? "" : "point " + point + ": ") + why);
            }
            RunComparison c = RunComparison.of(Analysis.of(la), Analysis.of(lb));
            if (c.cells() > 0) {
                compared.put(point, c);
            }
        }
        if (compared.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: " + a + " and " + b
                    + " share no scenario x guarantee: there is nothing to compare");
        }
        Path page = out != null ? out : Path.of("results", "compare-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".html");
        try {
            Path parent = page.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(page, html(compared), StandardCharsets.UTF_8);
        } catch (IOException e) {
            spec.commandLine().getErr().println("kalloc compare: cannot write " + page + ": " + Text.ioError(e));
            return Main.EXIT_IO;
        }
        for (Map.Entry<String, RunComparison> e : compared.entrySet()) {
            if (!e.getKey().isEmpty()) {
                stdout().println(e.getKey() + ": " + e.getValue().summary());
            }
            stdout().print(text(e.getValue(), all));
        }
        for (String u : unfinished) {
            stdout().println("not compared: point " + u + ", unfinished in A or B (kalloc sweep --resume finishes it)");
        }
        if (sweepA) {
            long sig = compared.values().stream().mapToLong(c -> c.rows().stream().filter(RunComparison.Row::significant)
                    .count()).sum();
            stdout().println(compared.size() + " points compared (Holm within each point and metric), " + sig
                    + " significant changes; every figure: " + page.toAbsolutePath());
        } else {
            stdout().println(compared.values().iterator().next().summary() + "; every figure: " + page.toAbsolutePath());
        }
        stdout().flush();
        return 0;
    }

    private PrintWriter stdout() {
        return spec.commandLine().getOut();
    }

    /**
     * The point folders both sweeps finished, in A's order (those only one finished are listed in
     * {@link #unfinished}); refuses sweeps of different settings (their {@code sweep.args} differ
     * beyond the seed) or with no finished point in common.
     */
    /** Points one of two sweeps has not finished: listed, not compared. */
    private final List<String> unfinished = new ArrayList<>();

    private List<String> commonPoints() {
        try {
            List<String> argsA = Files.readAllLines(a.resolve(SweepCommand.ARGS), StandardCharsets.UTF_8);
            List<String> argsB = Files.readAllLines(b.resolve(SweepCommand.ARGS), StandardCharsets.UTF_8);
            for (int i = 0; i < Math.max(argsA.size(), argsB.size()); i++) {
                String x = i < argsA.size() ? argsA.get(i) : "(none)";
                String y = i < argsB.size() ? argsB.get(i) : "(none)";
                if (!x.equals(y) && !x.startsWith("--seed=")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: the sweeps' settings"
                            + " differ (" + x + " in A, " + y + " in B): they measured different things");
                }
            }
            List<String> points = new ArrayList<>();
            try (Stream<Path> s = Files.list(a)) {
                for (Path p : s.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (!Files.isDirectory(p) || !Files.isDirectory(b.resolve(name))) {
                        continue;
                    }
                    if (Sweep.finishedLog(p) != null && Sweep.finishedLog(b.resolve(name)) != null) {
                        points.add(name);
                    } else if (Files.exists(p.resolve(Campaign.LOG)) || Files.exists(b.resolve(name).resolve(Campaign.LOG))) {
                        unfinished.add(name);
                    }
                }
            }
            if (points.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: the sweeps " + a + " and "
                        + b + " have no finished point in common");
            }
            return points;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The table of the rows to print: the significant ones, or all. */
    static String text(RunComparison c, boolean all) {
        StringBuilder sb = new StringBuilder();
        for (RunComparison.Row r : c.rows()) {
            if (all || r.significant()) {
                sb.append(line(r)).append('\n');
            }
        }
        for (String n : c.notCompared()) {
            sb.append("not compared: ").append(n).append('\n');
        }
        return sb.toString();
    }

    /** {@code writeback/mempool-modern p99: 2.48 -> 1.43 ms, change -1.1 [-2.0, -0.3], p = 0.004: better in B}. */
    static String line(RunComparison.Row r) {
        Metric m = r.metric();
        return String.format(Locale.ROOT, "%s %s: %s -> %s %s, change %s [%s, %s], p = %.4f: %s", r.cell(), m.label(),
                r.a().medianText(), r.b().medianText(), m.unit(), signed(m, r.shift().estimate()),
                signed(m, r.shift().lo()), signed(m, r.shift().hi()), r.p(), r.verdict());
    }

    private static String signed(Metric m, double v) {
        return (v > 0 ? "+" : "") + m.format(v);
    }

    private static String html(Map<String, RunComparison> compared) {
        StringBuilder h = new StringBuilder(Report.htmlHead("kalloc compare")).append("<h1>kalloc compare</h1>\n");
        for (Map.Entry<String, RunComparison> e : compared.entrySet()) {
            if (!e.getKey().isEmpty()) {
                h.append("<h2>").append(Text.html(e.getKey())).append("</h2>\n");
            }
            table(h, e.getValue());
        }
        return h.append("</body></html>\n").toString();
    }

    private static void table(StringBuilder h, RunComparison c) {
        h.append("<p>").append(Text.html(c.summary())).append("</p>\n");
        h.append("<p>Change: the Hodges-Lehmann shift from A to B (the median of every pairwise difference of trials)"
                + " with its distribution-free 95% interval; significant: two-sided Mann-Whitney, Holm-corrected over the"
                + " cells of each metric at 5%.</p>\n<table><tr><th>cell</th><th>metric</th><th>A</th><th>B</th>"
                + "<th>change</th><th>p</th><th>verdict</th></tr>\n");
        for (RunComparison.Row r : c.rows()) {
            Metric m = r.metric();
            String cls = !r.significant() ? "" : r.verdict().startsWith("better") ? " class=\"ok\"" : " class=\"fail\"";
            h.append("<tr").append(cls).append("><td>").append(Text.html(r.cell())).append("</td><td>")
                    .append(Text.html(m.label())).append("</td><td>").append(Text.html(r.a().text())).append("</td><td>")
                    .append(Text.html(r.b().text())).append("</td><td>").append(Text.html(signed(m, r.shift().estimate())
                            + " [" + signed(m, r.shift().lo()) + ", " + signed(m, r.shift().hi()) + "] " + m.unit()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.4f", r.p())).append("</td><td>")
                    .append(Text.html(r.verdict())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        for (String n : c.notCompared()) {
            h.append("<p>Not compared: ").append(Text.html(n)).append("</p>\n");
        }
    }
}
