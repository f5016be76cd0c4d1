// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kalloc.stress.workload.report.Analysis;
import dev.kalloc.stress.workload.report.Metric;
import dev.kalloc.stress.workload.report.RunComparison;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.SyntheticLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kalloc compare}: a known slowdown found with its size and interval, a run against
 * itself changing nothing, and runs of other settings refused by name.
 */
class CompareTest {
    private static final String S = "writeback";

    @TempDir
    Path dir;

    /** Trials of writeback on mempool-modern and reservation with these latencies in ms. */
    private Path campaign(String name, double[] modern, double[] reservation) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        new SyntheticLog().settings("scenarios=writeback guarantees=mempool-modern,reservation duration=1s trials=6"
                + " rate=1000/s memory=32MiB cpus=2 seed=" + name.length() + " disk-error-rate=0.0 page-fail=0%/1 slab-fail=0%"
                + " workers=4 watchdog=2s stall-threshold=100ms service-time=100us kswapd=false oom=fail warmup=300ms")
                .latencies(S, "mempool-modern", modern).latencies(S, "reservation", reservation).write(d);
        return d;
    }

    private static Cli run(String... args) {
        return Cli.run(args);
    }

    @Test
    void aSlowdownIsFoundWithItsSizeAndInterval() throws Exception {
        Path a = campaign("a", new double[] {1, 2, 3, 4, 5, 6}, new double[] {2, 3, 4, 5, 6, 7});
        Path b = campaign("b", new double[] {11, 12, 13, 14, 15, 16}, new double[] {2, 3, 4, 5, 6, 7});
        RunComparison c = RunComparison.of(Analysis.of(RunLog.read(a.resolve(Campaign.LOG))),
                Analysis.of(RunLog.read(b.resolve(Campaign.LOG))));
        RunComparison.Row p99 = c.rows().stream()
                .filter(r -> r.cell().equals(S + "/mempool-modern") && r.metric() == Metric.P99).findFirst().orElseThrow();
        // Every pairwise difference b - a lies in [5, 15] ms (about: histograms keep 3 digits); their
        // median is 10, and 6 against 6 fully separated gives p = 0.0051, under Holm's 0.05 / 2.
        assertThat(p99.shift().estimate()).isCloseTo(10, within(0.05));
        assertThat(p99.shift().lo()).isGreaterThan(4).isLessThan(p99.shift().estimate());
        assertThat(p99.shift().hi()).isLessThan(16).isGreaterThan(p99.shift().estimate());
        assertThat(p99.significant()).isTrue();
        assertThat(p99.verdict()).isEqualTo("worse in B");
        RunComparison.Row same = c.rows().stream()
                .filter(r -> r.cell().equals(S + "/reservation") && r.metric() == Metric.P99).findFirst().orElseThrow();
        assertThat(same.significant()).isFalse();
        assertThat(same.verdict()).isEqualTo("no change shown");
        assertThat(same.shift().estimate()).isCloseTo(0, within(0.01));

        Cli r = run("compare", a.toString(), b.toString(), "-o", dir.resolve("c.html").toString());
        assertThat(r.status()).isEqualTo(0);
        assertThat(r.out()).contains("writeback/mempool-modern p99: 3.50 -> 13.5 ms, change +10.0 [", "worse in B")
                .doesNotContain("writeback/reservation p99");
        assertThat(dir.resolve("c.html")).content(StandardCharsets.UTF_8).contains("writeback/reservation", "worse in B");
    }

    @Test
    void aRunAgainstItselfChangesNothing() throws Exception {
        Path a = campaign("a", new double[] {1, 2, 3, 4, 5, 6}, new double[] {2, 3, 4, 5, 6, 7});
        Cli r = run("compare", a.toString(), a.toString(), "-o", dir.resolve("c.html").toString());
        assertThat(r.status()).isEqualTo(0);
        assertThat(r.out()).contains("0 significant changes");
    }

    @Test
    void runsOfOtherSettingsAreRefusedNamingTheSetting() throws Exception {
        Path a = campaign("a", new double[] {1, 2, 3, 4, 5, 6}, new double[] {2, 3, 4, 5, 6, 7});
        Path b = campaign("b", new double[] {1, 2, 3, 4, 5, 6}, new double[] {2, 3, 4, 5, 6, 7});
        Path log = b.resolve(Campaign.LOG);
        String text = Files.readString(log, StandardCharsets.UTF_8);
        String changed = text.replaceFirst("memory=\\d+MiB", "memory=64MiB");
        assertThat(changed).isNotEqualTo(text);
        Files.writeString(log, changed, StandardCharsets.UTF_8);
        Cli r = run("compare", a.toString(), b.toString(), "-o", dir.resolve("c.html").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("the setting 'memory' differs", "in A, 64MiB in B").doesNotContain("\tat ");
        assertThat(dir.resolve("c.html")).doesNotExist();
        Cli none = run("compare", a.toString(), dir.resolve("nothing").toString());
        assertThat(none.status()).isEqualTo(Main.EXIT_IO);
        assertThat(none.err()).contains("nothing: no such folder");
        Cli empty = run("compare", a.toString(), java.nio.file.Files.createDirectories(dir.resolve("empty")).toString());
        assertThat(empty.status()).isEqualTo(Main.EXIT_IO);
        assertThat(empty.err()).contains("no interval log at");
    }
}
