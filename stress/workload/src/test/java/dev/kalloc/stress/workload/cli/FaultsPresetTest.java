// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kalloc run --faults}: page allocation failures, slab failures and disk errors at once,
 * raid1's mirrors included. The preset's values, explicit options over them; and a real raid1
 * run under every kind of fault, at a disk error rate high enough that both in-sync mirrors draw
 * errors: a mirror fails, none loses a sector or a request, each kind of fault was met, and the
 * pressure is whole.
 */
class FaultsPresetTest {
    @TempDir
    Path dir;

    private static RunConfig parse(String... args) {
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).registerConverter(Duration.class, new DurationConverter()).parseArgs(args);
        return cmd.config();
    }

    @Test
    void theFaultsPresetTurnsOnEveryKindAndGivesWayToExplicitOptions() {
        RunConfig plain = parse();
        assertThat(plain.diskErrorRate()).isZero();
        assertThat(plain.pageFailPercent()).isZero();
        assertThat(plain.slabFailPercent()).isZero();

        RunConfig faults = parse("--faults");
        assertThat(faults.diskErrorRate()).isEqualTo(RunCommand.FAULTS_DISK_ERROR_RATE).isPositive();
        assertThat(faults.pageFailPercent()).isEqualTo(RunCommand.FAULTS_PAGE_FAIL_PERCENT).isPositive();
        assertThat(faults.slabFailPercent()).isEqualTo(RunCommand.FAULTS_SLAB_FAIL_PERCENT).isPositive();

        RunConfig mixed = parse("--faults", "--slab-fail-percent", "100", "--disk-error-rate", "0");
        assertThat(mixed.slabFailPercent()).isEqualTo(100);
        assertThat(mixed.diskErrorRate()).isZero();
        assertThat(mixed.pageFailPercent()).isEqualTo(RunCommand.FAULTS_PAGE_FAIL_PERCENT);

        Cli bad = Cli.run("run", "--faults", "--page-fail-percent", "101", "-o", dir.toString());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--page-fail-percent 101");
    }

    @Test
    void raid1UnderEveryFaultLosesAMirrorButNoData() throws Exception {
        // 5% of bios: both in-sync mirrors draw errors within the first hundred requests.
        RunConfig config = new RunConfig(List.of("raid1"), List.of(GuaranteeKind.MEMPOOL_MODERN),
                Duration.ofMillis(600), 1, 1000, 32, 2, 4, 0.05, RunCommand.FAULTS_PAGE_FAIL_PERCENT, 1,
                RunCommand.FAULTS_SLAB_FAIL_PERCENT, 2, Duration.ofSeconds(2), Duration.ofMillis(100),
                Duration.ofNanos(50_000), false, false, 0, Duration.ZERO, dir).validate();
        RunResult r = new Campaign(config, Scenarios::byName, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run().get(0);
        Map<String, Long> c = r.counters();
        assertThat(r.outcome()).as("%s", r).isEqualTo("ok");
        assertThat(r.mismatches()).isZero();
        assertThat(r.bytesVerified()).isPositive();

        assertThat(c.get("faults.disk_io_errors")).isPositive();
        assertThat(c.get("faults.slab_injected")).isPositive();
        assertThat(c.get("faults.page_alloc_injected")).isPositive();
        // A random error (or the scheduled failure, which the gate lets through only while r1m0
        // is good) took one in-sync mirror; the gate spared the other's errors.
        assertThat(c.get("md_error_gate_claims")).isGreaterThanOrEqualTo(1);
        assertThat(c.get("md_error_gate_refused_last_copy")).isPositive();
        assertThat(c.get("md_failed_requests")).isZero();
        assertThat(c.get("md_unrecoverable_reads")).isZero();
        assertThat(c.get("guarantee_sleeping_alloc_failures")).isZero();
        // The pressure filled memory: its fill allocates highmem pages without sleeping, and
        // fail_page_alloc spares highmem requests (the kernel's ignore-gfp-highmem default), so a
        // fill that stops at the first null is not cut short by an injected one.
        long before = c.get(RunResult.PRESSURE_FREE_BEFORE);
        assertThat(c.get(RunResult.PRESSURE_FREE_AT_LOAD)).isLessThan(before / 10);
    }
}
