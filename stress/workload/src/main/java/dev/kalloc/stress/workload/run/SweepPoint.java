// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

/**
 * One point of a sweep: a campaign at one memory pressure, OOM policy and offered rate, in a
 * folder of its own under the sweep's ({@link #folder()}), with the same outputs as a run's
 * ({@code kalloc.hlog}, {@code .hgrm} files, {@code summary.json}), so that a point can be read,
 * reported ({@code kalloc report}), checked and compared like any run.
 *
 * @param kind which sweep the point belongs to
 * @param oomWaits the OOM policy: wait for frees, or fail
 * @param freePercent the memory the pressure leaves free ({@code --free})
 * @param rate offered operations per second
 */
public record SweepPoint(Kind kind, boolean oomWaits, double freePercent, double rate) {
    /** The two sweeps. */
    public enum Kind {
        /** Free memory stepped from plenty to none, at one rate. */
        PRESSURE,
        /** Offered rate doubled until every guarantee saturates, at one pressure. */
        LOAD
    }

    /** A point of the pressure sweep. */
    public static SweepPoint pressure(boolean oomWaits, double freePercent, double rate) {
        return new SweepPoint(Kind.PRESSURE, oomWaits, freePercent, rate);
    }

    /** A point of the load sweep. */
    public static SweepPoint load(boolean oomWaits, double freePercent, double rate) {
        return new SweepPoint(Kind.LOAD, oomWaits, freePercent, rate);
    }

    /** The OOM policy's name, as {@code --oom} takes it. */
    public String oom() {
        return oomWaits ? "wait" : "fail";
    }

    /**
     * The point's folder name: {@code pressure-fail-free2}, {@code pressure-wait-free0.5},
     * {@code load-4000}.
     */
    public String folder() {
        return kind == Kind.PRESSURE ? "pressure-" + oom() + "-free" + Text.percent(freePercent)
                : "load-" + Text.percent(rate);
    }

    @Override
    public String toString() {
        return kind == Kind.PRESSURE ? "--oom " + oom() + " --free " + Text.percent(freePercent) + "%"
                : Text.percent(rate) + "/s";
    }
}
