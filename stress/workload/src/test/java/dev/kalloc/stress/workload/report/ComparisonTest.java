// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.run.SyntheticLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verdict logic on logs whose every per-trial value is chosen ({@link SyntheticLog}), so each
 * verdict has a known answer, derived in the comments.
 *
 * <p>The p-values used throughout, from {@link Significance#pValue} (normal approximation with a
 * continuity correction of 1/2): with every value of one cell below every value of the other, U =
 * 0 and z = (0 - n1 n2 / 2 + 1/2) / sqrt(n1 n2 (n1 + n2 + 1) / 12):
 * <ul>
 * <li>6 against 6: z = -17.5 / sqrt(39) = -2.802, p = 2 Phi(-2.802) = 0.00507;
 * <li>5 against 5: z = -12 / sqrt(22.917) = -2.507, p = 0.01219.
 * </ul>
 * Trials of a synthetic cell record all their successful operations at one latency, so the
 * trial's p50 and p99 are both that latency as the histogram stores it
 * ({@link SyntheticLog#recorded}: within 0.1%, which never changes the order of the values here).
 */
public class ComparisonTest {
    private static final String S = "writeback";
    private static final String MP = "mempool-2.5.1";
    private static final String MM = "mempool-modern";
    private static final String RES = "reservation";
    private static final String NONE = "none";

    /** 6 against 6, completely separated. */
    private static final double P_6_6 = 0.00507;
    /** 5 against 5, completely separated. */
    private static final double P_5_5 = 0.01219;

    @TempDir
    Path dir;

    private Analysis analyse(SyntheticLog log, String name) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        return Analysis.of(log.write(d));
    }

    private Analysis analyse(SyntheticLog log) throws IOException {
        return analyse(log, "log");
    }

    private static double[] ms(double... v) {
        return v;
    }

    @Test
    void theDerivedPValuesAreSignificancesOwn() {
        assertThat(Significance.pValue(ms(1, 2, 3, 4, 5, 6), ms(7, 8, 9, 10, 11, 12))).isCloseTo(P_6_6, within(1e-5));
        assertThat(Significance.pValue(ms(1, 2, 3, 4, 5), ms(6, 7, 8, 9, 10))).isCloseTo(P_5_5, within(1e-5));
        // Ties within a cell do not change U = 0: six 1000s against six 995s is still 0.00507.
        assertThat(Significance.pValue(ms(1000, 1000, 1000, 1000, 1000, 1000), ms(995, 995, 995, 995, 995, 995)))
                .isCloseTo(P_6_6, within(1e-5));
        // Every value equal: U = n1 n2 / 2, z = +1/2 / sd > 0, p = 1.
        assertThat(Significance.pValue(ms(1, 1, 1, 1, 1, 1), ms(1, 1, 1, 1, 1, 1))).isEqualTo(1.0);
    }

    @Test
    void sixTrialsAllBelowAnothersSixAreOneFindingAndTheWinner() throws Exception {
        // mempool-modern's trials at 1..6 ms, none's at 7..12 ms: U = 0, p = 0.00507, a family of
        // one pair (threshold 5%): significant. The median of 1..6 is 3.5 ms and, at n = 6, the
        // 95% interval is [min, max] (the next narrower, [x2, x5], covers only 78%).
        Analysis a = analyse(new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6).latencies(S, NONE, 7, 8, 9, 10, 11, 12));
        Comparison c = a.comparison(S, Metric.P99);
        assertThat(c.excluded()).isEmpty();
        assertThat(c.findings()).singleElement().satisfies(f -> {
            assertThat(f.scenario()).isEqualTo(S);
            assertThat(f.metric()).isEqualTo(Metric.P99);
            assertThat(f.better()).isEqualTo(MM);
            assertThat(f.worse()).isEqualTo(NONE);
            assertThat(f.p()).isCloseTo(P_6_6, within(1e-5));
        });
        assertThat(c.winner()).isEqualTo(MM);
        assertThat(c.line()).isEqualTo("p99: lowest p99: mempool-modern, 3.50 [1.00, 6.00] ms, below every other"
                + " guarantee compared");
        // The same values make p50 (every operation of a trial took the same time); p99.9 needs
        // 10,000 operations a trial, and every other metric is equal in every trial.
        assertThat(a.findings()).extracting(Comparison.Finding::metric).containsExactly(Metric.P50, Metric.P99);
        assertThat(a.comparison(S, Metric.P99_9).findings()).isEmpty();
    }

    @Test
    void theDirectionFollowsTheValuesNotTheOrderOfTheCells() throws Exception {
        // The same as above with the cells' values swapped: mempool-modern is still the first
        // cell of the pair (cells are in the guarantees' order), now the worse one.
        Analysis a = analyse(new SyntheticLog().latencies(S, MM, 7, 8, 9, 10, 11, 12).latencies(S, NONE, 1, 2, 3, 4, 5, 6));
        Comparison c = a.comparison(S, Metric.P99);
        assertThat(c.findings()).singleElement().satisfies(f -> {
            assertThat(f.better()).isEqualTo(NONE);
            assertThat(f.worse()).isEqualTo(MM);
        });
        assertThat(c.winner()).isEqualTo(NONE);
    }

    @Test
    void overlappingTrialsShowNoDifference() throws Exception {
        // 1, 2, ..., 6 against 1.5, 2.5, ..., 6.5: mempool-modern's value beats (is below) none's
        // in 1 + 2 + ... + 6 = 21 of 36 pairs, so U = min(21, 15) = 15,
        // z = (15 - 18 + 0.5) / sqrt(39) = -0.40, p = 0.69.
        Analysis a = analyse(new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6)
                .latencies(S, NONE, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5));
        assertThat(Significance.pValue(ms(1, 2, 3, 4, 5, 6), ms(1.5, 2.5, 3.5, 4.5, 5.5, 6.5))).isCloseTo(0.689,
                within(0.001));
        Comparison c = a.comparison(S, Metric.P99);
        assertThat(c.findings()).isEmpty();
        assertThat(c.winner()).isNull();
        assertThat(c.line()).isEqualTo("p99: no difference shown at 6 trials");
    }

    @Test
    void theWinnerMustBeatEveryOtherCellCompared() throws Exception {
        // Three cells, three pairs; Holm's thresholds 5%/3, 5%/2, 5%.
        // mempool-modern 1..6 below reservation 7..12 and none 7.5..12.5: two pairs at p = 0.00507
        // (both pass 1.67% and 2.5%); reservation against none overlaps (p = 0.69 > 5%).
        Analysis won = analyse(new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6).latencies(S, RES, 7, 8, 9, 10, 11, 12)
                .latencies(S, NONE, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5), "won");
        Comparison c = won.comparison(S, Metric.P99);
        assertThat(c.findings()).extracting(f -> f.better() + "<" + f.worse()).containsExactly(MM + "<" + RES,
                MM + "<" + NONE);
        assertThat(c.winner()).isEqualTo(MM);

        // mempool-modern 1..6 and reservation 1.5..6.5 overlap; both are below none 7..12. Two
        // findings, but nobody is below every other: no winner, and the line lists the pairs with
        // their medians (3.5; 4.0; the median of 7..12 is 9.5).
        Analysis split = analyse(new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6)
                .latencies(S, RES, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5).latencies(S, NONE, 7, 8, 9, 10, 11, 12), "split");
        Comparison d = split.comparison(S, Metric.P99);
        assertThat(d.findings()).extracting(f -> f.better() + "<" + f.worse()).containsExactly(MM + "<" + NONE,
                RES + "<" + NONE);
        assertThat(d.winner()).isNull();
        assertThat(d.line()).isEqualTo("p99: mempool-modern < none (3.50 vs 9.50 ms); reservation < none"
                + " (4.00 vs 9.50 ms); no other difference shown");
    }

    @Test
    void aTieIsNeverAWin() throws Exception {
        // Four guarantees, six trials each, every trial alike: 1,000 operations at 1 ms, the
        // offered 1,000/s completed, none failed, nothing held. Every pair has p = 1.
        SyntheticLog log = new SyntheticLog();
        for (String g : List.of(MP, MM, RES, NONE)) {
            log.cell(S, g, 6);
        }
        Analysis a = analyse(log);
        assertThat(a.findings()).isEmpty();
        for (Metric m : Metric.values()) {
            Comparison c = a.comparison(S, m);
            assertThat(c.findings()).as(m.label()).isEmpty();
            assertThat(c.winner()).as(m.label()).isNull();
            // Everyone compared, but on p99.9 (10,000 operations a trial needed, 1,000 recorded),
            // and none on what a guarantee holds (it holds nothing by definition).
            int left = m == Metric.P99_9 ? 4 : m == Metric.HELD || m == Metric.PRICE ? 1 : 0;
            assertThat(c.excluded()).as(m.label()).hasSize(left);
        }
        for (Metric m : List.of(Metric.P50, Metric.P99, Metric.DONE, Metric.FAILED, Metric.STALLS)) {
            assertThat(a.comparison(S, m).line()).isEqualTo(m.label() + ": no difference shown at 6 trials");
        }
        for (Metric m : List.of(Metric.HELD, Metric.PRICE)) {
            assertThat(a.comparison(S, m).line()).isEqualTo(m.label() + ": no difference shown at 6 trials"
                    + " [not ranked: none: no guarantee, nothing held]");
        }
    }

    @Test
    void throughputWithinOnePercentOfTheOfferedRateIsATieEvenWhenTheRanksSeparate() throws Exception {
        // Offered 1,000/s; each trial runs 2 s of load. mempool-modern completes 2,000 operations
        // (1,000/s) in every trial; mempool-2.5.1 fewer in every trial, so the ranks separate
        // completely (p = 0.00507, significant for the lone pair). Whether it is a finding is the
        // tie margin's call: 1% of 1,000/s = 10/s.
        for (long ok : new long[] {1990, 1980}) {
            // 995/s and 990/s: medians 5/s and 10/s apart, within the margin (10/s is "within").
            Analysis a = analyse(doneLog(ok), "ok" + ok);
            Comparison c = a.comparison(S, Metric.DONE);
            assertThat(Significance.pValue(c.compared().get(0).figure(Metric.DONE).values(),
                    c.compared().get(1).figure(Metric.DONE).values())).isCloseTo(P_6_6, within(1e-5));
            assertThat(c.findings()).as("%d operations", ok).isEmpty();
            assertThat(c.winner()).isNull();
            assertThat(c.line()).isEqualTo("done/s: no difference shown at 6 trials");
            assertThat(a.findings()).isEmpty();
        }
        // 1,978 operations: 989/s, 11/s below: a finding, mempool-modern above (higher is better
        // for done/s; mempool-2.5.1 is the pair's first cell).
        Analysis a = analyse(doneLog(1978), "ok1978");
        Comparison c = a.comparison(S, Metric.DONE);
        assertThat(c.findings()).singleElement().satisfies(f -> {
            assertThat(f.better()).isEqualTo(MM);
            assertThat(f.worse()).isEqualTo(MP);
            assertThat(f.p()).isCloseTo(P_6_6, within(1e-5));
        });
        assertThat(c.winner()).isEqualTo(MM);
        assertThat(c.line()).isEqualTo("done/s: highest done/s: mempool-modern, 1000 [1000, 1000] ops/s, above every"
                + " other guarantee compared");
        assertThat(a.findings()).hasSize(1);
    }

    /** mempool-modern at 2,000 operations in 2 s, mempool-2.5.1 at {@code ok} in 2 s, six trials each. */
    private static SyntheticLog doneLog(long ok) {
        SyntheticLog log = new SyntheticLog();
        log.cell(S, MP, 6).forEach(t -> t.ok(ok).loadSeconds(2));
        log.cell(S, MM, 6).forEach(t -> t.ok(2000).loadSeconds(2));
        return log;
    }

    @Test
    void holmKeepsAFamilyOfSixFromPassingWhatALonePairPasses() throws Exception {
        // Four guarantees, five trials each, every cell entirely below the next: 1..5, 6..10,
        // 11..15, 16..20 ms. All six pairs have U = 0, p = 0.01219, which would pass 5% alone but
        // not Holm's first threshold 5%/6 = 0.00833; the step-down stops there, nothing passes.
        Analysis four = analyse(new SyntheticLog().latencies(S, MP, 1, 2, 3, 4, 5).latencies(S, MM, 6, 7, 8, 9, 10)
                .latencies(S, RES, 11, 12, 13, 14, 15).latencies(S, NONE, 16, 17, 18, 19, 20), "four");
        assertThat(Significance.holm(new double[] {P_5_5, P_5_5, P_5_5, P_5_5, P_5_5, P_5_5}, 0.05)).containsOnly(false);
        Comparison c = four.comparison(S, Metric.P99);
        assertThat(c.compared()).hasSize(4);
        assertThat(c.findings()).isEmpty();
        assertThat(c.winner()).isNull();
        assertThat(c.line()).isEqualTo("p99: no difference shown at 5 trials");

        // The first two cells alone: a family of one pair, threshold 5%, and 0.01219 passes.
        Analysis two = analyse(new SyntheticLog().latencies(S, MP, 1, 2, 3, 4, 5).latencies(S, MM, 6, 7, 8, 9, 10), "two");
        Comparison d = two.comparison(S, Metric.P99);
        assertThat(d.findings()).singleElement().satisfies(f -> {
            assertThat(f.better()).isEqualTo(MP);
            assertThat(f.worse()).isEqualTo(MM);
            assertThat(f.p()).isCloseTo(P_5_5, within(1e-5));
        });
        assertThat(d.winner()).isEqualTo(MP);
    }

    @Test
    void aCellWithADeadlockedTrialIsNotRankedAndItsFiguresAreOverTheOtherTrials() throws Exception {
        // none's trial 3 deadlocked after 1,000 operations at 0.1 ms: the fastest of all, which is
        // why a truncated trial must not be ranked. Its other trials are 7, 8, 10, 11, 12 ms.
        SyntheticLog log = new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6).latencies(S, RES, 13, 14, 15, 16, 17, 18);
        List<SyntheticLog.Trial> none = log.cell(S, NONE, 6);
        double[] noneMs = {7, 8, 0.1, 10, 11, 12};
        for (int i = 0; i < 6; i++) {
            none.get(i).latencyMs(noneMs[i]).priceKiB(i == 2 ? 1_000_000 : 0);
        }
        none.get(2).deadlocked();
        Analysis a = analyse(log);

        // Left out of every comparison for it, whatever else is true of it (on p99.9 the others
        // are left out too, for want of 10,000 operations a trial).
        for (Metric m : Metric.values()) {
            assertThat(a.comparison(S, m).excluded()).as(m.label())
                    .containsEntry(NONE, "deadlocked in 1 of 6 trials").hasSize(m == Metric.P99_9 ? 3 : 1);
        }
        // Compared: mempool-modern (1..6) and reservation (13..18), one pair, p = 0.00507.
        Comparison c = a.comparison(S, Metric.P99);
        assertThat(c.compared()).extracting(s -> s.cell().guarantee()).containsExactly(MM, RES);
        assertThat(c.findings()).extracting(f -> f.better() + "<" + f.worse()).containsExactly(MM + "<" + RES);
        assertThat(c.winner()).isEqualTo(MM);
        assertThat(c.line()).isEqualTo("p99: lowest p99: mempool-modern, 3.50 [1.00, 6.00] ms, below every other"
                + " guarantee compared [not ranked: none: deadlocked in 1 of 6 trials]");

        // none's figures are over trials 1, 2, 4, 5, 6: the median of 7, 8, 10, 11, 12 is 10 (with
        // trial 3's 0.1 it would be 9, the mean of 8 and 10), the interval at n = 5 is [min, max],
        // and trial 3's huge price is not in the price.
        CellStats s = a.cell(S, NONE);
        assertThat(s.counted()).extracting(RunResult::trial).containsExactly(1, 2, 4, 5, 6);
        CellStats.Figure p99 = s.figure(Metric.P99);
        assertThat(p99.values()).containsExactly(SyntheticLog.recorded(7), SyntheticLog.recorded(8),
                SyntheticLog.recorded(10), SyntheticLog.recorded(11), SyntheticLog.recorded(12));
        assertThat(p99.estimate().n()).isEqualTo(5);
        assertThat(p99.estimate().median()).isEqualTo(SyntheticLog.recorded(10));
        assertThat(SummaryTable.cell(p99)).isEqualTo("10.0 [7.00-12.0]");
        assertThat(SummaryTable.cell(s.figure(Metric.PRICE))).isEqualTo("0");
        assertThat(s.cell().outcomes()).isEqualTo("1 DEADLOCK, 5 ok");
        assertThat(Verdict.describe(s)).startsWith("deadlocked in 1 of 6 trials (trial 3: 1.0s into the load, after"
                + " 1000 operations): the expected result without a guarantee; 5 of 6 trials ran to the end");
    }

    @Test
    void aCellWithABrokenTrialIsNotRanked() throws Exception {
        SyntheticLog log = new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6).latencies(S, NONE, 7, 8, 9, 10, 11, 12);
        log.trial(S, RES, 1);
        log.trial(S, RES, 2).error("java.lang.IllegalStateException: synthetic");
        Comparison c = analyse(log).comparison(S, Metric.P99);
        assertThat(c.excluded()).containsExactly(Map.entry(RES, "broke in 1 of 2 trials"));
        assertThat(c.winner()).isEqualTo(MM);
    }

    @Test
    void aCellThatFailedMoreThanOnePercentIsNotRankedOnLatencyButIsOnFailures() throws Exception {
        // none refused 21 operations beside its 1,000 successes in every trial: 21 / 1,021 = 2.1%
        // of what it completed, over the 1% limit; its successes are the fastest (1..6 ms) because
        // it refuses the hard ones. reservation failed 10 of 1,010 (0.99%), under the limit.
        SyntheticLog log = new SyntheticLog().latencies(S, MM, 7, 8, 9, 10, 11, 12);
        List<SyntheticLog.Trial> res = log.cell(S, RES, 6);
        List<SyntheticLog.Trial> none = log.cell(S, NONE, 6);
        for (int i = 0; i < 6; i++) {
            res.get(i).latencyMs(13 + i).failed(10);
            none.get(i).latencyMs(1 + i).failed(21);
        }
        Analysis a = analyse(log);

        Comparison p99 = a.comparison(S, Metric.P99);
        assertThat(p99.excluded()).containsExactly(Map.entry(NONE, "failed 2% of its operations (median over trials)"));
        assertThat(p99.findings()).extracting(f -> f.better() + "<" + f.worse()).containsExactly(MM + "<" + RES);
        assertThat(p99.winner()).isEqualTo(MM);
        assertThat(p99.line()).endsWith("[not ranked: none: failed 2% of its operations (median over trials)]");

        // On failures every cell is compared: 0, 10 and 21 in every trial, three pairs each at
        // p = 0.00507, all under Holm's first threshold 5%/3.
        Comparison failed = a.comparison(S, Metric.FAILED);
        assertThat(failed.excluded()).isEmpty();
        assertThat(failed.findings()).extracting(f -> f.better() + "<" + f.worse()).containsExactly(MM + "<" + RES,
                MM + "<" + NONE, RES + "<" + NONE);
        assertThat(failed.winner()).isEqualTo(MM);
        assertThat(failed.line()).isEqualTo("failed: lowest failed: mempool-modern, 0 [0, 0] ops, below every other"
                + " guarantee compared");
        // Successes per second are alike (1,000 in 1 s everywhere): failures do not count as done.
        assertThat(a.comparison(S, Metric.DONE).findings()).isEmpty();
    }

    @Test
    void exactlyOnePercentFailedIsStillRankedOnLatency() throws Exception {
        // 20 failed of 2,000 completed = 1% exactly: "more than 1%" it is not.
        SyntheticLog log = new SyntheticLog().latencies(S, MM, 7, 8, 9, 10, 11, 12);
        List<SyntheticLog.Trial> none = log.cell(S, NONE, 6);
        for (int i = 0; i < 6; i++) {
            none.get(i).latencyMs(1 + i).ok(1980).failed(20).loadSeconds(1.98);
        }
        Comparison c = analyse(log).comparison(S, Metric.P99);
        assertThat(c.excluded()).isEmpty();
        assertThat(c.winner()).isEqualTo(NONE);
    }

    /** Six trials of {@code guarantee} at {@code ms[i]}, trial i with {@code ok[i]} successful operations. */
    private static void cell(SyntheticLog log, String guarantee, double[] ms, long[] ok) {
        List<SyntheticLog.Trial> trials = log.cell(S, guarantee, ms.length);
        for (int i = 0; i < ms.length; i++) {
            trials.get(i).latencyMs(ms[i]).ok(ok[i]);
        }
    }

    @Test
    void aPercentileNeedsItsSamplesInEveryTrial() throws Exception {
        // p99 needs 10 samples beyond it, 10 / (1 - 0.99) = 1,000 a trial; none's trial 4 has 999.
        // p50 needs 20 and is there for both; p99.9 needs 10,000 and is there for neither.
        SyntheticLog log = new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6);
        cell(log, NONE, new double[] {7, 8, 9, 10, 11, 12}, new long[] {1000, 1000, 1000, 999, 1000, 1000});
        Analysis a = analyse(log, "999");
        CellStats none = a.cell(S, NONE);
        CellStats.Figure p99 = none.figure(Metric.P99);
        assertThat(p99.present()).isFalse();
        assertThat(p99.unsupported()).isEqualTo(1);
        assertThat(p99.minSamples()).isEqualTo(999);
        assertThat(SummaryTable.cell(p99)).isEqualTo("-");
        assertThat(p99.text()).isEqualTo("- (needs 1000 samples a trial)");
        // 1,000 is enough: mempool-modern has its figure.
        assertThat(SummaryTable.cell(a.cell(S, MM).figure(Metric.P99))).isEqualTo("3.50 [1.00-6.00]");
        Comparison c = a.comparison(S, Metric.P99);
        assertThat(c.excluded()).containsExactly(Map.entry(NONE, "too few samples (999 in a trial; 1000 needed)"));
        assertThat(c.line()).isEqualTo("p99: not compared (fewer than two guarantees with a figure) [not ranked: none:"
                + " too few samples (999 in a trial; 1000 needed)]");
        assertThat(a.comparison(S, Metric.P50).winner()).isEqualTo(MM);
        assertThat(a.comparison(S, Metric.P99_9).line()).isEqualTo("p99.9: not shown: a trial needs 10000 successful"
                + " operations for it (raise --duration or --rate)");
        assertThat(SummaryTable.legend(a, SummaryTable.HTML_METRICS)).contains("p99 needs 1000", "p99.9 needs 10000")
                .doesNotContain("p50 needs");
        // The terminal's table has no p99.9 column, so its legend says nothing of it.
        assertThat(SummaryTable.legend(a, SummaryTable.TEXT_METRICS)).contains("p99 needs 1000").doesNotContain("p99.9");

        // Every trial of every cell at 999: nobody has a p99, and the line says what would.
        SyntheticLog allShort = new SyntheticLog();
        long[] ok999 = {999, 999, 999, 999, 999, 999};
        cell(allShort, MM, new double[] {1, 2, 3, 4, 5, 6}, ok999);
        cell(allShort, NONE, new double[] {7, 8, 9, 10, 11, 12}, ok999);
        Analysis b = analyse(allShort, "all999");
        assertThat(b.comparison(S, Metric.P99).line()).isEqualTo("p99: not shown: a trial needs 1000 successful"
                + " operations for it (raise --duration or --rate)");
        assertThat(b.comparison(S, Metric.P99).findings()).isEmpty();
        assertThat(b.comparison(S, Metric.P50).findings()).hasSize(1);

        // A trial with no successful operation at all is named as such.
        SyntheticLog empty = new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6);
        cell(empty, NONE, new double[] {7, 8, 9, 10, 11, 12}, new long[] {1000, 0, 1000, 1000, 1000, 1000});
        Comparison e = analyse(empty, "zero").comparison(S, Metric.P50);
        assertThat(e.excluded()).containsExactly(Map.entry(NONE, "no successful operation in a trial"));
    }

    @Test
    void theTableShowsTheMedianAndTheIntervalOfTheTrials() throws Exception {
        // Prices 40, 10, 60, 30, 20, 50 KiB in trial order: sorted 10..60, median (30 + 40) / 2 =
        // 35. At n = 6 the interval is [x1, x6] = [10, 60]: it misses the median only if all six
        // fall on one side, 2 / 2^6 = 3.1%, so it covers 96.9%; [x2, x5] would miss 2 * 7 / 64 =
        // 22%. p99 at 1..6 ms: median (3.0003 + 4.0018) / 2 = 3.50, interval [1.00, 6.00].
        SyntheticLog log = new SyntheticLog();
        double[] price = {40, 10, 60, 30, 20, 50};
        List<SyntheticLog.Trial> mm = log.cell(S, MM, 6);
        for (int i = 0; i < 6; i++) {
            mm.get(i).priceKiB(price[i]).latencyMs(1 + i);
        }
        // Nine trials: the interval narrows to [x2, x8] (misses 2 * 10 / 512 = 3.9%).
        List<SyntheticLog.Trial> none = log.cell(S, NONE, 9);
        double[] price9 = {90, 10, 80, 20, 70, 30, 60, 40, 50};
        for (int i = 0; i < 9; i++) {
            none.get(i).priceKiB(price9[i]);
        }
        Analysis a = analyse(log);

        CellStats.Figure f = a.cell(S, MM).figure(Metric.PRICE);
        assertThat(f.values()).containsExactly(40, 10, 60, 30, 20, 50);
        assertThat(f.estimate()).isEqualTo(new Estimate(6, 35, 10, 60, 1 - 2.0 / 64));
        assertThat(SummaryTable.cell(f)).isEqualTo("35 [10-60]");
        assertThat(f.text()).isEqualTo("35 [10, 60]");
        assertThat(f.medianText()).isEqualTo("35");

        CellStats.Figure p99 = a.cell(S, MM).figure(Metric.P99);
        assertThat(p99.estimate().median()).isCloseTo(3.5, within(0.0035));
        assertThat(SummaryTable.cell(p99)).isEqualTo("3.50 [1.00-6.00]");

        CellStats.Figure nine = a.cell(S, NONE).figure(Metric.PRICE);
        assertThat(nine.estimate()).isEqualTo(new Estimate(9, 50, 20, 80, 1 - 2 * 10.0 / 512));
        assertThat(SummaryTable.cell(nine)).isEqualTo("50 [20-80]");

        // Every trial alike: the median alone.
        assertThat(SummaryTable.cell(a.cell(S, NONE).figure(Metric.P99))).isEqualTo("1.00");
        assertThat(SummaryTable.cell(a.cell(S, NONE).figure(Metric.FAILED))).isEqualTo("0");
        assertThat(SummaryTable.row(a.cell(S, MM), List.of(Metric.DONE, Metric.PRICE)))
                .containsExactly(S, MM, "6 ok", "1000", "35 [10-60]");
        assertThat(SummaryTable.legend(a, SummaryTable.HTML_METRICS)).startsWith("median over 9 trials");
    }

    @Test
    void contradictionsAreOppositeVerdictsOnOnePairMetricAndScenario() {
        Comparison.Finding mmBelowNone = new Comparison.Finding(S, Metric.P99, MM, NONE, 0.005);
        Comparison.Finding noneBelowMm = new Comparison.Finding(S, Metric.P99, NONE, MM, 0.02);
        assertThat(Comparison.contradictions(List.of(mmBelowNone), List.of(noneBelowMm))).containsExactly(
                "writeback p99: mempool-modern below none (p = 0.0050) but writeback p99: none below mempool-modern"
                        + " (p = 0.0200)");
        assertThat(Comparison.contradictions(List.of(noneBelowMm), List.of(mmBelowNone))).hasSize(1);

        // Not contradictions: the same direction; the opposite on another metric, in another
        // scenario, or about another pair; nothing at all on one side.
        Comparison.Finding sameAgain = new Comparison.Finding(S, Metric.P99, MM, NONE, 0.03);
        Comparison.Finding otherMetric = new Comparison.Finding(S, Metric.P50, NONE, MM, 0.005);
        Comparison.Finding otherScenario = new Comparison.Finding("bounce", Metric.P99, NONE, MM, 0.005);
        Comparison.Finding otherPair = new Comparison.Finding(S, Metric.P99, NONE, RES, 0.005);
        assertThat(Comparison.contradictions(List.of(mmBelowNone),
                List.of(sameAgain, otherMetric, otherScenario, otherPair))).isEmpty();
        assertThat(Comparison.contradictions(List.of(mmBelowNone), List.of())).isEmpty();
        assertThat(Comparison.contradictions(List.of(), List.of(noneBelowMm))).isEmpty();

        // Among several, each contradicted pair once.
        assertThat(Comparison.contradictions(List.of(mmBelowNone, otherMetric), List.of(sameAgain, noneBelowMm,
                new Comparison.Finding(S, Metric.P50, MM, NONE, 0.01)))).hasSize(2);
    }

    @Test
    void analysesOfTwoLogsThatDisagreeContradict() throws Exception {
        Analysis a = analyse(new SyntheticLog().latencies(S, MM, 1, 2, 3, 4, 5, 6).latencies(S, NONE, 7, 8, 9, 10, 11, 12),
                "a");
        Analysis b = analyse(new SyntheticLog().latencies(S, MM, 7, 8, 9, 10, 11, 12).latencies(S, NONE, 1, 2, 3, 4, 5, 6),
                "b");
        Analysis c = analyse(new SyntheticLog().latencies(S, MM, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5)
                .latencies(S, NONE, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5), "c");
        // p50 and p99 each way.
        assertThat(Comparison.contradictions(a.findings(), b.findings())).hasSize(2);
        assertThat(Comparison.contradictions(a.findings(), c.findings())).isEmpty();
    }
}
