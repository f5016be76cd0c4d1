// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.report.SweepReport;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.SweepConfig;
import dev.kalloc.stress.workload.run.SweepPoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kalloc sweep}: the steps and rates it plans, its arguments file read back into the same
 * sweep, a small real sweep resumed after an interruption without redoing its finished points,
 * the sweep-to-sweep comparison and the refusals.
 */
class SweepCommandTest {
    @TempDir
    Path dir;

    private static Cli run(String... args) {
        return Cli.run(args);
    }

    private static SweepConfig parse(Path out, String... args) {
        SweepCommand c = new SweepCommand();
        new CommandLine(c).registerConverter(Duration.class, new DurationConverter()).parseArgs(args);
        return c.config(out);
    }

    @Test
    void stepsRunFromPlentyToNoneUnderBothPoliciesAndRatesDouble() {
        SweepConfig c = parse(dir, "--free-steps", "0,10,1,2,0.5", "--rate-from", "1000", "--rate-max", "9000");
        assertThat(c.steps()).containsExactly(10.0, 2.0, 1.0, 0.5, 0.0);
        assertThat(c.pressurePoints()).extracting(SweepPoint::folder).containsExactly("pressure-fail-free10",
                "pressure-fail-free2", "pressure-fail-free1", "pressure-fail-free0.5", "pressure-fail-free0",
                "pressure-wait-free10", "pressure-wait-free2", "pressure-wait-free1", "pressure-wait-free0.5",
                "pressure-wait-free0");
        assertThat(c.loadRates()).containsExactly(1000.0, 2000.0, 4000.0, 8000.0);
        assertThat(c.loadPoint(4000).folder()).isEqualTo("load-4000");
        assertThat(c.base().scenarios()).containsExactly("writeback", "bounce", "raid1");
        assertThat(c.base().trials()).isEqualTo(6);
        SweepConfig quick = parse(dir, "--quick");
        assertThat(quick.steps()).containsExactly(10.0, 1.0, 0.0);
        assertThat(quick.base().trials()).isEqualTo(2);
        assertThat(parse(dir, "--quick", "--trials", "3").base().trials()).isEqualTo(3);
        // The plan: 10 pressure points of 72 runs; here 4 load rates (1000 to 8000), by default 6.
        assertThat(SweepCommand.estimate(c)).contains("10 pressure points and up to 4 load points");
        assertThat(SweepCommand.estimate(parse(dir))).contains("792 to 1152 runs of 500ms", "about 13 min to 19 min");
        assertThat(SweepCommand.roughly(59.6)).isEqualTo("60 s");
        assertThat(SweepCommand.roughly(150)).isEqualTo("3 min");
    }

    @Test
    void theArgumentsFileDescribesTheSameSweep() throws Exception {
        SweepConfig c = parse(dir, "--quick", "-s", "bounce,raid1", "-g", "none,reservation", "--seed", "9",
                "--free-steps", "7,0.25");
        Files.write(dir.resolve(SweepCommand.ARGS), SweepCommand.args(c), StandardCharsets.UTF_8);
        SweepConfig back = SweepCommand.resumed(dir);
        assertThat(back).isEqualTo(c);
        assertThat(SweepCommand.args(back)).isEqualTo(SweepCommand.args(c));
    }

