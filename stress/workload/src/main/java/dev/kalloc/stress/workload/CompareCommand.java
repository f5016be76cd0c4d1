package dev.kalloc.stress.workload;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kalloc compare DIR_A DIR_B}: two campaigns of the same settings (two commits, say)
 * compared cell by cell and metric by metric ({@link RunComparison}): the significant changes on
 * stdout, every figure in an HTML page. Runs whose settings make them incomparable are refused,
 * naming the setting.
 *
 * <p>Exit status: 0 when compared (a change is a result, not a failure); 2 for incomparable runs
 * or a folder that is not a run; 3 when a log cannot be read or the page cannot be written.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compares two runs of the same settings: per cell and metric the change from A to B with its"
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
        PrintWriter stdout = spec.commandLine().getOut();
        for (Path dir : List.of(a, b)) {
            if (!Files.isRegularFile(dir.resolve(Campaign.LOG))) {
                throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: no interval log at "
                        + dir.resolve(Campaign.LOG) + ": DIR_A and DIR_B must be output folders of 'kalloc run'");
            }
        }
        RunLog la;
        RunLog lb;
        try {
            la = RunLog.read(a.resolve(Campaign.LOG));
            lb = RunLog.read(b.resolve(Campaign.LOG));
        } catch (IOException | IllegalArgumentException e) {
            spec.commandLine().getErr().println("kalloc compare: cannot read a run: " + e.getMessage());
            return Main.EXIT_IO;
        }
        String why = RunComparison.incomparable(la, lb);
        if (why != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "kalloc compare: " + why);
        }
        RunComparison c = RunComparison.of(Analysis.of(la), Analysis.of(lb));
        if (c.cells() == 0) {
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
            Files.writeString(page, html(c), StandardCharsets.UTF_8);
        } catch (IOException e) {
            spec.commandLine().getErr().println("kalloc compare: cannot write " + page + ": " + e.getMessage());
            return Main.EXIT_IO;
        }
        stdout.print(text(c, all));
        stdout.println(c.summary() + "; every figure: " + page.toAbsolutePath());
        stdout.flush();
        return 0;
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

    private static String html(RunComparison c) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>kalloc compare</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
                + "collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}.b{color:#070}.w{color:#b00}"
                + "</style></head><body>\n<h1>kalloc compare</h1>\n<p>").append(Text.html(c.summary())).append("</p>\n");
        h.append("<p>Change: the Hodges-Lehmann shift from A to B (the median of every pairwise difference of trials)"
                + " with its distribution-free 95% interval; significant: two-sided Mann-Whitney, Holm-corrected over the"
                + " cells of each metric at 5%.</p>\n<table><tr><th>cell</th><th>metric</th><th>A</th><th>B</th>"
                + "<th>change</th><th>p</th><th>verdict</th></tr>\n");
        for (RunComparison.Row r : c.rows()) {
            Metric m = r.metric();
            String cls = !r.significant() ? "" : r.verdict().startsWith("better") ? " class=\"b\"" : " class=\"w\"";
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
        return h.append("</body></html>\n").toString();
    }
}
