// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.LatencyLog;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The debate's verdicts on constructed campaigns whose answers are known: each claim supported
 * by the trials that support it, contradicted by one counter-example, and "not shown" with the
 * run that would show it when this run cannot.
 */
class DebateTest {
    @TempDir
    Path dir;

    /** One trial: {@code deadlocked}, {@code nulls} null returns, held and price in KiB, counters. */
    private static RunResult trial(String scenario, String guarantee, int trial, boolean deadlocked, long nulls,
            double heldKiB, double priceKiB, Map<String, Long> extra) {
        Map<String, Long> counters = new LinkedHashMap<>(extra);
        counters.put("guarantee_alloc_failures", nulls);
        counters.put("ops.write", 2000L);
        return new RunResult(scenario, guarantee, trial, trial, 2000, 1, 1.01, 2000, deadlocked ? 100 : 2000, 0, 0,
                deadlocked, deadlocked ? List.of("phase load, no progress for 2s",
                        "bdflush-wb [WAITING] a wait queue, called from PageAllocator.waitForFreePages (the page allocator's"
                        + " wait queue: out of memory, waiting for pages to be freed); allocating from wb (" + guarantee
                        + ")") : List.of(),
                deadlocked ? 0 : 1 << 20, 0, List.of(), heldKiB * 1024, priceKiB * 1024, "", counters, List.of("write"));
    }

    private RunLog log(String oom, List<RunResult> runs) throws Exception {
        return log(oom, "", runs);
    }