    @Test
    void badSweepsAreRefusedByName() throws Exception {
        assertThat(run("sweep", "--free-steps", "5,5", "-o", dir.resolve("a").toString()).err())
                .contains("--free-steps [5.0, 5.0]: a step is named twice");
        assertThat(run("sweep", "--free-steps", "100", "-o", dir.resolve("a").toString()).err())
                .contains("--free-steps 100.0: each step must be in [0, 100) percent");
        assertThat(run("sweep", "--rate-from", "4000", "--rate-max", "1000", "-o", dir.resolve("a").toString()).err())
                .contains("--rate-max 1000.0: must be in [--rate-from, 1000000]");
        assertThat(run("sweep", "-g", "none,none", "-o", dir.resolve("a").toString()).err())
                .contains("--guarantees: 'none' is named twice");
        assertThat(run("sweep", "-s", ",", "-o", dir.resolve("a").toString()).err())
                .contains("--scenarios: an empty list");
        assertThat(run("sweep", "--free-steps", "5,0,0.0", "-o", dir.resolve("a").toString()).err())
                .contains("a step is named twice");
        assertThat(run("sweep", "--free-steps", "5,0,-0", "-o", dir.resolve("a").toString()).err())
                .contains("'-0' is not a plain decimal number");
        assertThat(run("sweep", "--free-steps", "0.0001", "-o", dir.resolve("a").toString()).err())
                .contains("at most three decimals");
        assertThat(run("sweep", "-d", "100ms", "--rate-from", "5", "-o", dir.resolve("a").toString()).err())
                .contains("--rate-from 5.0: must offer at least one operation in a run of 100ms");
        Cli resumeNothing = run("sweep", "--resume", dir.toString());
        assertThat(resumeNothing.status()).isEqualTo(2);
        assertThat(resumeNothing.err()).contains("no sweep there (sweep.args is missing)").doesNotContain("\tat ");
        for (List<String> bad : List.of(List.of("--trials=lots"), List.<String>of(), List.of("@/etc/hostname"))) {
            Files.write(dir.resolve(SweepCommand.ARGS), bad, StandardCharsets.UTF_8);
            Cli damaged = run("sweep", "--resume", dir.toString());
            assertThat(damaged.status()).as("%s", bad).isEqualTo(2);
            assertThat(damaged.err()).contains("is damaged").doesNotContain("\tat ");
        }
        Cli other = run("sweep", "--resume", dir.toString(), "--trials", "3");
        assertThat(other.status()).isEqualTo(2);
        assertThat(other.err()).contains("--resume takes no other option");
        Cli taken = run("sweep", "-o", dir.toString());
        assertThat(taken.status()).isEqualTo(2);
        assertThat(taken.err()).contains("already holds a sweep", "--resume");
        assertThat(dir.resolve("a")).doesNotExist();
    }

