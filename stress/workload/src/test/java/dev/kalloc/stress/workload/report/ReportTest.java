// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.cli.CheckCommand;
import dev.kalloc.stress.workload.cli.Main;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.Environment;
import dev.kalloc.stress.workload.run.LatencyLog;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.run.RunResultTest;
import dev.kalloc.stress.workload.run.SyntheticLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report rendered from a synthetic interval log, and the log read back by HdrHistogram itself. */
public class ReportTest {
    @TempDir
    Path dir;

    /** Two runs of "writeback": mempool-2.5.1 fine, none deadlocked. */
    private RunLog writeSyntheticLog(boolean guardedDeadlock) throws Exception {
        long t = 1_700_000_000_000L;
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t, "synthetic \"settings\"\tline")) {
            log.interval("writeback/mempool-2.5.1/t1/write", SyntheticLog.interval(t, 100_000, 200_000, 5_000_000));
            log.interval("writeback/mempool-2.5.1/t1/write", SyntheticLog.interval(t + 1000, 150_000));
            log.interval("writeback/none/t1/write", SyntheticLog.interval(t + 2000, 900_000_000));
            log.run(RunResultTest.sample("mempool-2.5.1", guardedDeadlock, 0));
            log.run(RunResultTest.sample("none", true, 0));
            log.end(2);
        }
        return RunLog.read(dir.resolve(Campaign.LOG));
    }

    @Test
    void hdrHistogramsOwnReaderReadsTheLogWithItsTags() throws Exception {
        writeSyntheticLog(false);
        List<String> tags = new ArrayList<>();
        long count = 0;
        try (HistogramLogReader reader = new HistogramLogReader(dir.resolve(Campaign.LOG).toFile())) {
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null) {
                tags.add(e.getTag());
                count += ((Histogram) e).getTotalCount();
            }
        }
        assertThat(tags).containsExactly("writeback/mempool-2.5.1/t1/write", "writeback/mempool-2.5.1/t1/write",
                "writeback/none/t1/write");
        assertThat(count).isEqualTo(5);
    }

    @Test
    void theLogReadsBackIntoRunsAndSummedHistograms() throws Exception {
        RunLog log = writeSyntheticLog(false);
        assertThat(log.settings()).isEqualTo("synthetic \"settings\"\tline");
        assertThat(log.runs()).hasSize(2);
        assertThat(log.runs().get(1)).isEqualTo(RunResultTest.sample("none", true, 0));
        assertThat(log.intervals()).isEqualTo(3);
        Histogram mp = log.total("writeback/mempool-2.5.1/t1/write");
        assertThat(mp.getTotalCount()).isEqualTo(4);
        assertThat(mp.getMaxValue()).isBetween(4_990_000L, 5_010_000L);
        assertThat(log.runTotal(log.runs().get(0)).getTotalCount()).isEqualTo(4);
        assertThat(log.total("no/such/tag").getTotalCount()).isZero();
    }

    @Test
    void rendersEveryOutputAndAVerdictPerScenario() throws Exception {
        RunLog log = writeSyntheticLog(false);
        Report report = new Report(log, dir);
        Path index = report.render();
        assertThat(report.failed()).isFalse();
        String html = Files.readString(index, StandardCharsets.UTF_8);
        assertThat(html).contains("PASSED", "Scenario writeback", "Verdict",
                "the expected result without a guarantee", "synthetic &quot;settings&quot;");
        // Four samples support no percentile curve (10 must lie beyond its last point), and the
        // deadlocked trial on none is left out of the plots: nothing to draw.
        assertThat(html).doesNotContain("plot-writeback-write.png");
        assertThat(dir.resolve("plot-writeback-write.png")).doesNotExist();
        String hgrm = Files.readString(dir.resolve("writeback.mempool-2.5.1.write.hgrm"), StandardCharsets.UTF_8);
        assertThat(hgrm).contains("Value     Percentile TotalCount 1/(1-Percentile)", "#[Max     =");
        String json = Files.readString(dir.resolve(Report.SUMMARY), StandardCharsets.UTF_8);
        assertThat(json).contains("\"settings\": \"synthetic \\\"settings\\\"\\tline\"", "\"outcome\": \"DEADLOCK\"",
                "\"exit_fails\": false", "\"p99.9\":", "\"hog_dirty_pages\": 123");
        assertThat(CheckCommand.problems(log, dir)).isEmpty();
        String table = SummaryTable.text(report.analysis());
        assertThat(table.lines().filter(l -> l.startsWith("writeback")).count()).isEqualTo(2);
        assertThat(table).contains("mempool-2.5.1", "1 DEADLOCK", "median over 1 trial [min-max: with 1 trial it covers"
                + " the median with 0% confidence only; 6 trials give 95%]");
    }

    @Test
    void theLegendSaysWhatTheBracketsHoldForTheTrialsRun() {
        assertThat(SummaryTable.intervalName(6)).isEqualTo("95% interval of the median, order statistics");
        assertThat(SummaryTable.intervalName(12)).isEqualTo("95% interval of the median, order statistics");
        // n = 5: [min, max] covers the median with 1 - 2 / 2^5 = 93.75%; n = 3: 1 - 2 / 8 = 75%.
        assertThat(SummaryTable.intervalName(5)).isEqualTo("min-max: with 5 trials it covers the median with 94%"
                + " confidence only; 6 trials give 95%");
        assertThat(SummaryTable.intervalName(3)).contains("75% confidence");
    }

    @Test
    void checkNamesDamagedJmhResultsKeptBesideTheLog() throws Exception {
        RunLog log = writeSyntheticLog(false);
        new Report(log, dir).render();
        Files.createDirectories(dir.resolve(Report.JMH));
        Files.writeString(dir.resolve(Report.JMH).resolve("results-t1.json"), "not json");
        assertThat(CheckCommand.problems(log, dir)).anyMatch(p -> p.startsWith("the JMH results kept in")
                && p.contains("results-t1.json"));
    }

    @Test
    void aDeadlockOnAGuaranteeThatPromisesProgressFailsTheReport() throws Exception {
        RunLog log = writeSyntheticLog(true);
        Report report = new Report(log, dir);
        String html = Files.readString(report.render(), StandardCharsets.UTF_8);
        assertThat(report.failed()).isTrue();
        assertThat(html).contains("FAILED", "this guarantee promises forward progress", "w0 [WAITING] a wait queue");
    }

    @Test
    void theReportCommandRendersTheSameOutputsAgainFromTheLog() throws Exception {
        RunLog log = writeSyntheticLog(false);
        new Report(log, dir).render();
        String json = Files.readString(dir.resolve(Report.SUMMARY), StandardCharsets.UTF_8);
        String html = Files.readString(dir.resolve(Report.INDEX), StandardCharsets.UTF_8);
        Files.delete(dir.resolve(Report.INDEX));
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new java.io.PrintWriter(out));
        assertThat(cl.execute("report", dir.toString())).isZero();
        assertThat(dir.resolve(Report.SUMMARY)).content(StandardCharsets.UTF_8).isEqualTo(json);
        assertThat(dir.resolve(Report.INDEX)).content(StandardCharsets.UTF_8).isEqualTo(html);
        assertThat(out.toString()).contains("scenario", "mempool-2.5.1", "report: ");
        assertThat(cl.execute("check", dir.toString())).isZero();
    }

    @Test
    void checkFailsOnAFolderWithoutAReport() throws Exception {
        writeSyntheticLog(false);
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new java.io.PrintWriter(out));
        assertThat(cl.execute("check", dir.toString())).isEqualTo(Main.EXIT_FAILED);
        assertThat(out.toString()).contains("index.html is missing");
    }

    @Test
    void checkNamesWhatIsMissing() throws Exception {
        RunLog log = writeSyntheticLog(false);
        assertThat(CheckCommand.problems(log, dir)).contains("index.html is missing in " + dir);
    }

    @Test
    void checkNamesATagWhoseValuesDoNotMatchTheRunsCount() throws Exception {
        long t = 1_700_000_000_000L;
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t, "short")) {
            log.interval("writeback/mempool-2.5.1/t1/write", SyntheticLog.interval(t, 100_000));
            log.run(RunResultTest.sample("mempool-2.5.1", false, 0));
            log.end(1);
        }
        RunLog log = RunLog.read(dir.resolve(Campaign.LOG));
        new Report(log, dir).render();
        assertThat(CheckCommand.problems(log, dir)).containsExactly("run writeback.mempool-2.5.1.t1 ended 4 operations"
                + " of type write (0 failed) but the log holds 1 under tag writeback/mempool-2.5.1/t1/write and 0 under"
                + " writeback/mempool-2.5.1/t1/write/failed");
    }

    @Test
    void thePercentileAxisCountsNines() {
        assertThat(PercentilePlot.x(0.9)).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PercentilePlot.x(0.999)).isCloseTo(3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PercentilePlot.x(0)).isZero();
        assertThat(PercentilePlot.x(1.0)).isFinite().isCloseTo(6, org.assertj.core.data.Offset.offset(1e-6));
    }

    /**
     * Every string the page takes from a log is escaped: the settings line, the environment, a
     * run's error, its mismatch examples, wait sites and counter names, as a hostile or damaged
     * log could carry markup in any of them.
     */
    @Test
    void everyStringFromTheLogIsEscapedInThePage() throws Exception {
        String evil = "<script>alert(1)</script>";
        long t = 1_700_000_000_000L;
        java.util.Map<String, Long> counters = new java.util.LinkedHashMap<>();
        counters.put("ops.write", 4L);
        counters.put("x" + evil, 1L);
        RunResult broken = new RunResult("writeback", "mempool-modern", 1, 42, 1000, 2.5, 2.51, 2500, 2500, 3, 1, true,
                List.of("phase load", "w0 [WAITING] " + evil), 4096, 1, List.of("page 3: " + evil), 1.0, 1.0,
                "java.lang.IllegalStateException: " + evil, counters, List.of("write"));
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t, "scenarios=writeback note=" + evil)) {
            log.comment(new Environment(java.util.Map.of("jdk", evil)).encode());
            log.interval("writeback/mempool-modern/t1/write", SyntheticLog.interval(t, 100_000, 200_000));
            log.run(broken);
            log.end(1);
        }
        new Report(RunLog.read(dir.resolve(Campaign.LOG)), dir).render();
        String page = Files.readString(dir.resolve(Report.INDEX), StandardCharsets.UTF_8);
        String escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
        assertThat(page).doesNotContain(evil).contains("note=" + escaped, "x" + escaped, "page 3: " + escaped,
                "IllegalStateException: " + escaped, "[WAITING] " + escaped, "<td>" + escaped + "</td>");
    }
}
