package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Text;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The summary table printed at the end of a run and shown in the report: one row per cell
 * (scenario x guarantee) with the outcomes of its trials and, per metric, the median over trials
 * and its 95% interval ({@code median [lo-hi]}). Latencies are of successful operations, in
 * milliseconds from their intended start; a percentile that a trial's sample count does not
 * support shows {@code -}. The terminal gets the columns that fit 120 characters; the report
 * all of them.
 */
public final class SummaryTable {
    /** The report's columns. */
    static final List<Metric> HTML_METRICS = List.of(Metric.DONE, Metric.P50, Metric.P99, Metric.P99_9, Metric.FAILED,
            Metric.STALLS, Metric.HELD, Metric.PRICE);
    /** The terminal's columns. */
    static final List<Metric> TEXT_METRICS = List.of(Metric.DONE, Metric.P50, Metric.P99, Metric.P99_9, Metric.FAILED,
            Metric.PRICE);

    private SummaryTable() {
    }

    /** The header of a table of {@code metrics}. */
    static List<String> header(List<Metric> metrics) {
        List<String> h = new ArrayList<>(List.of("scenario", "guarantee", "trials"));
        for (Metric m : metrics) {
            h.add(m.label() + (m.unit().equals("ms") || m.unit().equals("KiB") ? " " + m.unit() : ""));
        }
        return h;
    }

    /** The cells of one row. */
    static List<String> row(CellStats s, List<Metric> metrics) {
        List<String> row = new ArrayList<>(List.of(s.cell().scenario(), s.cell().guarantee(), s.cell().outcomes()));
        for (Metric m : metrics) {
            CellStats.Figure f = s.figure(m);
            // '*': some trials deadlocked or broke, and the rest are too few for a 95% interval.
            boolean weak = f.present() && s.counted().size() < s.cell().trials().size()
                    && f.estimate().confidence() < 1 - Significance.ALPHA;
            row.add(cell(f) + (weak ? "*" : ""));
        }
        return row;
    }

    /** {@code median [lo-hi]}, the median alone when the interval is one point, or {@code -}. */
    static String cell(CellStats.Figure f) {
        if (!f.present()) {
            return "-";
        }
        Metric m = f.metric();
        Estimate e = f.estimate();
        String med = m.format(e.median());
        String lo = m.format(e.lo());
        String hi = m.format(e.hi());
        return lo.equals(hi) && lo.equals(med) ? med : med + " [" + lo + "-" + hi + "]";
    }

    /** The table as fixed-width text: text columns left-aligned, numbers right-aligned. */
    public static String text(Analysis analysis) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(header(TEXT_METRICS));
        for (CellStats s : analysis.cells()) {
            rows.add(row(s, TEXT_METRICS));
        }
        int cols = rows.get(0).size();
        int[] width = new int[cols];
        for (List<String> row : rows) {
            for (int c = 0; c < cols; c++) {
                width[c] = Math.max(width[c], row.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> row : rows) {
            for (int c = 0; c < cols; c++) {
                String fmt = c < 3 ? "%-" + width[c] + "s" : "%" + width[c] + "s";
                sb.append(c == 0 ? "" : "  ").append(String.format(Locale.ROOT, fmt, row.get(c)));
            }
            int end = sb.length();
            while (end > 0 && sb.charAt(end - 1) == ' ') {
                end--;
            }
            sb.setLength(end);
            sb.append('\n');
        }
        sb.append(legend(analysis));
        return sb.toString();
    }

    /**
     * What the brackets hold with {@code n} trials: the 95% interval of the median from order
     * statistics, or, with fewer trials than that needs, the range, with the confidence it has.
     */
    public static String intervalName(int n) {
        if (n < 1) {
            return "no trial";
        }
        double[] ranks = new double[n];
        for (int i = 0; i < n; i++) {
            ranks[i] = i;
        }
        Estimate e = Estimate.of(ranks);
        if (n >= Estimate.trialsFor95()) {
            return "95% interval of the median, order statistics";
        }
        return String.format(Locale.ROOT, "min-max: with %s it covers the median with %.0f%% confidence only; %d trials"
                + " give 95%%", Text.count(n, "trial"), 100 * e.confidence(), Estimate.trialsFor95());
    }

    /** What the figures are, in one or two lines under the table. */
    static String legend(Analysis analysis) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "median over %s [%s]; latency of successful operations in ms; price: memory taken from others (KiB,"
                        + " time-averaged)", Text.count(analysis.trials(), "trial"), intervalName(analysis.trials())));
        boolean weak = analysis.cells().stream().anyMatch(c -> c.counted().size() > 1
                && c.counted().size() < c.cell().trials().size() && c.counted().size() < Estimate.trialsFor95());
        if (weak) {
            sb.append("\n*: over fewer trials than a 95% interval needs (the others deadlocked or broke): [min-max]");
        }
        List<String> needs = new ArrayList<>();
        for (Metric m : List.of(Metric.P50, Metric.P99, Metric.P99_9)) {
            boolean missing = analysis.cells().stream().anyMatch(c -> c.figure(m).unsupported() > 0);
            if (missing) {
                needs.add(m.label() + " needs " + Support.needed(m.percentile()));
            }
        }
        if (!needs.isEmpty()) {
            sb.append("\n-: a trial had too few successful operations for that percentile (").append(String.join(", ", needs))
                    .append(" a trial: raise --duration or --rate)");
        }
        return sb.append('\n').toString();
    }
}
