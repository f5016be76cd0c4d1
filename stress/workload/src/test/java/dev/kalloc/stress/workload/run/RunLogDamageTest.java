// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.stress.workload.cli.CheckCommand;
import dev.kalloc.stress.workload.cli.Main;
import dev.kalloc.stress.workload.report.Report;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A damaged interval log is refused with its line named, never read as a shorter log and never
 * a stack trace: HdrHistogram's reader stops at an interval it cannot decode as if the log ended
 * there, and throws NoSuchElementException when the last line has no end (a run stopped while
 * writing, a truncated copy).
 */
class RunLogDamageTest {
    @TempDir
    Path dir;

    /** A sound log of two runs; returns its lines. */
    private List<String> writeLog() throws Exception {
        long t = 1_700_000_000_000L;
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t, "scenarios=writeback")) {
            log.comment(new Environment(java.util.Map.of("cpus", "2")).encode());
            log.interval("writeback/mempool-2.5.1/t1/write", SyntheticLog.interval(t, 100_000, 200_000, 5_000_000));
            log.interval("writeback/mempool-2.5.1/t1/write", SyntheticLog.interval(t + 1000, 150_000));
            log.run(RunResultTest.sample("mempool-2.5.1", false, 0));
            log.interval("writeback/none/t1/write", SyntheticLog.interval(t + 2000, 900_000_000));
            log.run(RunResultTest.sample("none", true, 0));
            log.end(2);
        }
        RunLog.read(dir.resolve(Campaign.LOG)); // sound as written
        return Files.readAllLines(dir.resolve(Campaign.LOG), StandardCharsets.UTF_8);
    }

    private int lineStarting(List<String> lines, String prefix, int nth) {
        int seen = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix) && seen++ == nth) {
                return i;
            }
        }
        throw new AssertionError("no line " + prefix);
    }

    private void write(List<String> lines, String tail) throws Exception {
        Files.writeString(dir.resolve(Campaign.LOG), String.join("\n", lines) + tail, StandardCharsets.UTF_8);
    }

    private void assertRefused(String... expected) {
        assertThatThrownBy(() -> RunLog.read(dir.resolve(Campaign.LOG))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(expected);
        for (String command : List.of("report", "check")) {
            CommandLine cl = Main.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            int status = cl.execute(command, dir.toString());
            assertThat(status).as(command).isEqualTo(Main.EXIT_IO);
            assertThat(out + "" + err).as(command).contains(expected).doesNotContain("\tat ", "Exception in");
        }
    }

    @Test
    void aLogCutInTheMiddleOfAHistogramLineNamesThatLine() throws Exception {
        List<String> lines = writeLog();
        int h = lineStarting(lines, "Tag=", 2);
        List<String> cut = new ArrayList<>(lines.subList(0, h));
        cut.add(lines.get(h).substring(0, lines.get(h).length() / 2));
        write(cut, "");
        assertRefused("line " + (h + 1) + ":", "cut short");
    }

    @Test
    void aLogCutInTheMiddleOfARunLineNamesThatLine() throws Exception {
        List<String> lines = writeLog();
        int r = lineStarting(lines, "#kalloc-run", 1);
        List<String> cut = new ArrayList<>(lines.subList(0, r));
        cut.add(lines.get(r).substring(0, 60));
        write(cut, "");
        assertRefused("line " + (r + 1) + ":");
    }

    @Test
    void aCorruptHistogramInTheMiddleIsRefusedNotReadAsTheEndOfTheLog() throws Exception {
        List<String> lines = writeLog();
        int h = lineStarting(lines, "Tag=", 1);
        String l = lines.get(h);
        lines.set(h, l.substring(0, l.length() - 12) + "!!!!" + l.substring(l.length() - 8));
        write(lines, "\n");
        assertRefused("line " + (h + 1) + ": interval histogram 2 of 3 does not decode");
    }

    @Test
    void aRunLoggedTwiceIsRefusedNamingBothLines() throws Exception {
        List<String> lines = writeLog();
        int r = lineStarting(lines, "#kalloc-run", 0);
        lines.add(r, lines.get(r));
        write(lines, "\n");
        assertRefused("line " + (r + 2) + ": a second kalloc-run line for run writeback.mempool-2.5.1.t1 (the first is line "
                + (r + 1) + ")");
    }

    @Test
    void aBadRunLineIsNamedByItsLine() throws Exception {
        List<String> lines = writeLog();
        int r = lineStarting(lines, "#kalloc-run", 0);
        lines.set(r, lines.get(r).replace("\ttrial=1\t", "\ttrial=0\t"));
        write(lines, "\n");
        assertRefused("line " + (r + 1) + ": kalloc-run field 'trial' must be a positive number: 0");
        lines = writeLog();
        lines.set(r, lines.get(r).replace("\tguarantee=mempool-2.5.1\t", "\tguarantee=magic\t"));
        write(lines, "\n");
        assertRefused("line " + (r + 1) + ": unknown guarantee 'magic'");
    }

    @Test
    void aLogThatIsNotTextIsRefusedNamingItsLine() throws Exception {
        writeLog();
        byte[] junk = {'#', 'k', (byte) 0xff, (byte) 0xfe, '\n'};
        Files.write(dir.resolve(Campaign.LOG), junk);
        assertRefused("line 1: not UTF-8 text");
    }

    @Test
    void aRefusedReportWithJmhLeavesTheFolderAsItWas() throws Exception {
        List<String> lines = writeLog();
        int r = lineStarting(lines, "#kalloc-run", 0);
        lines.add(r, lines.get(r));
        write(lines, "\n");
        Path jmh = Path.of("src/test/resources/jmh/results-t1.json").toAbsolutePath();
        Path kept = Files.createDirectories(dir.resolve(Report.JMH)).resolve("earlier.json");
        Files.writeString(kept, "[]", StandardCharsets.UTF_8);
        List<Path> before;
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            before = s.sorted().toList();
        }
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("report", dir.toString(), "--jmh", jmh.toString())).isEqualTo(Main.EXIT_IO);
        assertThat(err.toString()).contains("a second kalloc-run line").doesNotContain("Usage:");
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            assertThat(s.sorted().toList()).isEqualTo(before);
        }
        assertThat(kept).content(StandardCharsets.UTF_8).isEqualTo("[]");
    }

    @Test
    void aJmhArgumentThatIsADirectorySaysSo() throws Exception {
        writeLog();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("report", dir.toString(), "--jmh", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--jmh " + dir + ": a directory, not a file");
    }

    @Test
    void aCampaignStoppedBeforeItsEndIsSaidSoAndFailsTheCheck() throws Exception {
        long t = 1_700_000_000_000L;
        RunResult first = RunResultTest.sample("mempool-2.5.1", false, 0);
        RunResult second = new RunResult(first.scenario(), first.guarantee(), 2, first.seed(), first.offeredRate(),
                first.plannedSeconds(), first.loadSeconds(), first.started(), first.completed(), first.failed(),
                first.stalls(), first.deadlocked(), first.waitSites(), first.bytesVerified(), first.mismatches(),
                first.mismatchExamples(), first.idleBytes(), first.priceBytes(), first.error(), first.counters(),
                first.opTypes());
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t,
                "scenarios=writeback guarantees=mempool-2.5.1,none duration=1s trials=3 rate=2000/s")) {
            log.interval("writeback/mempool-2.5.1/t1/write", SyntheticLog.interval(t, 100_000, 200_000, 5_000_000, 150_000));
            log.run(first);
            log.interval("writeback/none/t1/write", SyntheticLog.interval(t + 1000, 900_000_000));
            log.run(RunResultTest.sample("none", true, 0));
            log.interval("writeback/mempool-2.5.1/t2/write", SyntheticLog.interval(t + 2000, 100_000, 200_000, 5_000_000, 150_000));
            log.run(second);
        }
        RunLog log = RunLog.read(dir.resolve(Campaign.LOG));
        assertThat(log.plannedRuns()).isEqualTo(6);
        Report report = new Report(log, dir);
        report.render();
        // Not "2 cells x 2 trials", which would be 4 runs.
        assertThat(report.outcomeLine()).startsWith("3 runs (2 cells x 1-2 trials) (INCOMPLETE: the campaign stopped"
                + " after 3 of its 6 runs)");
        assertThat(CheckCommand.problems(log, dir)).contains("INCOMPLETE: the log has no kalloc-end line, so the campaign"
                + " was stopped before its end (killed, or the log was cut short); it holds 3 of the 6 runs, and everything"
                + " here is about those only");
    }

    @Test
    void checkAgainstARunThatSharesNoCellFailsInsteadOfFindingNoContradiction() throws Exception {
        writeLog(); // writeback on mempool-2.5.1 and none
        new Report(RunLog.read(dir.resolve(Campaign.LOG)), dir).render();
        Path other = Files.createDirectories(dir.resolve("other"));
        long t = 1_700_000_000_000L;
        RunResult s = RunResultTest.sample("reservation", false, 0);
        try (LatencyLog log = new LatencyLog(other.resolve(Campaign.LOG), t, "other")) {
            log.interval(s.tag("write"), SyntheticLog.interval(t, 100_000));
            log.run(s);
            log.end(1);
        }
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("check", dir.toString(), "--against", other.toString())).isEqualTo(Main.EXIT_FAILED);
        assertThat(out.toString()).contains("check: --against " + other + " shares no scenario x guarantee with " + dir
                + ": there is nothing to compare");
        cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        assertThat(cl.execute("check", dir.toString(), "--against", dir.toString())).isZero();
    }

    @Test
    void aSignalAfterTheEndLineLeavesTheLogComplete() throws Exception {
        // The shutdown hook can run between the campaign's end line and its removal: the end seals
        // the log, so the hook's interruption line never follows it (readers refuse any line after
        // the end, and a finished campaign would read as damaged).
        long t = 1_700_000_000_000L;
        RunResult s = RunResultTest.sample("reservation", false, 0);
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t, "settings")) {
            log.interval(s.tag("write"), SyntheticLog.interval(t, 100_000));
            log.run(s);
            log.end(1);
            log.interrupted("stopped by a signal (SIGTERM or Ctrl-C) after 1 of 1 runs");
        }
        RunLog read = RunLog.read(dir.resolve(Campaign.LOG));
        assertThat(read.incompleteness()).isNull();
        assertThat(Files.readString(dir.resolve(Campaign.LOG))).doesNotContain("stopped by a signal");
    }

    @Test
    void aSettingsLineCutInsideAnEscapeIsRefusedNamingTheLine() throws Exception {
        // Found by DamagedLogPropertyTest: the settings and interruption lines were unescaped
        // without the file and line in the refusal.
        writeLog();
        Path file = dir.resolve(Campaign.LOG);
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        int at = 0;
        while (!lines.get(at).startsWith("#" + LatencyLog.CONFIG_MARK + "\t")) {
            at++;
        }
        lines.set(at, lines.get(at) + "%2");
        Files.write(file, lines, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> RunLog.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + " line " + (at + 1) + ": truncated escape");
    }
}
