// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Everything a sweep runs with: the settings every point shares ({@code base}: scenarios,
 * guarantees, trials, load time, machine, seed, thresholds, the sweep's folder), the pressure
 * steps, and the load sweep's pressure and rates. Immutable; {@link #validate()} names the first
 * bad value.
 *
 * <p>The pressure sweep runs every step under both OOM policies at {@code base.rate()}; the load
 * sweep runs at {@code loadFree} percent free under {@code --oom fail} (under {@code wait} a
 * guarantee that breaks deadlocks, and a deadlocked trial has no latency to put on a curve),
 * doubling the rate from {@code rateFrom} while some guarantee of a scenario still sustains it,
 * up to {@code rateMax}.
 *
 * @param base the settings every point shares; its rate is the pressure sweep's, its OOM policy
 *        and pressure are set per point
 * @param freeSteps the pressure sweep's steps, percent of the memory free after set-up
 * @param loadFree the load sweep's pressure
 * @param rateFrom the load sweep's first rate
 * @param rateMax the load sweep's last rate at most
 */
public record SweepConfig(RunConfig base, List<Double> freeSteps, double loadFree, double rateFrom, double rateMax) {
    /** Completed operations below this share of the offered rate: the rate is not sustained. */
    public static final double SATURATION = 0.9;
    /** Most steps or rates: each is a whole campaign. */
    static final int MAX_POINTS = 32;

    /**
     * Checks every value.
     *
     * @return this
     * @throws IllegalArgumentException naming the first bad option and its allowed range
     */
    public SweepConfig validate() {
        base.validate();
        require(!freeSteps.isEmpty(), "--free-steps: name at least one step");
        require(freeSteps.size() <= MAX_POINTS, "--free-steps: at most " + MAX_POINTS + " steps");
        for (double f : freeSteps) {
            require(f >= 0 && f < 100 && Double.isFinite(f), "--free-steps " + f + ": each step must be in [0, 100) percent");
            require(Math.abs(f * 1000 - Math.rint(f * 1000)) < 1e-6,
                    "--free-steps " + f + ": at most three decimals (a step names its point's folder)");
        }
        require(freeSteps.stream().distinct().count() == freeSteps.size(),
                "--free-steps " + freeSteps + ": a step is named twice");
        require(loadFree >= 0 && loadFree < 100 && Double.isFinite(loadFree),
                "--load-free " + loadFree + ": must be in [0, 100) percent");
        require(rateFrom * base.duration().toNanos() / 1e9 >= 1 && Double.isFinite(rateFrom),
                "--rate-from " + rateFrom + ": must offer at least one operation in a run of " + Text.duration(base.duration()));
        require(rateFrom == Math.rint(rateFrom), "--rate-from " + rateFrom + ": a whole number of operations a second");
        require(rateMax >= rateFrom && rateMax <= 1_000_000,
                "--rate-max " + rateMax + ": must be in [--rate-from, 1000000] ops/s");
        require(loadRates().size() <= MAX_POINTS, "--rate-from/--rate-max: more than " + MAX_POINTS + " doublings");
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The pressure steps from plenty to none. */
    public List<Double> steps() {
        List<Double> s = new ArrayList<>(freeSteps);
        s.sort(Comparator.reverseOrder());
        return s;
    }

    /** The pressure sweep's points: every step under {@code --oom fail}, then under {@code wait}. */
    public List<SweepPoint> pressurePoints() {
        List<SweepPoint> points = new ArrayList<>();
        for (boolean waits : new boolean[] {false, true}) {
            for (double f : steps()) {
                points.add(SweepPoint.pressure(waits, f, base.rate()));
            }
        }
        return points;
    }

    /** The load sweep's rates: {@code rateFrom} doubled while at most {@code rateMax}. */
    public List<Double> loadRates() {
        List<Double> rates = new ArrayList<>();
        for (double r = rateFrom; r <= rateMax && rates.size() <= MAX_POINTS; r *= 2) {
            rates.add(r);
        }
        return rates;
    }

    /** The load sweep's point at {@code rate}. */
    public SweepPoint loadPoint(double rate) {
        return SweepPoint.load(false, loadFree, rate);
    }

    /**
     * The campaign of {@code point} on {@code scenarios}, in the point's folder; warmed up only if
     * {@code warmUp} (the first point a process runs: later ones find the JIT's work done).
     */
    public RunConfig pointConfig(SweepPoint point, List<String> scenarios, boolean warmUp) {
        RunConfig c = base.at(scenarios, point.oomWaits(), point.freePercent(), point.rate(),
                base.out().resolve(point.folder()));
        return warmUp ? c : c.withWarmup(Duration.ZERO);
    }

    /** Runs of the whole sweep at most: every pressure point, and every load rate on every scenario. */
    public long maxRuns() {
        long cells = (long) base.scenarios().size() * base.guarantees().size() * base.trials();
        return cells * (pressurePoints().size() + loadRates().size());
    }
}
