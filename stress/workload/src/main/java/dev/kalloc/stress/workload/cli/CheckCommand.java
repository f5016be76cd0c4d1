// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.kalloc.stress.workload.report.Analysis;
import dev.kalloc.stress.workload.report.Comparison;
import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.HdrHistogram.HistogramLogProcessor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code kalloc check DIR}: the CI's check of a run's outputs. The interval log must read back
 * with HdrHistogram's {@code HistogramLogReader}; in every trial that was not torn down, every
 * operation type must have exactly as many values under its two tags (successes and failures)
 * as its {@code ops.<type>} counter says ended; {@code index.html}, {@code summary.json} and
 * every {@code .hgrm} the report writes must exist, and {@code summary.json} must be JSON that
 * describes this log: its settings, and its runs in order (scenario, guarantee, trial, seed,
 * outcome), so that a summary left from another run, or garbage, does not pass.
 *
 * <p>With {@code --against OTHER}, it also compares the significant verdicts of the two runs
 * (for example the same settings with two seeds) and reports every pair that contradicts: one
 * run finding A better than B on a metric in a scenario, the other B better than A. Evidence
 * that flips between two runs settles nothing; this is the check that it does not.
 *
 * <p>Exit status 0 if all hold, 1 otherwise, with one line per problem; 3 when a log (of DIR or
 * of OTHER) is missing, damaged or cannot be read, as every command answers an input it cannot
 * read. The JMH results kept in {@code DIR/jmh/} must read too, since {@code kalloc report DIR}
 * folds them in.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Checks that DIR/kalloc.hlog reads back with HistogramLogReader, that every trial's histograms"
            + " hold every operation it ended, and that the report exists.",
            "With --against OTHER: also that no significant verdict of DIR contradicts one of OTHER."})
