package dev.kalloc.stress.workload;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kalloc report DIR}: renders the report of an earlier run again from its interval log
 * ({@code DIR/kalloc.hlog}, read with HdrHistogram's {@code HistogramLogReader}) and its
 * {@code proc/} snapshots, and prints the summary table. The exit status is the run's: 1 if a
 * guarantee failed its promise.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Re-renders index.html, summary.json, plots and .hgrm files from DIR/kalloc.hlog.")
final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The output folder of an earlier 'kalloc run'")
    private Path dir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try {
            return renderAndPrint(dir, out, "");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "kalloc report: " + e.getMessage(), e);
        } catch (IOException e) {
            spec.commandLine().getErr().println("kalloc report: cannot read or write in " + dir + ": " + e.getMessage());
            return Main.EXIT_IO;
        }
    }

    /**
     * Renders the report of the run in {@code dir} from its log and prints the summary table, the
     * verdicts and the outcome line ({@code elapsed} is inserted after the outcome, e.g.
     * {@code " in 57.3s"}); shared by {@code run} and {@code report} so the two print the same.
     *
     * @return the exit status: {@link Main#EXIT_FAILED} if a guarantee failed its promise, else 0
     */
    static int renderAndPrint(Path dir, PrintWriter out, String elapsed) throws IOException {
        RunLog log = RunLog.read(dir.resolve(Campaign.LOG));
        Report report = new Report(log, dir);
        Path index = report.render();
        out.print(SummaryTable.text(report.analysis()));
        out.println();
        report.printVerdicts(out);
        out.println();
        out.println(report.outcomeLine() + elapsed + "; report: " + index.toAbsolutePath());
        out.flush();
        return report.failed() ? Main.EXIT_FAILED : 0;
    }
}