    @Test
    void anInterruptedSweepResumesWithoutRedoingFinishedPoints() throws Exception {
        Path out = dir.resolve("sweep");
        Cli first = run("sweep", "-s", "bounce", "-g", "mempool-modern,none", "-n", "1", "-d", "150ms",
                "--free-steps", "5,0", "--rate-from", "1000", "--rate-max", "2000", "--warmup", "0s", "-o", out.toString());
        assertThat(first.status()).as(first.err()).isEqualTo(0);
        assertThat(first.out()).contains("Breaking points", "fail  bounce", "wait  bounce", "Knees", "6 points (6 run, 0 resumed)");
        for (String point : List.of("pressure-fail-free5", "pressure-fail-free0", "pressure-wait-free5", "pressure-wait-free0",
                "load-1000", "load-2000")) {
            assertThat(out.resolve(point).resolve(Campaign.LOG)).isRegularFile();
            assertThat(out.resolve(point).resolve(Report.SUMMARY)).isRegularFile();
        }
        assertThat(out.resolve(SweepReport.INDEX)).content(StandardCharsets.UTF_8).contains("Breaking points", "Knees");
        assertThat(out.resolve("pressure-fail-bounce.png")).isRegularFile();
        assertThat(out.resolve("load-bounce.png")).isRegularFile();
        assertThat(out.resolve(SweepReport.SUMMARY)).content(StandardCharsets.UTF_8)
                .contains("\"breaking_points\"", "\"knees\"", "\"kept_going\"");
        // A hgrm per point and cell, for HdrHistogram's tools.
        assertThat(out.resolve("pressure-fail-free5").resolve("bounce.mempool-modern.read.hgrm")).isRegularFile();

        // Interrupt it: one point cut off in the middle of its log, another never begun, the top
        // report not written.
        Path cut = out.resolve("pressure-wait-free0").resolve(Campaign.LOG);
        byte[] whole = Files.readAllBytes(cut);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        deleteTree(out.resolve("load-2000"));
        Files.delete(out.resolve(SweepReport.INDEX));
        Files.delete(out.resolve("pressure-fail-free0").resolve("bounce.mempool-modern.read.hgrm"));
        byte[] kept = Files.readAllBytes(out.resolve("pressure-fail-free5").resolve(Campaign.LOG));

        Cli again = run("sweep", "--resume", out.toString());
        assertThat(again.status()).as(again.err()).isEqualTo(0);
        assertThat(again.out()).contains("6 points (2 run, 4 resumed)");
        assertThat(Files.readAllBytes(out.resolve("pressure-fail-free5").resolve(Campaign.LOG))).isEqualTo(kept);
        assertThat(Sweep.finishedLog(out.resolve("pressure-wait-free0"))).isNotNull();
        assertThat(Sweep.finishedLog(out.resolve("load-2000"))).isNotNull();
        assertThat(out.resolve(SweepReport.INDEX)).isRegularFile();
        assertThat(CheckCommand.problems(Sweep.finishedLog(out.resolve("pressure-fail-free0")),
                out.resolve("pressure-fail-free0"))).isEmpty();

        // A sweep.args edited since: refused before anything runs.
        Path args0 = out.resolve(SweepCommand.ARGS);
        List<String> original = Files.readAllLines(args0, StandardCharsets.UTF_8);
        Files.write(args0, original.stream().map(a -> a.equals("--seed=1") ? "--seed=99" : a).toList(),
                StandardCharsets.UTF_8);
        Cli edited = run("sweep", "--resume", out.toString());
        assertThat(edited.status()).isEqualTo(2);
        assertThat(edited.err()).contains("was run with other settings", "seed=1 in the point, seed=99 in the sweep");
        Files.write(args0, original, StandardCharsets.UTF_8);

        // Compared with itself: nothing changes; with a run: refused.
        Cli self = run("compare", out.toString(), out.toString(), "-o", dir.resolve("c.html").toString());
        assertThat(self.status()).isEqualTo(0);
        assertThat(self.out()).contains("6 points compared", "0 significant changes");
        Cli mixed = run("compare", out.toString(), out.resolve("load-1000").toString());
        assertThat(mixed.status()).isEqualTo(2);
        assertThat(mixed.err()).contains("is a sweep and", "is not");
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        List<String> args = new ArrayList<>(Files.readAllLines(out.resolve(SweepCommand.ARGS), StandardCharsets.UTF_8));
        args.replaceAll(a -> a.startsWith("--memory=") ? "--memory=64" : a);
        Files.write(other.resolve(SweepCommand.ARGS), args, StandardCharsets.UTF_8);
        Cli differ = run("compare", out.toString(), other.toString());
        assertThat(differ.status()).isEqualTo(2);
        assertThat(differ.err()).contains("the sweeps' settings differ (--memory=32 in A, --memory=64 in B)");
    }

    @Test
    void aSweepOfOneStepAndOneRateStillPlots() throws Exception {
        Path out = dir.resolve("one");
        Cli r = run("sweep", "-s", "bounce", "-g", "none", "-n", "1", "-d", "100ms", "--free-steps", "0", "--rate-from",
                "2000", "--rate-max", "2000", "--warmup", "0s", "-o", out.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(0);
        for (String png : List.of("pressure-fail-bounce.png", "pressure-wait-bounce.png", "load-bounce.png")) {
            assertThat(Files.size(out.resolve(png))).as(png).isPositive();
        }
        // Every trial deadlocked under wait: no failed share, not a 0%.
        assertThat(out.resolve(SweepReport.INDEX)).content(StandardCharsets.UTF_8).contains("no trial ran to the end");
    }

    private static void deleteTree(Path p) throws Exception {
        try (var s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
