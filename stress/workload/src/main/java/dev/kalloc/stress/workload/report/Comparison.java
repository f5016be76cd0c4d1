// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.Text;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The verdicts on one metric in one scenario: which guarantees differ, and which way, where the
 * difference is significant; otherwise "no difference shown".
 *
 * <h2>The rule</h2>
 * The family is the pairwise comparisons of the guarantees compared for this scenario and metric
 * (six for four guarantees). Each pair gets a two-sided Mann-Whitney U test over the two cells'
 * per-trial values ({@link Significance#pValue}); the family's p-values are corrected with Holm's
 * step-down ({@link Significance#holm}) at 5%. A pair is a finding when it is significant after
 * correction and, for {@link Metric#DONE}, the medians differ by more than
 * {@link Metric#DONE_TIE_SHARE} of the offered rate. A tie is never a win: with every value
 * equal the test's p-value is 1.
 *
 * <h2>Who is compared</h2>
 * Cells with a figure for the metric ({@link CellStats.Figure#present()}), that are
 * {@link Cell#rankable() rankable} (no trial deadlocked or broke: a truncated run's latency can
 * look best of all), and, for latency, whose trials failed at most {@link #LATENCY_FAILED_SHARE}
 * of their operations (a guarantee that refuses work quickly is not faster). Every cell left out
 * is named with the reason.
 */
public final class Comparison {
    /** A cell whose trials failed more than this share of operations is not ranked on latency. */
    static final double LATENCY_FAILED_SHARE = 0.01;

    /**
     * One significant difference.
     *
     * @param scenario the scenario
     * @param metric the metric
     * @param better the guarantee with the better figure
     * @param worse the other
     * @param p the pair's uncorrected Mann-Whitney p-value (significant after Holm's correction)
     */
    public record Finding(String scenario, Metric metric, String better, String worse, double p) {
        /** True if {@code other} says the opposite about the same pair. */
        boolean contradicts(Finding other) {
            return scenario.equals(other.scenario) && metric == other.metric && better.equals(other.worse)
                    && worse.equals(other.better);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %s: %s %s %s (p = %.4f)", scenario, metric.label(), better,
                    metric.higherIsBetter() ? "above" : "below", worse, p);
        }
    }

    private final String scenario;
    private final Metric metric;
    private final List<CellStats> compared;
    private final Map<String, String> excluded;
    private final List<Finding> findings;

    private Comparison(String scenario, Metric metric, List<CellStats> compared, Map<String, String> excluded,
            List<Finding> findings) {
        this.scenario = scenario;
        this.metric = metric;
        this.compared = compared;
        this.excluded = excluded;
        this.findings = findings;
    }

    /** Compares {@code metric} across {@code cells}, the cells of one scenario. */
    static Comparison of(String scenario, Metric metric, List<CellStats> cells, double offeredRate) {
        List<CellStats> compared = new ArrayList<>();
        Map<String, String> excluded = new LinkedHashMap<>();
        for (CellStats c : cells) {
            String why = whyExcluded(c, metric);
            if (why == null) {
                compared.add(c);
            } else {
                excluded.put(c.cell().guarantee(), why);
            }
        }
        int pairs = compared.size() * (compared.size() - 1) / 2;
        double[] p = new double[pairs];
        int[][] pair = new int[pairs][];
        int k = 0;
        for (int i = 0; i < compared.size(); i++) {
            for (int j = i + 1; j < compared.size(); j++) {
                p[k] = Significance.pValue(compared.get(i).figure(metric).values(), compared.get(j).figure(metric).values());
                pair[k++] = new int[] {i, j};
            }
        }
        boolean[] significant = Significance.holm(p, Significance.ALPHA);
        List<Finding> findings = new ArrayList<>();
        for (k = 0; k < pairs; k++) {
            if (!significant[k]) {
                continue;
            }
            CellStats a = compared.get(pair[k][0]);
            CellStats b = compared.get(pair[k][1]);
            double ma = a.figure(metric).estimate().median();
            double mb = b.figure(metric).estimate().median();
            if (ma == mb || metric == Metric.DONE && Math.abs(ma - mb) <= Metric.DONE_TIE_SHARE * offeredRate) {
                continue;
            }
            boolean aBetter = metric.higherIsBetter() ? ma > mb : ma < mb;
            CellStats better = aBetter ? a : b;
            CellStats worse = aBetter ? b : a;
            findings.add(new Finding(scenario, metric, better.cell().guarantee(), worse.cell().guarantee(), p[k]));
        }
        return new Comparison(scenario, metric, compared, excluded, findings);
    }

    private static String whyExcluded(CellStats c, Metric metric) {
        Cell cell = c.cell();
        if (!cell.rankable()) {
            List<String> why = new ArrayList<>();
            if (cell.deadlocks() > 0) {
                why.add("deadlocked in " + cell.deadlocks() + " of " + cell.trials().size() + " trials");
            }
            if (cell.errors() > 0) {
                why.add("broke in " + cell.errors() + " of " + cell.trials().size() + " trials");
            }
            return String.join(", ", why);
        }
        CellStats.Figure f = c.figure(metric);
        if (!f.present()) {
            if (f.unsupported() == 0 || !metric.isPercentile()) {
                return "no figure";
            }
            return f.minSamples() == 0 ? "no successful operation in a trial"
                    : "too few samples (" + f.minSamples() + " in a trial; " + Support.needed(metric.percentile()) + " needed)";
        }
        if (metric.isPercentile() && c.medianFailedShare() > LATENCY_FAILED_SHARE) {
            return String.format(Locale.ROOT, "failed %.0f%% of its operations (median over trials)",
                    100 * c.medianFailedShare());
        }
        if ((metric == Metric.HELD || metric == Metric.PRICE) && !cell.promisesProgress()) {
            return "no guarantee, nothing held";
        }
        return null;
    }

    String scenario() {
        return scenario;
    }

    Metric metric() {
        return metric;
    }

    /** The significant differences, in the order of the pairs. */
    List<Finding> findings() {
        return findings;
    }

    /** The guarantee left out, with why. */
    Map<String, String> excluded() {
        return excluded;
    }

    List<CellStats> compared() {
        return compared;
    }

    /**
     * The guarantee that is significantly better than every other one compared, or null. With
     * one compared guarantee there is nothing to be better than.
     */
    String winner() {
        if (compared.size() < 2) {
            return null;
        }
        for (CellStats c : compared) {
            String g = c.cell().guarantee();
            long beats = findings.stream().filter(f -> f.better().equals(g)).count();
            if (beats == compared.size() - 1) {
                return g;
            }
        }
        return null;
    }

    /** The verdict in one line, for the terminal and the report. */
    String line() {
        StringBuilder sb = new StringBuilder(metric.label()).append(": ");
        int trials = compared.stream().mapToInt(c -> c.counted().size()).min().orElse(0);
        if (compared.isEmpty() && metric.isPercentile() && excluded.values().stream().allMatch(w -> w.startsWith("too few")
                || w.startsWith("no successful"))) {
            return sb.append("not shown: a trial needs ").append(Support.needed(metric.percentile()))
                    .append(" successful operations for it (raise --duration or --rate)").toString();
        }
        if (compared.size() < 2) {
            sb.append("not compared (fewer than two guarantees with a figure)");
        } else if (winner() != null) {
            CellStats w = cell(winner());
            sb.append(metric.best()).append(": ").append(winner()).append(", ").append(w.figure(metric).text())
                    .append(' ').append(metric.unit()).append(", ").append(metric.higherIsBetter() ? "above" : "below")
                    .append(" every other guarantee compared");
        } else if (!findings.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Finding f : findings) {
                parts.add(f.better() + " " + (metric.higherIsBetter() ? ">" : "<") + " " + f.worse() + " ("
                        + cell(f.better()).figure(metric).medianText() + " vs " + cell(f.worse()).figure(metric).medianText()
                        + " " + metric.unit() + ")");
            }
            sb.append(String.join("; ", parts)).append("; no other difference shown");
        } else {
            sb.append("no difference shown at ").append(Text.count(trials, "trial"));
        }
        if (!excluded.isEmpty()) {
            List<String> parts = new ArrayList<>();
            excluded.forEach((g, why) -> parts.add(g + ": " + why));
            sb.append(" [not ranked: ").append(String.join("; ", parts)).append(']');
        }
        return sb.toString();
    }

    private CellStats cell(String guarantee) {
        for (CellStats c : compared) {
            if (c.cell().guarantee().equals(guarantee)) {
                return c;
            }
        }
        throw new IllegalArgumentException(guarantee);
    }

    /** Every finding of {@code a} that some finding of {@code b} contradicts, with it. */
    public static List<String> contradictions(List<Finding> a, List<Finding> b) {
        List<String> out = new ArrayList<>();
        for (Finding fa : a) {
            for (Finding fb : b) {
                if (fa.contradicts(fb)) {
                    out.add(fa + " but " + fb);
                }
            }
        }
        return out;
    }
}
