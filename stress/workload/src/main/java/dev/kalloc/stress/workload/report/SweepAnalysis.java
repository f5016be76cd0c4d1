// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.run.SweepConfig;
import dev.kalloc.stress.workload.run.SweepPoint;
import dev.kalloc.stress.workload.run.Text;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a sweep found, computed from its points' logs alone (so {@code kalloc sweep --resume} and a
 * re-render agree with the run that wrote them): per pressure step the outcome, failed share, p99
 * and price of every cell; each cell's breaking point; per load rate the completed share and
 * latency of every cell; each guarantee's knee, and whether the knees of two guarantees differ
 * significantly.
 *
 * <h2>The rules</h2>
 * <ul>
 *   <li>A cell <em>breaks</em> at a step when a trial deadlocked, broke or lost data, or when the
 *       median over trials of the failed share of operations is above zero (failures in more than
 *       half the trials: one trial's stray failure is shown, not taken for the breaking point).
 *       Its breaking point is the first step, from plenty to none, at which it breaks.</li>
 *   <li>A cell <em>sustains</em> a rate when no trial deadlocked or broke, the median completed
 *       share of the offered rate is at least {@link SweepConfig#SATURATION}, and the median p99
 *       of its successes is within the stall threshold (where every trial has the samples for a
 *       p99, {@link Support}; otherwise on throughput alone, and said so). Its knee is the
 *       highest rate of the unbroken run of sustained rates from the lowest.</li>
 *   <li>Two guarantees' knees differ significantly when, at the first rate the lower one did not
 *       sustain, its trials are worse than the other's on the measure that failed it (completed
 *       share, or p99) by Mann-Whitney, Holm-corrected over the pairs of the scenario whose knees
 *       differ ({@link Significance}).</li>
 * </ul>
 */
public final class SweepAnalysis {
    /** Significance level of the knee tests, as the campaign's. */
    static final double ALPHA = 0.05;

    /**
     * One cell at one pressure step.
     *
     * @param point the step
     * @param stats the cell and its figures
     * @param failedShare the failed share of operations over the trials that ran to the end, or
     *        null if none did (a deadlocked trial's share describes a run cut short)
     * @param breaks whether the cell breaks here
     */
    record PressureStep(SweepPoint point, CellStats stats, Estimate failedShare, boolean breaks) implements CellStep {
    }

    /** One cell's figures at one point of a sweep. */
    interface CellStep {
        CellStats stats();

        default String scenario() {
            return stats().cell().scenario();
        }

        default String guarantee() {
            return stats().cell().guarantee();
        }
    }

    /**
     * Where one cell first broke under one OOM policy.
     *
     * @param firstBreak the first step it broke at, NaN if it kept going to the last step
     * @param outcome the outcomes at that step, or at the last step if it kept going
     */
    record BreakingPoint(boolean oomWaits, String scenario, String guarantee, double firstBreak, String outcome) {
        boolean keptGoing() {
            return Double.isNaN(firstBreak);
        }
    }

    /**
     * One cell at one offered rate.
     *
     * @param doneShares each trial's completed (successful) operations over those offered
     * @param sustained whether the cell sustains the rate
     * @param why what failed it, or how it was judged
     * @param failedBy the measure that failed it: {@code done}, {@code p99}, or empty
     */
    record LoadStep(double rate, CellStats stats, double[] doneShares, boolean sustained, String why, String failedBy)
            implements CellStep {
        Estimate doneShare() {
            return Estimate.of(doneShares);
        }
    }

    /**
     * A guarantee's knee in one scenario.
     *
     * @param knee the highest rate sustained from the lowest, NaN if not even the lowest
     * @param brokeAt the first rate not sustained, NaN if every rate run was
     * @param why what failed it at {@code brokeAt}
     */
    record Knee(String scenario, String guarantee, double knee, double brokeAt, String why) {
        String text() {
            if (Double.isNaN(knee)) {
                return "< " + Text.percent(brokeAt) + "/s";
            }
            return Double.isNaN(brokeAt) ? ">= " + Text.percent(knee) + "/s" : Text.percent(knee) + "/s";
        }
    }

    /**
     * Whether two knees differ: {@code lower} failed at {@code rate}, {@code higher} sustained it.
     *
     * @param measure {@code done} or {@code p99}
     * @param p the uncorrected Mann-Whitney p-value
     * @param significant whether it survives Holm over the scenario's pairs
     */
    record KneeTest(String scenario, String lower, String higher, double rate, String measure, double p,
            boolean significant) {
    }

    private final List<PressureStep> pressure = new ArrayList<>();
    private final List<BreakingPoint> breakingPoints = new ArrayList<>();
    private final List<LoadStep> load = new ArrayList<>();
    private final List<Knee> knees = new ArrayList<>();
    private final List<KneeTest> kneeTests = new ArrayList<>();

    /** The analysis of the points run so far, in plan order. */
    public static SweepAnalysis of(Map<SweepPoint, RunLog> points) {
        SweepAnalysis a = new SweepAnalysis();
        for (Map.Entry<SweepPoint, RunLog> e : points.entrySet()) {
            RunLog log = e.getValue();
            for (Cell c : log.cells()) {
                CellStats s = CellStats.of(log, c);
                if (e.getKey().kind() == SweepPoint.Kind.PRESSURE) {
                    double[] shares = failedShares(s.counted());
                    Estimate failed = shares.length == 0 ? null : Estimate.of(shares);
                    a.pressure.add(new PressureStep(e.getKey(), s, failed, breaks(c, failed)));
                } else {
                    a.load.add(loadStep(e.getKey().rate(), s, stallMillis(log)));
                }
            }
        }
        a.findBreakingPoints();
        a.findKnees();
        return a;
    }

    /** Each trial's failed operations over those begun (0 for a trial that began none). */
    static double[] failedShares(List<RunResult> trials) {
        double[] v = new double[trials.size()];
        for (int i = 0; i < v.length; i++) {
            RunResult r = trials.get(i);
            v[i] = r.started() == 0 ? 0 : r.failed() / (double) r.started();
        }
        return v;
    }

    /**
     * The break rule: a deadlock, an error or lost data in any trial, or failures in most of the
     * trials that ran to the end ({@code failedShare} null: none did).
     */
    static boolean breaks(Cell c, Estimate failedShare) {
        return c.deadlocks() > 0 || c.errors() > 0 || c.mismatches() > 0 || failedShare != null && failedShare.median() > 0;
    }

    private static double stallMillis(RunLog log) {
        String t = log.setting("stall-threshold");
        return t == null ? Double.POSITIVE_INFINITY : Text.parseDuration(t).toNanos() / 1e6;
    }

    /** The sustain rule for one cell at one rate. */
    static LoadStep loadStep(double rate, CellStats s, double stallMillis) {
        Cell c = s.cell();
        double[] done = new double[c.trials().size()];
        for (int i = 0; i < done.length; i++) {
            RunResult r = c.trials().get(i);
            done[i] = r.offeredRate() > 0 ? r.goodput() / r.offeredRate() : 0;
        }
        if (c.deadlocks() > 0 || c.errors() > 0) {
            return new LoadStep(rate, s, done, false, c.deadlocks() > 0 ? "deadlock" : "error", "done");
        }
        double share = Estimate.of(done).median();
        if (share < SweepConfig.SATURATION) {
            return new LoadStep(rate, s, done, false, String.format(Locale.ROOT, "done %.0f%% of offered", 100 * share),
                    "done");
        }
        CellStats.Figure p99 = s.figure(Metric.P99);
        if (!p99.present()) {
            return new LoadStep(rate, s, done, true, "on throughput alone (too few samples for p99)", "");
        }
        if (p99.estimate().median() > stallMillis) {
            return new LoadStep(rate, s, done, false, "p99 " + Metric.P99.format(p99.estimate().median())
                    + " ms over the stall threshold", "p99");
        }
        return new LoadStep(rate, s, done, true, "", "");
    }

    private void findBreakingPoints() {
        Map<String, List<PressureStep>> byCell = new LinkedHashMap<>();
        for (PressureStep s : pressure) {
            byCell.computeIfAbsent(s.point().oom() + "/" + s.scenario() + "/" + s.guarantee(), k -> new ArrayList<>()).add(s);
        }
        for (List<PressureStep> steps : byCell.values()) {
            steps.sort((x, y) -> Double.compare(y.point().freePercent(), x.point().freePercent()));
            PressureStep last = steps.get(steps.size() - 1);
            PressureStep first = steps.stream().filter(PressureStep::breaks).findFirst().orElse(null);
            breakingPoints.add(new BreakingPoint(last.point().oomWaits(), last.scenario(), last.guarantee(),
                    first == null ? Double.NaN : first.point().freePercent(),
                    (first == null ? last : first).stats().cell().outcomes()));
        }
    }

    /** The knee of one cell's steps, in ascending rate. */
    static Knee knee(String scenario, String guarantee, List<LoadStep> ascending) {
        double knee = Double.NaN;
        for (LoadStep s : ascending) {
            if (!s.sustained()) {
                return new Knee(scenario, guarantee, knee, s.rate(), s.why());
            }
            knee = s.rate();
        }
        return new Knee(scenario, guarantee, knee, Double.NaN, "");
    }

    private void findKnees() {
        Map<String, Map<String, List<LoadStep>>> byScenario = new LinkedHashMap<>();
        for (LoadStep s : load) {
            byScenario.computeIfAbsent(s.scenario(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(s.guarantee(), k -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<String, Map<String, List<LoadStep>>> e : byScenario.entrySet()) {
            Map<String, Knee> mine = new LinkedHashMap<>();
            for (Map.Entry<String, List<LoadStep>> g : e.getValue().entrySet()) {
                g.getValue().sort((x, y) -> Double.compare(x.rate(), y.rate()));
                Knee k = knee(e.getKey(), g.getKey(), g.getValue());
                mine.put(g.getKey(), k);
                knees.add(k);
            }
            kneeTests.addAll(kneeTests(mine, e.getValue()));
        }
    }

    /**
     * The tests of the pairs of one scenario whose knees differ, Holm-corrected together.
     *
     * @param knees the scenario's knees by guarantee
     * @param steps the scenario's steps by guarantee, in ascending rate
     */
    static List<KneeTest> kneeTests(Map<String, Knee> knees, Map<String, List<LoadStep>> steps) {
        List<String> gs = new ArrayList<>(knees.keySet());
        List<String[]> pairs = new ArrayList<>();
        List<Double> ps = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        List<String> measures = new ArrayList<>();
        for (int i = 0; i < gs.size(); i++) {
            for (int j = i + 1; j < gs.size(); j++) {
                Knee a = knees.get(gs.get(i));
                Knee b = knees.get(gs.get(j));
                int cmp = compare(a, b);
                if (cmp == 0) {
                    continue;
                }
                Knee lower = cmp < 0 ? a : b;
                Knee higher = cmp < 0 ? b : a;
                LoadStep lo = at(steps.get(lower.guarantee()), lower.brokeAt());
                LoadStep hi = at(steps.get(higher.guarantee()), lower.brokeAt());
                if (lo == null || hi == null) {
                    continue;
                }
                String measure = lo.failedBy().isEmpty() ? "done" : lo.failedBy();
                double p;
                if (measure.equals("p99")) {
                    CellStats.Figure fl = lo.stats().figure(Metric.P99);
                    CellStats.Figure fh = hi.stats().figure(Metric.P99);
                    p = fl.present() && fh.present() ? Significance.pValue(fl.values(), fh.values()) : 1.0;
                } else {
                    p = Significance.pValue(lo.doneShares(), hi.doneShares());
                }
                pairs.add(new String[] {lower.guarantee(), higher.guarantee()});
                ps.add(p);
                rates.add(lower.brokeAt());
                measures.add(measure);
            }
        }
        double[] pa = ps.stream().mapToDouble(Double::doubleValue).toArray();
        boolean[] sig = Significance.holm(pa, ALPHA);
        List<KneeTest> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            String scenario = knees.get(pairs.get(i)[0]).scenario();
            out.add(new KneeTest(scenario, pairs.get(i)[0], pairs.get(i)[1], rates.get(i), measures.get(i), pa[i], sig[i]));
        }
        return out;
    }

    /** Orders knees: lower first; a knee below the lowest rate is lowest, one never reached highest. */
    static int compare(Knee a, Knee b) {
        return Double.compare(rank(a), rank(b));
    }

    private static double rank(Knee k) {
        if (!Double.isNaN(k.brokeAt())) {
            return k.brokeAt(); // broke there: its knee is just below
        }
        return Double.POSITIVE_INFINITY;
    }

    private static LoadStep at(List<LoadStep> steps, double rate) {
        if (steps == null) {
            return null;
        }
        for (LoadStep s : steps) {
            if (s.rate() == rate) {
                return s;
            }
        }
        return null;
    }

    List<PressureStep> pressure() {
        return pressure;
    }

    List<BreakingPoint> breakingPoints() {
        return breakingPoints;
    }

    List<LoadStep> load() {
        return load;
    }

    List<Knee> knees() {
        return knees;
    }

    List<KneeTest> kneeTests() {
        return kneeTests;
    }

    /** The knee tests of {@code scenario}. */
    List<KneeTest> kneeTests(String scenario) {
        return kneeTests.stream().filter(t -> t.scenario().equals(scenario)).toList();
    }

    /** Whether every guarantee of {@code scenario} failed to sustain {@code rate}: the load sweep stops there. */
    public boolean saturated(String scenario, double rate) {
        boolean any = false;
        for (LoadStep s : load) {
            if (s.scenario().equals(scenario) && s.rate() == rate) {
                any = true;
                if (s.sustained()) {
                    return false;
                }
            }
        }
        return any;
    }
}
