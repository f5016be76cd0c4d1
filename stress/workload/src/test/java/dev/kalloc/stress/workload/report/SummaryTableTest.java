// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The terminal's summary table fits {@link SummaryTable#TEXT_WIDTH} (120) columns: a 110-column
 * terminal wrapped the 142 of its six-metric form, every row in two.
 */
class SummaryTableTest {
    /** A figure whose median and interval bounds are each four digits, and so its cell the widest at the defaults. */
    private static String widestCell(Metric m) {
        double[] v = {1000, 9999, 9998, 9997, 9996, 9995};
        return SummaryTable.cell(new CellStats.Figure(m, v, Estimate.of(v), 0, 0));
    }

    @Test
    void aRowAtItsWidestFitsTheTerminal() {
        List<String> row = new ArrayList<>(List.of("writeback", "mempool-modern",
                SummaryTable.textOutcomes("1 ERROR, 1 DEADLOCK, 1 MISMATCH, 1 failures, 2 ok")));
        for (Metric m : SummaryTable.TEXT_METRICS) {
            row.add(widestCell(m));
        }
        row.set(row.size() - 1, row.get(row.size() - 1) + "*"); // a weak interval's mark
        assertThat(widestCell(Metric.P99)).hasSize(16);
        String table = SummaryTable.layout(List.of(SummaryTable.header(SummaryTable.TEXT_METRICS), row));
        assertThat(table.lines()).hasSize(2).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
        assertThat(table.lines().toList().get(1)).startsWith("writeback  mempool-modern  1 ERROR, 5 more  ");
    }

    @Test
    void manyOutcomesFoldIntoTheMostSeriousAndACount() {
        assertThat(SummaryTable.textOutcomes("6 ok")).isEqualTo("6 ok");
        assertThat(SummaryTable.textOutcomes("5 failures, 1 ok")).isEqualTo("5 failures, 1 ok");
        assertThat(SummaryTable.textOutcomes("1 DEADLOCK, 1 MISMATCH, 4 ok")).isEqualTo("1 DEADLOCK, 5 more");
        assertThat(SummaryTable.textOutcomes("100 DEADLOCK, 200 MISMATCH, 700 ok")).isEqualTo("100 DEADLOCK, 900 more");
    }

    @Test
    void theLegendIsWrappedToTheTerminal() {
        String legend = "median over 6 trials [95% interval of the median, order statistics]; latency of successful"
                + " operations in ms; price: memory taken from others (KiB, time-averaged)\n-: a short line\n";
        String wrapped = SummaryTable.wrap(legend, 120);
        assertThat(wrapped.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
        assertThat(wrapped.replace("\n  ", " ")).isEqualTo(legend);
        assertThat(wrapped).endsWith("\n-: a short line\n");
    }
}
