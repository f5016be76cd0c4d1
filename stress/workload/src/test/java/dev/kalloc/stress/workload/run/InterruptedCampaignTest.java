// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.cli.Cli;
import dev.kalloc.stress.workload.cli.Main;
import dev.kalloc.stress.workload.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A campaign stopped by SIGTERM (what {@link Process#destroy()} sends; Ctrl-C's SIGINT runs the
 * same shutdown hooks) in a real {@code kalloc run} process: its log ends with the interruption
 * line and nothing after it, and {@code report} and {@code check} say plainly that the campaign
 * is incomplete ({@code check} failing it).
 */
class InterruptedCampaignTest {
    @TempDir
    Path dir;

    @Test
    void aCampaignStoppedBySigtermSaysItIsIncomplete() throws Exception {
        Path out = dir.resolve("run");
        Path console = dir.resolve("console.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
                "-o", out.toString(), "-s", "bounce", "-g", "mempool-modern", "-n", "100", "-d", "200ms", "-r", "300",
                "--warmup", "0s", "-m", "16").redirectErrorStream(true).redirectOutput(console.toFile()).start();
        Path log = out.resolve(Campaign.LOG);
        try {
            // Stopped once a run is in the log, long before its hundredth: waiting on the
            // process's output file is the only event there is to wait for.
            while (!(Files.isRegularFile(log) && Files.readString(log, StandardCharsets.UTF_8)
                    .contains("#" + RunResult.MARK + "\t"))) {
                assertThat(p.isAlive()).as("kalloc run ended early:%n%s", Files.readString(console)).isTrue();
                Thread.sleep(50);
            }
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }

        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(lines.get(lines.size() - 1)).startsWith("#" + LatencyLog.INTERRUPTED_MARK
                + "\tstopped by a signal (SIGTERM or Ctrl-C) after ").endsWith(" of 100 runs");
        assertThat(lines).noneMatch(l -> l.startsWith("#" + LatencyLog.END_MARK));
        RunLog read = RunLog.read(log);
        assertThat(read.runs()).isNotEmpty().hasSizeLessThan(100);
        assertThat(read.incompleteness()).startsWith("INCOMPLETE: the campaign was interrupted: stopped by a signal");

        Cli report = Cli.run("report", out.toString());
        assertThat(report.status()).as(report.err()).isIn(0, Main.EXIT_FAILED);
        assertThat(report.out()).contains("kalloc: INCOMPLETE: the campaign was interrupted",
                "of the 100 runs, and everything here is about those only");
        assertThat(Files.readString(out.resolve(Report.INDEX), StandardCharsets.UTF_8))
                .contains("INCOMPLETE: the campaign was interrupted");
        assertThat(Files.readString(out.resolve(Report.SUMMARY), StandardCharsets.UTF_8)).contains("\"complete\": false");

        Cli check = Cli.run("check", out.toString());
        assertThat(check.status()).isEqualTo(Main.EXIT_FAILED);
        assertThat(check.out()).contains("check: INCOMPLETE: the campaign was interrupted");
    }
}
