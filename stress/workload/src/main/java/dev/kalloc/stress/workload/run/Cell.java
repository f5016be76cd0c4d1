// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import java.util.ArrayList;
import java.util.List;

/**
 * One cell of a campaign: a scenario on a guarantee, with its trials in trial order. Statistics
 * are computed over a cell's trials; verdicts compare the cells of one scenario.
 *
 * @param scenario the scenario's name
 * @param guarantee the guarantee's label
 * @param trials the runs, one per trial
 */
public record Cell(String scenario, String guarantee, List<RunResult> trials) {
    public Cell {
        if (trials.isEmpty()) {
            throw new IllegalArgumentException("cell " + scenario + "/" + guarantee + " has no trial");
        }
    }

    /** {@code scenario/guarantee}. */
    public String id() {
        return scenario + "/" + guarantee;
    }

    /** Trials the watchdog ended: their figures describe a truncated run. */
    public long deadlocks() {
        return trials.stream().filter(RunResult::deadlocked).count();
    }

    /** Trials that broke with an exception. */
    public long errors() {
        return trials.stream().filter(r -> !r.error().isEmpty()).count();
    }

    /** Trials whose data did not read back as written. */
    public long mismatches() {
        return trials.stream().filter(r -> r.mismatches() > 0).count();
    }

    /**
     * Whether the cell's figures may be ranked against others: no trial deadlocked or broke. A
     * truncated run's percentiles describe the part before it stuck, which can look best of all.
     */
    public boolean rankable() {
        return deadlocks() == 0 && errors() == 0;
    }

    /** Whether this guarantee promises forward progress (every guarantee but none). */
    public boolean promisesProgress() {
        return GuaranteeKind.parse(guarantee).promisesProgress();
    }

    /** Trials in which a guarantee that promises progress failed it. */
    public long failingTrials() {
        return trials.stream().filter(RunResult::failsCommand).count();
    }

    /**
     * The outcomes in a few words, most serious first: {@code 6 ok}, {@code 2 DEADLOCK, 4 ok},
     * {@code 5 ok, 1 failures}.
     */
    public String outcomes() {
        List<String> parts = new ArrayList<>();
        for (String o : List.of("ERROR", "DEADLOCK", "MISMATCH", "failures", "ok")) {
            long n = trials.stream().filter(r -> r.outcome().equals(o)).count();
            if (n > 0) {
                parts.add(n + " " + o);
            }
        }
        return String.join(", ", parts);
    }
}
