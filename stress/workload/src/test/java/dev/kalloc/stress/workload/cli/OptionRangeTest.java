// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both ends of what {@code kalloc run} accepts boot and run: the smallest machine on the shortest
 * watchdog, and the largest machine (most memory, most CPUs, most workers) on the shortest
 * watchdog. Booting and filling a machine is set-up, not a stall, so no run may be declared
 * deadlocked before its load began; the load itself is short (a few operations) so the test is.
 */
class OptionRangeTest {
    /** The phases before the load, as the watchdog names them in a run's wait sites. */
    private static final List<String> SET_UP = List.of("phase boot,", "phase snapshot,", "phase prepare,",
            "phase pressure,");

    @TempDir
    Path tmp;

    @Test
    void theSmallestAcceptedMachineRunsEveryScenarioOnEveryGuarantee() throws Exception {
        Path out = tmp.resolve("small");
        Cli c = Cli.run("run", "-o", out.toString(), "-n", "1", "-d", "1ms", "-r", "1000", "--warmup", "0s",
                "-m", String.valueOf(RunConfig.MIN_MEMORY_MIB), "-c", "1", "-w", "1", "--watchdog", "100ms",
                "--service-time", "0s", "--stall-threshold", "1ns");
        assertThat(c.err()).doesNotContain("Exception");
        assertThat(c.status()).as(c.out() + c.err()).isIn(0, Main.EXIT_FAILED);
        RunLog log = RunLog.read(out.resolve(Campaign.LOG));
        assertThat(log.runs()).hasSize(Scenarios.all().size() * dev.kalloc.bio.GuaranteeKind.values().length);
        assertSetUpNeverStalled(log);
    }

    @Test
    void theLargestAcceptedMachineBootsWithinTheShortestWatchdog() throws Exception {
        Path out = tmp.resolve("large");
        Cli c = Cli.run("run", "-o", out.toString(), "-s", "bounce", "-g", "mempool-2.5.1", "-n", "1", "-d", "1ms",
                "-r", "1000", "--warmup", "0s", "-m", String.valueOf(RunConfig.MAX_MEMORY_MIB), "-c", "64", "-w", "256",
                "--watchdog", "100ms");
        assertThat(c.err()).doesNotContain("Exception");
        assertThat(c.status()).as(c.out() + c.err()).isIn(0, Main.EXIT_FAILED);
        RunLog log = RunLog.read(out.resolve(Campaign.LOG));
        assertThat(log.runs()).hasSize(1);
        assertSetUpNeverStalled(log);
    }

    @Test
    void oneMoreThanTheLargestIsRefusedNamingTheRange() {
        Cli c = Cli.run("run", "-o", tmp.toString(), "-m", String.valueOf(RunConfig.MAX_MEMORY_MIB + 1));
        assertThat(c.status()).isEqualTo(2);
        assertThat(c.err()).contains("--memory " + (RunConfig.MAX_MEMORY_MIB + 1) + " MiB: must be in [16, 512]");
        assertThat(Cli.run("run", "--help").out()).contains("16 to 512");
    }

    private static void assertSetUpNeverStalled(RunLog log) {
        for (RunResult r : log.runs()) {
            assertThat(r.error()).as("error of %s", r.id()).isEmpty();
            String sites = String.join("\n", r.waitSites());
            for (String phase : SET_UP) {
                assertThat(sites).as("where %s waited", r.id()).doesNotContain(phase);
            }
        }
    }
}
