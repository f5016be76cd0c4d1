// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.stress.workload.report.JmhResults;
import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.report.SummaryTable;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code kalloc report DIR}: renders the report of an earlier run again from its interval log
 * ({@code DIR/kalloc.hlog}, read with HdrHistogram's {@code HistogramLogReader}) and its
 * {@code proc/} snapshots, and prints the summary table. The exit status is the run's: 1 if a
 * guarantee failed its promise.
 *
 * <p>{@code --jmh FILE} (repeatable) folds JMH's own JSON results ({@code stress/jmh/run.sh}
 * writes one per thread count) into the debate section: the files are checked, then copied into
 * {@code DIR/jmh/}, so that a later {@code kalloc report DIR} renders the same report. A file that
 * is not JMH's JSON is refused before anything in DIR changes.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Re-renders index.html, summary.json, debate.md, plots and .hgrm files from DIR/kalloc.hlog.",
            "--jmh FILE folds JMH results (stress/jmh/run.sh's JSON) into the debate section; they are kept in DIR/jmh/."})
final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The output folder of an earlier 'kalloc run'")
    private Path dir;

    @CommandLine.Option(names = "--jmh", paramLabel = "FILE",
            description = "A JMH result file (-rf json) to fold into the debate section; repeatable")
    private List<Path> jmh = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isRegularFile(dir.resolve(Campaign.LOG))) {
            // An input that cannot be read: exit 3 (the README's "could not be read"), one line.
            spec.commandLine().getErr().println("kalloc report: no interval log at " + dir.resolve(Campaign.LOG)
                    + ": DIR must be the output folder of a 'kalloc run'");
            return Main.EXIT_IO;
        }
        RunLog log;
        try {
            // The log first: a damaged one refuses the command before --jmh changes anything in DIR.
            log = RunLog.read(dir.resolve(Campaign.LOG));
        } catch (IllegalArgumentException | IOException e) {
            // An output that cannot be read (no log, a damaged one): exit 3, one line, no usage text.
            spec.commandLine().getErr().println("kalloc report: cannot read the run in " + dir + ": " + e.getMessage());
            return Main.EXIT_IO;
        }
        try {
            if (!jmh.isEmpty()) {
                try {
                    keepJmh();
                } catch (IllegalArgumentException e) {
                    // A --jmh file that is not JMH's JSON: a bad option, and DIR is unchanged.
                    throw new CommandLine.ParameterException(spec.commandLine(), "kalloc report: " + e.getMessage(), e);
                }
            }
            return renderAndPrint(log, dir, out, "");
        } catch (IllegalArgumentException e) {
            // A file in DIR that does not read (a JMH result kept in DIR/jmh/): exit 3, the report's
            // files unchanged (DIR/jmh/ already holds the --jmh files given this time, if any).
            spec.commandLine().getErr().println("kalloc report: cannot read the run in " + dir + ": " + e.getMessage());
            return Main.EXIT_IO;
        } catch (IOException | java.io.UncheckedIOException e) {
            spec.commandLine().getErr().println("kalloc report: cannot read or write in " + dir + ": " + e.getMessage());
            return Main.EXIT_IO;
        }
    }

    /**
     * Checks every {@code --jmh} file, then copies them into {@code DIR/jmh/} under their own
     * names (numbered when two share a name), replacing the JMH files kept there before. Nothing
     * changes unless every file reads and they merge (no score twice).
     */
    private void keepJmh() throws IOException {
        if (!Files.isRegularFile(dir.resolve(Campaign.LOG))) {
            throw new IllegalArgumentException("no interval log at " + dir.resolve(Campaign.LOG));
        }
        List<JmhResults> parts = new ArrayList<>();
        for (Path f : jmh) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("--jmh " + f + (Files.isDirectory(f) ? ": a directory, not a file"
                        : Files.exists(f) ? ": not a regular file" : ": no such file"));
            }
            parts.add(JmhResults.read(f));
        }
        JmhResults.merge(parts);
        Path folder = dir.resolve(Report.JMH);
        Files.createDirectories(folder);
        try (java.util.stream.Stream<Path> old = Files.list(folder)) {
            for (Path p : (Iterable<Path>) old.filter(p -> p.getFileName().toString().endsWith(".json"))::iterator) {
                Files.delete(p); // the files given now replace those kept before
            }
        }
        List<String> taken = new ArrayList<>();
        for (Path f : jmh) {
            String name = f.getFileName().toString();
            String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
            String target = base + ".json";
            for (int i = 2; taken.contains(target); i++) {
                target = base + "-" + i + ".json";
            }
            taken.add(target);
            Files.copy(f, folder.resolve(target), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
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
        return renderAndPrint(RunLog.read(dir.resolve(Campaign.LOG)), dir, out, elapsed);
    }

    /** {@link #renderAndPrint(Path, PrintWriter, String)} of a log already read from {@code dir}. */
    static int renderAndPrint(RunLog log, Path dir, PrintWriter out, String elapsed) throws IOException {
        Report report = new Report(log, dir);
        Path index = report.render();
        String incomplete = log.incompleteness();
        if (incomplete != null) {
            out.println("kalloc: " + incomplete + ".");
        }
        List<String> lost = log.countMismatches();
        for (String l : lost) {
            out.println("kalloc: WARNING: " + l + ": the log lost intervals, and this run's figures are from what is"
                    + " left");
        }
        if (incomplete != null || !lost.isEmpty()) {
            out.println();
        }
        out.print(SummaryTable.text(report.analysis()));
        out.println();
        report.printVerdicts(out);
        out.println();
        out.println(report.outcomeLine() + elapsed + "; report: " + index.toAbsolutePath());
        if (incomplete != null) {
            out.println("kalloc: " + incomplete + ".");
        }
        out.flush();
        return report.failed() ? Main.EXIT_FAILED : 0;
    }
}