public final class CheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The output folder of a 'kalloc run'")
    private Path dir;

    @CommandLine.Option(names = "--against", paramLabel = "OTHER",
            description = "Another run's output folder: fail if a significant verdict of one contradicts the other's")
    private Path against;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>();
        RunLog log = null;
        boolean unreadable = false;
        try {
            log = read(dir);
        } catch (IOException | IllegalArgumentException e) {
            problems.add("the interval log does not read back: " + e.getMessage());
            unreadable = true;
        }
        if (log != null) {
            problems.addAll(problems(log, dir));
        }
        List<String> contradictions = List.of();
        if (log != null && against != null) {
            try {
                RunLog other = read(against);
                if (java.util.Collections.disjoint(cellNames(log), cellNames(other))) {
                    problems.add("--against " + against + " shares no scenario x guarantee with " + dir
                            + ": there is nothing to compare");
                }
                contradictions = Comparison.contradictions(Analysis.of(log).findings(), Analysis.of(other).findings());
                for (String c : contradictions) {
                    problems.add("contradictory verdicts: " + c);
                }
            } catch (IOException | IllegalArgumentException e) {
                problems.add("the interval log of --against " + against + " does not read back: " + e.getMessage());
                unreadable = true;
            }
        }
        for (String p : problems) {
            out.println("check: " + p);
        }
        if (problems.isEmpty() && log != null) {
            out.printf("check: %s reads back with HistogramLogReader: %d interval histograms, %d tags, %d runs;"
                    + " %s present%n", dir.resolve(Campaign.LOG), log.intervals(), log.tags().size(),
                    log.runs().size(), String.join(" and ", expectedPages(dir)));
            if (against != null) {
                out.printf("check: %d significant verdicts here, none contradicted by %s%n",
                        Analysis.of(log).findings().size(), against);
            }
        }
        if (log != null) {
            for (String line : logProcessorCommands(dir.resolve(Campaign.LOG), log.tags())) {
                out.println("check: " + line);
            }
        }
        out.flush();
        return unreadable ? Main.EXIT_IO : problems.isEmpty() ? 0 : Main.EXIT_FAILED;
    }

    /**
     * How to read the log with HdrHistogram's own {@code HistogramLogProcessor}: every histogram
     * in it is tagged, and the processor given no {@code -tag} reads only untagged ones, finds
     * none and throws (a NullPointerException), so a reader needs the tags first. Names the jar
     * the processor is in here (kalloc.jar, which holds HdrHistogram) and the log's real path;
     * empty for a log without histograms.
     */
    static List<String> logProcessorCommands(Path hlog, List<String> tags) {
        String tag = tags.stream().filter(t -> !t.endsWith("/failed")).findFirst()
                .orElse(tags.isEmpty() ? null : tags.get(0));
        if (tag == null) {
            return List.of();
        }
        String run = "java -cp " + shellWord(hdrHistogramJar()) + " " + HistogramLogProcessor.class.getName() + " -i "
                + shellWord(hlog.toAbsolutePath().normalize().toString());
        return List.of("HdrHistogram's HistogramLogProcessor reads one tag at a time (without -tag it fails: every"
                + " histogram is tagged); list the tags, then read one:", "  " + run + " -listtags",
                "  " + run + " -tag " + shellWord(tag));
    }

    /** The jar (or folder) HdrHistogram's classes are loaded from, or a placeholder if that cannot be told. */
    private static String hdrHistogramJar() {
        try {
            java.security.CodeSource cs = HistogramLogProcessor.class.getProtectionDomain().getCodeSource();
            return cs == null ? "<HdrHistogram jar>" : Path.of(cs.getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException | IllegalArgumentException | SecurityException e) {
            return "<HdrHistogram jar>";
        }
    }

    /** {@code s} as one word of a POSIX shell command line: quoted if it holds anything but safe characters. */
    static String shellWord(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** The log of {@code folder}; a damaged one is an {@link IllegalArgumentException} naming its line. */
    private static RunLog read(Path folder) throws IOException {
        return RunLog.read(folder.resolve(Campaign.LOG));
    }

    /** The cells of {@code log} as {@code scenario/guarantee}. */
    private static List<String> cellNames(RunLog log) {
        List<String> names = new ArrayList<>();
        for (Cell c : log.cells()) {
            names.add(c.scenario() + "/" + c.guarantee());
        }
        return names;
    }

    /**
     * The pages a run's folder holds: {@code index.html} and {@code summary.json}; a sweep's point
     * (a folder in one) holds only the data, {@code summary.json}.
     */
    static List<String> expectedPages(Path dir) {
        Path parent = dir.toAbsolutePath().normalize().getParent();
        boolean point = parent != null && Files.isRegularFile(parent.resolve(SweepCommand.ARGS));
        return point ? List.of(Report.SUMMARY) : List.of(Report.INDEX, Report.SUMMARY);
    }

    /**
     * Why {@code file} is not the summary of {@code log} (not JSON, other settings, other runs), or
     * null if it is.
     */
    static String summaryMismatch(RunLog log, Path file) {
        JsonObject summary;
        try {
            JsonReader reader = new JsonReader(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT || !root.isJsonObject()) {
                return "not one JSON object";
            }
            summary = root.getAsJsonObject();
        } catch (IOException | JsonParseException e) {
            // Files.readString fails on bytes that are not UTF-8 too (a MalformedInputException).
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName())
                    .replaceFirst("Use JsonReader\\.setStrictness\\(Strictness\\.LENIENT\\) to accept ", ""); // Gson's hint to programmers
            return "not JSON (" + why + ")";
        }
        if (!log.settings().equals(text(summary, "settings"))) {
            return "its settings are not the log's";
        }
        JsonElement runs = summary.get("runs");
        if (runs == null || !runs.isJsonArray()) {
            return "it has no runs array";
        }
        JsonArray array = runs.getAsJsonArray();
        if (array.size() != log.runs().size()) {
            return "it has " + array.size() + " runs, the log " + log.runs().size();
        }
        for (int i = 0; i < array.size(); i++) {
            RunResult r = log.runs().get(i);
            JsonObject o = array.get(i).isJsonObject() ? array.get(i).getAsJsonObject() : new JsonObject();
            if (!r.scenario().equals(text(o, "scenario")) || !r.guarantee().equals(text(o, "guarantee"))
                    || !String.valueOf(r.trial()).equals(text(o, "trial")) || !String.valueOf(r.seed()).equals(text(o, "seed"))
                    || !r.outcome().equals(text(o, "outcome"))) {
                return "its run " + (i + 1) + " is not the log's " + r.id() + " (" + r.outcome() + ")";
            }
        }
        return null;
    }

    /** The value of {@code name} in {@code o} as text if it is a string or number, else null. */
    private static String text(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e != null && e.isJsonPrimitive() ? e.getAsJsonPrimitive().getAsString() : null;
    }

    /** Everything wrong with the outputs of {@code log} in {@code dir}. */
    public static List<String> problems(RunLog log, Path dir) {
        List<String> problems = new ArrayList<>();
        try {
            Report.readJmh(dir.resolve(Report.JMH));
        } catch (IOException | IllegalArgumentException e) {
            problems.add("the JMH results kept in " + dir.resolve(Report.JMH) + " do not read: " + e.getMessage());
        }
        problems.addAll(log.countMismatches());
        String incomplete = log.incompleteness();
        if (incomplete != null) {
            problems.add(incomplete);
        }
        for (String f : expectedPages(dir)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                problems.add(f + " is missing in " + dir);
            }
        }
        if (Files.isRegularFile(dir.resolve(Report.SUMMARY))) {
            String why = summaryMismatch(log, dir.resolve(Report.SUMMARY));
            if (why != null) {
                problems.add(dir.resolve(Report.SUMMARY) + " does not describe this log: " + why
                        + " ('kalloc report " + dir + "' writes it again)");
            }
        }
        for (String f : Report.hgrmFiles(log)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                problems.add(f + " is missing in " + dir);
            }
        }
        return problems;
    }
}
