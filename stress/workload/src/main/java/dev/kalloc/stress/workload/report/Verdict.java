// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.run.Text;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The verdict on one scenario: for each guarantee what happened over its trials and whether that
 * is a failure (a deadlock, a data mismatch or an error where forward progress was promised) or
 * an expected result (the same on none); then, metric by metric, the significant differences
 * between the guarantees, or "no difference shown" ({@link Comparison}).
 */
final class Verdict {
    private Verdict() {
    }

    /** The verdict lines for {@code scenario}: one per guarantee, then one per metric. */
    static List<String> lines(Analysis analysis, String scenario) {
        List<String> lines = new ArrayList<>();
        for (CellStats c : analysis.cells(scenario)) {
            lines.add(c.cell().guarantee() + ": " + describe(c));
        }
        for (Comparison c : analysis.comparisons(scenario)) {
            lines.add(c.line());
        }
        return lines;
    }

    /** What happened to one cell over its trials, and whether that fails the command. */
    static String describe(CellStats stats) {
        Cell c = stats.cell();
        int n = c.trials().size();
        boolean promised = c.promisesProgress();
        List<String> bad = new ArrayList<>();
        for (RunResult r : c.trials()) {
            if (!r.error().isEmpty()) {
                bad.add("trial " + r.trial() + " broke with " + r.error());
            }
        }
        if (c.deadlocks() > 0) {
            RunResult first = c.trials().stream().filter(RunResult::deadlocked).findFirst().orElseThrow();
            bad.add(String.format(Locale.ROOT, "deadlocked in %d of %d trials (trial %d: %.1fs into the load, after %d"
                    + " operations)", c.deadlocks(), n, first.trial(), first.loadSeconds(), first.completed()));
        }
        if (c.mismatches() > 0) {
            RunResult first = c.trials().stream().filter(r -> r.mismatches() > 0).findFirst().orElseThrow();
            String example = first.mismatchExamples().isEmpty() ? "" : " (first: " + first.mismatchExamples().get(0) + ")";
            bad.add("data mismatches in " + c.mismatches() + " of " + n + " trials" + example);
        }
        CellStats.Figure done = stats.figure(Metric.DONE);
        CellStats.Figure failed = stats.figure(Metric.FAILED);
        long verified = 0;
        for (RunResult r : stats.counted()) {
            verified += r.bytesVerified();
        }
        String ran = String.format(Locale.ROOT, "%d of %d trials ran to the end; done/s %s of %.0f offered, failed %s"
                + " a trial, %s verified in all", stats.counted().size(), n, done.text(),
                c.trials().get(0).offeredRate(), failed.text(), Text.bytes(verified));
        if (bad.isEmpty()) {
            return ran + (!promised && failed.present() && failed.estimate().median() > 0
                    ? "; the failures are the baseline's expected result" : "");
        }
        String what = String.join("; ", bad);
        return promised ? "FAILED: " + what + " (this guarantee promises forward progress); " + ran
                : what + ": the expected result without a guarantee; " + ran;
    }
}