    /** A log of {@code runs} whose settings line ends with {@code extra} (" key=value" pairs). */
    private RunLog log(String oom, String extra, List<RunResult> runs) throws Exception {
        long t = 1_700_000_000_000L;
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), t, "scenarios=writeback,bounce,raid1,mixed"
                + " guarantees=mempool-2.5.1,mempool-modern,reservation,none duration=1s trials=3 rate=2000/s"
                + " memory=32MiB cpus=2 seed=5 disk-error-rate=0.0 page-fail=0%/1 workers=4 watchdog=2s"
                + " stall-threshold=100ms service-time=100us kswapd=false oom=" + oom + " warmup=300ms" + extra)) {
            for (RunResult r : runs) {
                if (!r.deadlocked()) {
                    Histogram h = new Histogram(3);
                    for (int i = 1; i <= 2000; i++) {
                        h.recordValue(100_000L + i);
                    }
                    h.setStartTimeStamp(t);
                    h.setEndTimeStamp(t + 1000);
                    log.interval(r.tag("write"), h);
                }
                log.run(r);
            }
            log.end(runs.size());
        }
        return RunLog.read(dir.resolve(Campaign.LOG));
    }

    private static Map<String, Debate.Row> byId(List<Debate.Row> rows) {
        Map<String, Debate.Row> m = new LinkedHashMap<>();
        rows.forEach(r -> m.put(r.id(), r));
        return m;
    }

    /** Three trials of writeback on each mempool and on reservation; 2.5.1 deadlocks in {@code stuck}. */
    private List<RunResult> writeback(int stuck, long nulls, double rsvHeld, double rsvPrice) {
        List<RunResult> runs = new ArrayList<>();
        Map<String, Long> pool = Map.of("guarantee.wb.served_nowait", 1990L, "guarantee.wb.served_waited", 10L,
                "guarantee.wb.waits", 10L, "guarantee.wb.wait_ns", 20_000_000L);
        Map<String, Long> rsv = Map.of("guarantee.wb.served_free", 7L, "guarantee.wb.served_after_drop", 2L,
                "guarantee.reservations.granted", 1L);
        for (int t = 1; t <= 3; t++) {
            runs.add(trial("writeback", "mempool-2.5.1", t, t <= stuck, nulls, 1, 1, pool));
            runs.add(trial("writeback", "mempool-modern", t, false, 0, 1, 1, pool));
            runs.add(trial("writeback", "reservation", t, false, 0, rsvHeld + t, rsvPrice + t / 10.0, rsv));
        }
        return runs;
    }

    @Test
    void theRunCommandRepeatsTheSlabFaultInjection() throws Exception {
        // The settings line of a --slab-fail-percent 100 campaign (SlabFaultCampaignTest checks a
        // real campaign writes it so): the report's command to run it again must keep it.
        RunLog log = log("fail", " slab-fail=100%", writeback(0, 0, 300, 0));
        assertThat(log.setting("slab-fail")).isEqualTo("100%");
        assertThat(Debate.runCommand(log)).contains("--slab-fail-percent 100");
    }

    @Test
    void underTheFailPolicyTheHalfFullRuleIsNotShownAndTheRunThatWouldIsNamed() throws Exception {
        Map<String, Debate.Row> rows = byId(Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 0))), null, null));
        assertThat(rows.keySet()).containsExactly("M1", "M2", "M3", "M4", "M5", "M6", "L1", "L2", "L3", "L4", "L5",
                "L6", "L7");
        for (String id : List.of("M3", "L7")) {
            assertThat(rows.get(id).status()).isEqualTo(Debate.Status.NOT_SHOWN);
            assertThat(rows.get(id).command()).isEqualTo("./kalloc run --oom wait -s writeback");
            assertThat(rows.get(id).figure()).contains("mempool-2.5.1 in 0 of 3 trials", "--oom fail");
        }
        // No JMH results, no sources: the fast-path claims and the source count say what would show them.
        for (String id : List.of("M4", "L2", "L3")) {
            assertThat(rows.get(id).status()).isEqualTo(Debate.Status.NOT_SHOWN);
            assertThat(rows.get(id).command()).startsWith("stress/jmh/debate.sh");
        }
        assertThat(rows.get("M5").status()).isEqualTo(Debate.Status.NOT_SHOWN);
        assertThat(rows.get("M1").status()).as("no bounce or raid1 cell").isEqualTo(Debate.Status.NOT_SHOWN);
    }

    @Test
    void whenTheAllocatorNeverGivesUpA251DeadlockContradictsM3AndSupportsL7() throws Exception {
        Map<String, Debate.Row> rows = byId(Debate.rows(Analysis.of(log("wait", writeback(2, 0, 300, 0))), null, null));
        assertThat(rows.get("M3").status()).isEqualTo(Debate.Status.CONTRADICTED);
        assertThat(rows.get("L7").status()).isEqualTo(Debate.Status.SUPPORTED);
        assertThat(rows.get("L7").figure()).contains("mempool-2.5.1 in 2 of 3 trials", "mempool-modern in 0 of 3",
                "--oom wait");
        assertThat(rows.get("M3").command()).contains("--oom wait", "--trials 3", "--seed 5");
        assertThat(rows.get("L7").note()).contains("did not: in every stuck trial the watchdog found a pool's"
                + " allocation asleep in the page allocator's wait queue");
    }

    @Test
    void neverFailingIsSupportedOnlyWhereTheAllocatorRefusedAndContradictedByOneNull() throws Exception {
        Map<String, Debate.Row> ok = byId(Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 0))), null, null));
        assertThat(ok.get("M2").status()).isEqualTo(Debate.Status.SUPPORTED);
        // 6 mempool trials of 2000 allocations each, 1990 at level 1 and 10 after a sleep: 60
        // served past a refused first attempt.
        assertThat(ok.get("M2").figure()).isEqualTo("0 null returns to sleeping callers in 12000 allocations (6 trials that ran to the end);"
                + " 60 of them served past the first attempt, the allocator under the pool having refused it");
        assertThat(ok.get("M6").status()).isEqualTo(Debate.Status.SUPPORTED);
        assertThat(ok.get("M6").figure()).startsWith("60 sleeps, 2.00 ms on average");
        // 3 trials x (7 from free reserved pages + 2 after dropping a clean page).
        assertThat(ok.get("L5").status()).isEqualTo(Debate.Status.SUPPORTED);
        assertThat(ok.get("L5").note()).contains("27 allocations had to come from the reservation");

        // Every allocation served at the first attempt, none from the reservation: "never fails"
        // was never put to the test.
        List<RunResult> easy = new ArrayList<>();
        for (int t = 1; t <= 3; t++) {
            easy.add(trial("writeback", "mempool-modern", t, false, 0, 1, 1, Map.of("guarantee.wb.served_nowait", 2000L)));
            easy.add(trial("writeback", "reservation", t, false, 0, 1, 1, Map.of("guarantee.wb.served_free", 0L)));
        }
        Map<String, Debate.Row> untested = byId(Debate.rows(Analysis.of(log("fail", easy)), null, null));
        assertThat(untested.get("M2").status()).isEqualTo(Debate.Status.NOT_SHOWN);
        assertThat(untested.get("L5").status()).isEqualTo(Debate.Status.NOT_SHOWN);

        Map<String, Debate.Row> bad = byId(Debate.rows(Analysis.of(log("fail", writeback(0, 1, 300, 0))), null, null));
        assertThat(bad.get("M2").status()).isEqualTo(Debate.Status.CONTRADICTED);
        assertThat(bad.get("M2").figure()).startsWith("3 null returns");
    }

    @Test
    void theHalfFullRuleIsSingledOutOnlyBesideAModernOrderThatKeptGoing() throws Exception {
        List<RunResult> alone = new ArrayList<>();
        List<RunResult> both = new ArrayList<>();
        for (int t = 1; t <= 3; t++) {
            alone.add(trial("writeback", "mempool-2.5.1", t, true, 0, 1, 1, Map.of()));
            both.add(trial("writeback", "mempool-2.5.1", t, true, 0, 1, 1, Map.of()));
            both.add(trial("writeback", "mempool-modern", t, true, 0, 1, 1, Map.of()));
        }
        Map<String, Debate.Row> a = byId(Debate.rows(Analysis.of(log("wait", alone)), null, null));
        for (String id : List.of("M3", "L7")) {
            assertThat(a.get(id).status()).as(id).isEqualTo(Debate.Status.NOT_SHOWN);
            assertThat(a.get(id).command()).as(id).contains("-g mempool-2.5.1,mempool-modern");
        }
        Map<String, Debate.Row> b = byId(Debate.rows(Analysis.of(log("wait", both)), null, null));
        for (String id : List.of("M3", "L7")) {
            assertThat(b.get(id).status()).as(id).isEqualTo(Debate.Status.NOT_SHOWN);
            assertThat(b.get(id).note()).as(id).contains("both orders deadlocked");
        }
    }

    @Test
    void cleanPagesCoveringReservedMemorySupportL4AndTheirAbsenceShowsNothing() throws Exception {
        // held 301, 302, 303 KiB; price 0.1, 0.2, 0.3 KiB: the price interval [0.1, 0.3] lies below [301, 303].
        Map<String, Debate.Row> covered = byId(Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 0))), null,
                null));
        assertThat(covered.get("L4").status()).isEqualTo(Debate.Status.SUPPORTED);
        assertThat(covered.get("L4").figure()).endsWith("6 reserved allocations served by dropping a clean page");
        assertThat(covered.get("L4").figure()).contains("writeback: held 302 [301, 303] KiB, price 0.20 [0.10, 0.30] KiB");
        // price 301.0 to 301.2 KiB against held 301 to 303: the intervals overlap, no clean page
        // covered anything that shows.
        Map<String, Debate.Row> bare = byId(Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 300.9))), null,
                null));
        // max(0, R - C) <= R always: a price equal to what is held is clean pages absent, not the
        // claim refuted.
        assertThat(bare.get("L4").status()).isEqualTo(Debate.Status.NOT_SHOWN);
        assertThat(bare.get("L4").note()).contains("no scenario had clean page cache covering its reservation");
    }

    @Test
    void jmhScoresDecideTheFastPathClaimsByTheirErrors() throws Exception {
        Map<String, Debate.Row> rows = debateWithJmh(
                score("CallSiteBench", "mode", "mono", 1, 30.0, 0.5),
                score("CallSiteBench", "mode", "direct", 1, 20.0, 0.5),
                score("CallSiteBench", "mode", "mega", 1, 36.0, 0.5),
                score("CallSiteBench", "mode", "reservation", 1, 20.2, 0.5),
                score("CallSiteBench", "mode", "mono", 2, 31.0, 0.5),
                score("CallSiteBench", "mode", "direct", 2, 21.0, 0.5),
                score("FastPathBench", "subject", "page0-rsv", 1, 22.0, 0.4),
                score("FastPathBench", "subject", "page0-pcp", 1, 21.5, 0.4));
        // mono - direct = 10 ns against a combined error of 0.71: the pool costs more than the allocator.
        assertThat(rows.get("M4").status()).isEqualTo(Debate.Status.CONTRADICTED);
        assertThat(rows.get("M4").figure()).contains("1 thread, pool mode mono: 30.0 ± 0.5 vs 20.0 ± 0.5 ns/op (+10.0 ± 0.7)");
        // mega - mono = 6 ns > 0.71.
        assertThat(rows.get("L2").status()).isEqualTo(Debate.Status.SUPPORTED);
        // reservation: +0.5 ± 0.57; mempool's layer +10 ± 0.71: cheaper by more than the errors.
        assertThat(rows.get("L3").status()).isEqualTo(Debate.Status.SUPPORTED);
    }

    /**
     * M4 is a claim about the kernel's mempool_alloc, which counts nothing: when CallSiteBench
     * ran its kernel mode, that mode decides, and what the port's counters add is a figure.
     */
    @Test
    void theKernelModeDecidesM4AndTheCountersAreShownBeside() throws Exception {
        Map<String, Debate.Row> rows = debateWithJmh(
                score("CallSiteBench", "mode", "mono", 1, 30.0, 0.5),
                score("CallSiteBench", "mode", "kernel", 1, 20.1, 0.2),
                score("CallSiteBench", "mode", "direct", 1, 20.0, 0.2),
                score("CallSiteBench", "mode", "mega", 1, 36.0, 0.5),
                score("CallSiteBench", "mode", "reservation", 1, 20.2, 0.5),
                score("FastPathBench", "subject", "page0-rsv", 1, 22.0, 0.4),
                score("FastPathBench", "subject", "page0-pcp", 1, 21.5, 0.4));
        // L3 compares the reservation with the same kernel-like pool: +0.5 against +0.1, within the errors.
        assertThat(rows.get("L3").figure()).contains("mempool's layer (kernel): 20.1 ± 0.2 vs 20.0 ± 0.2 ns/op");
        assertThat(rows.get("L3").status()).isEqualTo(Debate.Status.NOT_SHOWN);
        // kernel - direct = +0.1 ± 0.28: at most 0.38 ns, under 5% of 20 ns.
        assertThat(rows.get("M4").status()).isEqualTo(Debate.Status.SUPPORTED);
        assertThat(rows.get("M4").figure()).contains(
                "1 thread, pool mode kernel: 20.1 ± 0.2 vs 20.0 ± 0.2 ns/op (+0.1 ± 0.3)",
                "the port's counters (mono vs kernel, 1 thread): 30.0 ± 0.5 vs 20.1 ± 0.2 ns/op (+9.9 ± 0.5)");
    }

    @Test
    void aCostIsNegligibleOnlyWhenItsWholeIntervalIsUnderFivePercent() throws Exception {
        // M4: +0.2 +- 0.28 on a 40 ns bare allocation: under 2 ns (5%) error included: supported.
        // L2: -1.2 +- 6.1 on a 43.6 ns pool: the interval reaches +4.9 > 2.18 (5%): not shown.
        Map<String, Debate.Row> rows = debateWithJmh(
                score("CallSiteBench", "mode", "mono", 1, 40.2, 0.2),
                score("CallSiteBench", "mode", "direct", 1, 40.0, 0.2),
                score("CallSiteBench", "mode", "mega", 1, 42.4, 2.6),
                score("CallSiteBench", "mode", "reservation", 1, 29.0, 2.3));
        assertThat(rows.get("M4").status()).isEqualTo(Debate.Status.SUPPORTED);
        rows = debateWithJmh(
                score("CallSiteBench", "mode", "mono", 1, 43.6, 5.5),
                score("CallSiteBench", "mode", "direct", 1, 32.7, 5.5),
                score("CallSiteBench", "mode", "mega", 1, 42.4, 2.6),
                score("CallSiteBench", "mode", "reservation", 1, 29.0, 2.3));
        assertThat(rows.get("L2").status()).isEqualTo(Debate.Status.NOT_SHOWN);
        assertThat(rows.get("L2").note()).contains("within the errors", "(-1.2 ± 6.1 ns)");
    }

    @Test
    void scoresWithoutAnErrorDecideNothing() throws Exception {
        Map<String, Debate.Row> rows = debateWithJmh(
                score("CallSiteBench", "mode", "mono", 1, 30.0, Double.NaN),
                score("CallSiteBench", "mode", "direct", 1, 20.0, 0.5),
                score("CallSiteBench", "mode", "mega", 1, 36.0, 0.5),
                score("CallSiteBench", "mode", "reservation", 1, 20.2, 0.5));
        for (String id : List.of("M4", "L2")) {
            assertThat(rows.get(id).status()).as(id).isEqualTo(Debate.Status.NOT_SHOWN);
            assertThat(rows.get(id).note()).as(id).contains("no error");
        }
        assertThat(rows.get("M4").figure()).contains("30.0 ± ? vs 20.0 ± 0.5 ns/op (+10.0 ± ?)");
    }

    /** The debate rows of a plain writeback run with these JMH scores (score(...) entries) folded in. */
    private Map<String, Debate.Row> debateWithJmh(String... scores) throws Exception {
        Path jmh = dir.resolve("jmh.json");
        Files.writeString(jmh, "[" + String.join(",", scores) + "]", StandardCharsets.UTF_8);
        return byId(Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 0))), JmhResults.read(jmh), null));
    }

    private static String score(String bench, String param, String value, int threads, double score, double error) {
        return "{\"benchmark\": \"dev.kalloc.stress.jmh." + bench + ".allocFree\", \"mode\": \"avgt\", \"threads\": "
                + threads + ", \"params\": {\"" + param + "\": \"" + value + "\"}, \"primaryMetric\": {\"score\": "
                + score + ", \"scoreError\": " + (Double.isNaN(error) ? "\"NaN\"" : error) + ", \"scoreUnit\": \"ns/op\"}, \"secondaryMetrics\": {}}";
    }

    @Test
    void theSourceCountNeedsTheRepository() throws Exception {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("mempool/src/main/java/x"));
        Files.createDirectories(root.resolve("page-alloc/src/main/java/x"));
        Files.createDirectories(root.resolve("reservation/src/main/java/x"));
        Files.writeString(root.resolve("mempool/src/main/java/x/Mempool.java"), "a\nb\nc\n");
        Files.writeString(root.resolve("page-alloc/src/main/java/x/ReserveAccount.java"), "a\nb\n");
        Files.writeString(root.resolve("page-alloc/src/main/java/x/Zone.java"), "a\nb\nc\nd\n");
        Files.writeString(root.resolve("reservation/src/main/java/x/Reservation.java"), "a\n");
        Map<String, Debate.Row> rows = byId(Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 0))), null, root));
        assertThat(rows.get("M5").status()).isEqualTo(Debate.Status.SUPPORTED);
        assertThat(rows.get("M5").figure()).isEqualTo("mempool: 3 lines beside the allocators, 0 in files of its own"
                + " inside them; reservation: 2 lines in files of its own inside page-alloc, 1 beside");
    }

    @Test
    void theMarkdownNamesEveryCommandOnce() throws Exception {
        List<Debate.Row> rows = Debate.rows(Analysis.of(log("fail", writeback(0, 0, 300, 0))), null, null);
        String md = DebatePage.markdown(rows, "From a test.");
        assertThat(md).contains("| M1 | Molnar |", "| L7 | LaHaise |", "**not shown by this run**", "From a test.");
        assertThat(md.split("`./kalloc run --oom wait -s writeback`", -1)).hasSize(2);
    }
}
