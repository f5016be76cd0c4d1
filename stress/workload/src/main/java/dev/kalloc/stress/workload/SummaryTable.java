package dev.kalloc.stress.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The summary table printed at the end of a run and shown in the report: one row per run
 * (scenario x guarantee), with throughput achieved against offered, latency percentiles over all
 * the run's operation types (milliseconds, from intended start), failures, stalls, the memory
 * the guarantee held idle, the bytes verified end to end, and the outcome.
 */
final class SummaryTable {
    static final String[] HEADER = {"scenario", "guarantee", "outcome", "offered/s", "done/s", "p50 ms", "p99 ms",
        "p99.9 ms", "p99.99 ms", "max ms", "failed", "stalls", "idle KiB", "verified MiB"};

    private SummaryTable() {
    }

    /** The cells of one run's row. */
    static String[] row(RunResult r, Histogram h) {
        boolean any = h.getTotalCount() > 0;
        return new String[] {
            r.scenario(), r.guarantee(), r.outcome(),
            String.format(Locale.ROOT, "%.0f", r.offeredRate()),
            String.format(Locale.ROOT, "%.0f", r.throughput()),
            any ? Text.millis(h.getValueAtPercentile(50)) : "-",
            any ? Text.millis(h.getValueAtPercentile(99)) : "-",
            any ? Text.millis(h.getValueAtPercentile(99.9)) : "-",
            any ? Text.millis(h.getValueAtPercentile(99.99)) : "-",
            any ? Text.millis(h.getMaxValue()) : "-",
            Long.toString(r.failed()),
            Long.toString(r.stalls()),
            String.format(Locale.ROOT, "%.0f", r.idleBytes() / 1024),
            String.format(Locale.ROOT, "%.1f", r.bytesVerified() / (1024.0 * 1024.0)),
        };
    }

    /** Every row of {@code log}. */
    static List<String[]> rows(RunLog log) {
        List<String[]> rows = new ArrayList<>();
        for (RunResult r : log.runs()) {
            rows.add(row(r, log.runTotal(r)));
        }
        return rows;
    }

    /** The table as fixed-width text: text columns left-aligned, numbers right-aligned. */
    static String text(RunLog log) {
        List<String[]> rows = rows(log);
        int[] width = new int[HEADER.length];
        for (int c = 0; c < HEADER.length; c++) {
            width[c] = HEADER[c].length();
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, HEADER, width);
        for (String[] row : rows) {
            line(sb, row, width);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] width) {
        for (int c = 0; c < cells.length; c++) {
            String fmt = c < 3 ? "%-" + width[c] + "s" : "%" + width[c] + "s";
            sb.append(c == 0 ? "" : "  ").append(String.format(Locale.ROOT, fmt, cells[c]));
        }
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == ' ') {
            end--;
        }
        sb.setLength(end);
        sb.append('\n');
    }
}
