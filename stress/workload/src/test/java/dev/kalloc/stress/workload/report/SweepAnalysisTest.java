// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.SweepPoint;
import dev.kalloc.stress.workload.run.SyntheticLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep's rules on constructed points whose answer is known: breaking points (failures in
 * most trials, any deadlock), knees (throughput and p99 limits, never reached, not even the
 * first rate), the significance of differing knees, and when the load sweep stops a scenario.
 */
class SweepAnalysisTest {
    private static final String S = "bounce";
    private static final String SETTINGS = "scenarios=bounce guarantees=mempool-modern,none duration=1s trials=6"
            + " rate=1000/s memory=32MiB cpus=2 seed=1 stall-threshold=100ms oom=fail";

    @TempDir
    Path dir;

    private RunLog point(String name, SyntheticLog log) throws Exception {
        return log.settings(SETTINGS).write(Files.createDirectories(dir.resolve(name)));
    }

    /** Six trials of {@code g} at {@code rate}: {@code done} of the offered operations succeed, each taking {@code ms}. */
    private static void cell(SyntheticLog log, String g, double rate, double done, double ms) {
        for (SyntheticLog.Trial t : log.cell(S, g, 6)) {
            long offered = Math.round(rate);
            long ok = Math.round(offered * done);
            t.offeredRate(rate).ok(ok).failed(offered - ok).latencyMs(ms + t.trial * 0.5);
        }
    }

    @Test
    void aKneeIsTheLastRateSustainedAndItsDifferenceIsTested() throws Exception {
        Map<SweepPoint, RunLog> points = new LinkedHashMap<>();
        double[] rates = {1000, 2000, 4000, 8000};
        for (double rate : rates) {
            SyntheticLog log = new SyntheticLog();
            // modern: fine to 2000/s; at 4000/s its p99 passes the 100 ms stall threshold.
            cell(log, "mempool-modern", rate, 1.0, rate >= 4000 ? 200 : 2);
            // reservation: fine to 4000/s; at 8000/s it completes only 60% of what is offered.
            cell(log, "reservation", rate, rate >= 8000 ? 0.6 : 1.0, 2);
            // none: never completes enough.
            cell(log, "none", rate, 0.5, 2);
            points.put(SweepPoint.load(false, 0, rate), point("load-" + (long) rate, log));
        }
        SweepAnalysis a = SweepAnalysis.of(points);
        SweepAnalysis.Knee modern = knee(a, "mempool-modern");
        SweepAnalysis.Knee reservation = knee(a, "reservation");
        SweepAnalysis.Knee none = knee(a, "none");
        assertThat(modern.knee()).isEqualTo(2000);
        assertThat(modern.brokeAt()).isEqualTo(4000);
        assertThat(modern.why()).contains("p99", "over the stall threshold");
        assertThat(modern.text()).isEqualTo("2000/s");
        assertThat(reservation.knee()).isEqualTo(4000);
        assertThat(reservation.why()).isEqualTo("done 60% of offered");
        assertThat(none.knee()).isNaN();
        assertThat(none.text()).isEqualTo("< 1000/s");

        List<SweepAnalysis.KneeTest> tests = a.kneeTests(S);
        assertThat(tests).hasSize(3);
        SweepAnalysis.KneeTest mr = test(tests, "mempool-modern", "reservation");
        // At 4000/s modern's six p99s (about 200 ms) all lie above reservation's (about 2 ms):
        // fully separated, p = 0.0051, below Holm's first threshold 0.05 / 3.
        assertThat(mr.rate()).isEqualTo(4000);
        assertThat(mr.measure()).isEqualTo("p99");
        assertThat(mr.p()).isLessThan(0.01);
        assertThat(mr.significant()).isTrue();
        SweepAnalysis.KneeTest nm = test(tests, "none", "mempool-modern");
        assertThat(nm.rate()).isEqualTo(1000);
        assertThat(nm.measure()).isEqualTo("done");
        assertThat(nm.significant()).isTrue();
        assertThat(a.saturated(S, 8000)).isTrue();
        assertThat(a.saturated(S, 2000)).isFalse();
    }

