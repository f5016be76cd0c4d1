// SPDX-License-Identifier: GPL-2.0-only
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
 *
 * <p>The terminal's table leaves out {@code done/s} (the lines under the table give it for every
 * cell, against the offered rate), {@code p99.9} (at the default load no trial has the 10000
 * operations it needs), stalls and held; and it folds a trials column of many outcomes into
 * its most serious ones ({@link #textOutcomes}). So a row at its widest, four-digit figures with
 * their intervals in every column, fits {@value #TEXT_WIDTH} characters (113).
 */
public final class SummaryTable {
    /** The report's columns. */
    static final List<Metric> HTML_METRICS = List.of(Metric.DONE, Metric.P50, Metric.P99, Metric.P99_9, Metric.FAILED,
            Metric.STALLS, Metric.HELD, Metric.PRICE);
    /** The terminal's columns: what guarantees are compared on, latency, failures and price. */
    static final List<Metric> TEXT_METRICS = List.of(Metric.P50, Metric.P99, Metric.FAILED, Metric.PRICE);
    /** The terminal's width the table and its legend keep to. */
    static final int TEXT_WIDTH = 120;
    /** The widest the terminal's trials column gets ({@code 5 failures, 1 ok} is 16). */
    static final int OUTCOMES_WIDTH = 20;

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

    /** The cells of one row; the trials column holds every outcome. */
    static List<String> row(CellStats s, List<Metric> metrics) {
        return row(s, metrics, s.cell().outcomes());
    }

    private static List<String> row(CellStats s, List<Metric> metrics, String outcomes) {
        List<String> row = new ArrayList<>(List.of(s.cell().scenario(), s.cell().guarantee(), outcomes));
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

    /**
     * The outcomes for the terminal's trials column: all of them (most serious first) if they fit
     * {@link #OUTCOMES_WIDTH}, else the most serious that do and the count of the rest, as in
     * {@code 1 DEADLOCK, 5 more}. The report's table has them all.
     */
    static String textOutcomes(String outcomes) {
        if (outcomes.length() <= OUTCOMES_WIDTH) {
            return outcomes;
        }
        String[] parts = outcomes.split(", ");
        String shortest = outcomes;
        for (int k = parts.length - 1; k >= 1; k--) {
            long rest = 0;
            for (int i = k; i < parts.length; i++) {
                rest += Long.parseLong(parts[i].substring(0, parts[i].indexOf(' ')));
            }
            shortest = String.join(", ", java.util.Arrays.asList(parts).subList(0, k)) + ", " + rest + " more";
            if (shortest.length() <= OUTCOMES_WIDTH) {
                return shortest;
            }
        }
        return shortest;
    }

    /** The table as fixed-width text: text columns left-aligned, numbers right-aligned. */
    public static String text(Analysis analysis) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(header(TEXT_METRICS));
        for (CellStats s : analysis.cells()) {
            rows.add(row(s, TEXT_METRICS, textOutcomes(s.cell().outcomes())));
        }
        return layout(rows) + wrap(legend(analysis, TEXT_METRICS), TEXT_WIDTH);
    }

    /** {@code rows} (the header first) as fixed-width text: text columns left-aligned, numbers right-aligned. */
    static String layout(List<List<String>> rows) {
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
        return sb.toString();
    }

    /** Each line of {@code text} broken at spaces into lines of at most {@code width} characters. */
    static String wrap(String text, int width) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            StringBuilder cur = new StringBuilder();
            for (String word : line.split(" ")) {
                if (cur.length() > 0 && cur.length() + 1 + word.length() > width) {
                    sb.append(cur).append('\n');
                    cur.setLength(0);
                    cur.append("  "); // a continued line is indented, so where an item begins stays visible
                } else if (cur.length() > 0 && !cur.toString().isBlank()) {
                    cur.append(' ');
                }
                cur.append(word);
            }
            sb.append(cur).append('\n');
        }
        sb.setLength(sb.length() - 1); // the split's last, empty piece after the final newline
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

    /** What the figures of a table of {@code metrics} are, in one or two lines under it. */
    static String legend(Analysis analysis, List<Metric> metrics) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "median over %s [%s]; latency of successful operations in ms; price: memory taken from others (KiB,"
                        + " time-averaged)", Text.count(analysis.trials(), "trial"), intervalName(analysis.trials())));
        boolean weak = analysis.cells().stream().anyMatch(c -> c.counted().size() > 1
                && c.counted().size() < c.cell().trials().size() && c.counted().size() < Estimate.trialsFor95());
        if (weak) {
            sb.append("\n*: over fewer trials than a 95% interval needs (the others deadlocked or broke): [min-max]");
        }
        List<String> needs = new ArrayList<>();
        for (Metric m : metrics) {
            if (!m.isPercentile()) {
                continue;
            }
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
