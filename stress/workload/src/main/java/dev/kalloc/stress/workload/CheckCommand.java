package dev.kalloc.stress.workload;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kalloc check DIR}: the CI's check of a run's outputs. The interval log must read back
 * with HdrHistogram's {@code HistogramLogReader}, every operation type that ended operations in a
 * run that was not torn down (its {@code ops.<type>} counter) must have exactly that many values
 * under its tag, and {@code index.html},
 * {@code summary.json} and a {@code .hgrm} per tag must exist. Exit status 0 if all hold, 1
 * otherwise, with one line per problem.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Checks that DIR/kalloc.hlog reads back with HistogramLogReader and the report exists.")
final class CheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The output folder of a 'kalloc run'")
    private Path dir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>();
        RunLog log = null;
        try {
            log = RunLog.read(dir.resolve(Campaign.LOG));
        } catch (IOException | IllegalArgumentException e) {
            problems.add("the interval log does not read back: " + e.getMessage());
        }
        if (log != null) {
            problems.addAll(problems(log, dir));
        }
        for (String p : problems) {
            out.println("check: " + p);
        }
        if (problems.isEmpty() && log != null) {
            out.printf("check: %s reads back with HistogramLogReader: %d interval histograms, %d tags, %d runs;"
                    + " %s and %s present%n", dir.resolve(Campaign.LOG), log.intervals(), log.tags().size(),
                    log.runs().size(), Report.INDEX, Report.SUMMARY);
        }
        out.flush();
        return problems.isEmpty() ? 0 : Main.EXIT_FAILED;
    }

    /** Everything wrong with the outputs of {@code log} in {@code dir}. */
    static List<String> problems(RunLog log, Path dir) {
        List<String> problems = new ArrayList<>();
        for (RunResult r : log.runs()) {
            if (r.deadlocked() || !r.error().isEmpty()) {
                continue; // torn down mid-flight: operations may end after the counters were read
            }
            for (String op : r.opTypes()) {
                long ended = r.counters().getOrDefault("ops." + op, 0L);
                long logged = log.total(r.tag(op)).getTotalCount();
                if (logged != ended) {
                    problems.add("run " + r.id() + " ended " + ended + " operations of type " + op + " but the log holds "
                            + logged + " under tag " + r.tag(op));
                }
            }
        }
        for (String f : List.of(Report.INDEX, Report.SUMMARY)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                problems.add(f + " is missing in " + dir);
            }
        }
        for (String tag : log.tags()) {
            if (!Files.isRegularFile(dir.resolve(Report.hgrmName(tag)))) {
                problems.add(Report.hgrmName(tag) + " is missing in " + dir);
            }
        }
        return problems;
    }
}