    @Test
    void kneesBrokenAtTheSameRateAreNotTestedAndOneNeverReachedIsOpen() throws Exception {
        Map<SweepPoint, RunLog> points = new LinkedHashMap<>();
        for (double rate : new double[] {1000, 2000}) {
            SyntheticLog log = new SyntheticLog();
            cell(log, "mempool-modern", rate, rate >= 2000 ? 0.5 : 1.0, 2);
            cell(log, "reservation", rate, rate >= 2000 ? 0.5 : 1.0, 2);
            cell(log, "none", rate, 1.0, 2);
            points.put(SweepPoint.load(false, 0, rate), point("load-" + (long) rate, log));
        }
        SweepAnalysis a = SweepAnalysis.of(points);
        assertThat(knee(a, "none").text()).isEqualTo(">= 2000/s");
        assertThat(a.kneeTests(S)).extracting(SweepAnalysis.KneeTest::lower).doesNotContain("none");
        assertThat(a.kneeTests(S)).noneMatch(t -> t.lower().equals("mempool-modern") && t.higher().equals("reservation"));
        assertThat(a.saturated(S, 2000)).isFalse();
    }

    @Test
    void aCellBreaksAtTheFirstStepWithFailuresInMostTrialsOrAnyDeadlock() throws Exception {
        Map<SweepPoint, RunLog> points = new LinkedHashMap<>();
        for (double free : new double[] {10, 2, 1, 0}) {
            SyntheticLog log = new SyntheticLog();
            List<SyntheticLog.Trial> none = log.cell(S, "none", 6);
            List<SyntheticLog.Trial> modern = log.cell(S, "mempool-modern", 6);
            if (free == 2) {
                none.get(0).failed(5); // one trial of six: shown, not the breaking point
            }
            if (free <= 1) {
                none.forEach(t -> t.failed(100));
            }
            if (free == 0) {
                modern.get(3).deadlocked(); // one deadlock is enough
            }
            points.put(SweepPoint.pressure(false, free, 1000), point("p" + free, log));
        }
        SweepAnalysis a = SweepAnalysis.of(points);
        SweepAnalysis.BreakingPoint none = breaking(a, "none");
        SweepAnalysis.BreakingPoint modern = breaking(a, "mempool-modern");
        assertThat(none.firstBreak()).isEqualTo(1);
        assertThat(none.outcome()).isEqualTo("6 failures");
        assertThat(SweepReport.text(none)).isEqualTo("1% (6 failures)");
        assertThat(modern.firstBreak()).isEqualTo(0);
        assertThat(modern.outcome()).isEqualTo("1 DEADLOCK, 5 ok");
        SweepAnalysis.PressureStep stray = a.pressure().stream()
                .filter(p -> p.guarantee().equals("none") && p.point().freePercent() == 2).findFirst().orElseThrow();
        assertThat(stray.breaks()).isFalse();
        assertThat(stray.failedShare().hi()).isGreaterThan(0);
    }

    @Test
    void aCellThatNeverBreaksKeptGoing() throws Exception {
        Map<SweepPoint, RunLog> points = new LinkedHashMap<>();
        for (double free : new double[] {5, 0}) {
            SyntheticLog log = new SyntheticLog();
            log.cell(S, "reservation", 6);
            points.put(SweepPoint.pressure(true, free, 1000), point("w" + free, log));
        }
        SweepAnalysis.BreakingPoint b = breaking(SweepAnalysis.of(points), "reservation");
        assertThat(b.keptGoing()).isTrue();
        assertThat(b.oomWaits()).isTrue();
        assertThat(SweepReport.text(b)).isEqualTo("kept going");
    }

    private static SweepAnalysis.Knee knee(SweepAnalysis a, String g) {
        return a.knees().stream().filter(k -> k.guarantee().equals(g)).findFirst().orElseThrow();
    }

    private static SweepAnalysis.BreakingPoint breaking(SweepAnalysis a, String g) {
        return a.breakingPoints().stream().filter(b -> b.guarantee().equals(g)).findFirst().orElseThrow();
    }

    private static SweepAnalysis.KneeTest test(List<SweepAnalysis.KneeTest> tests, String lower, String higher) {
        return tests.stream().filter(t -> t.lower().equals(lower) && t.higher().equals(higher)).findFirst().orElseThrow();
    }
}
