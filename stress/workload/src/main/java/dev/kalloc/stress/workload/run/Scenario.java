// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

/**
 * A workload that runs on every guarantee: it sets up its driver on a {@link Rig}, puts the
 * machine under memory pressure, and then serves the operations the open loop issues.
 *
 * <p>Life of a run, all on the run's threads:
 * <ol>
 *   <li>{@link #prepare}: create pools, devices and buffers while memory is plentiful (a
 *       reservation's admission, a mempool's prefill);</li>
 *   <li>{@link Prepared#applyPressure(boolean)}: fill memory the way this scenario's trouble needs;</li>
 *   <li>{@link Prepared#issue}, from the load generator's workers, once per operation;</li>
 *   <li>after every operation has ended, {@link Prepared#finish}: flush, verify the data end
 *       to end, stop helper threads.</li>
 * </ol>
 * If the watchdog declares a deadlock, the run's threads are interrupted and abandoned instead of
 * finished.
 */
public interface Scenario {
    /** The name on the command line and in tags: lower case letters. */
    String name();

    /** One line saying what the scenario does, for help and the report. */
    String summary();

    /** Sets up on {@code rig}; operations are recorded through {@code ops}. */
    Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics);

    /** A scenario set up on one rig. */
    interface Prepared {
        /**
         * Fills memory as the scenario needs.
         *
         * @param takeAll true when the scenario runs alone; false when it shares the machine (the
         *        mixed scenario) and must leave room for the parts that fill after it
         */
        void applyPressure(boolean takeAll);

        /** Starts any helper threads (a flusher); called just before load starts. */
        default void startHelpers() {
        }

        /**
         * Issues operation {@code index}, intended to start at {@code intendedNanos}: does it,
         * or starts it and returns, recording its end through an {@link RunMetrics.OpType}.
         * Every operation begun must end (recorded), or the run never drains.
         */
        void issue(long index, long intendedNanos) throws InterruptedException;

        /**
         * Records operation {@code index} as begun and failed, without doing it: the load
         * generator's cut-off passed before it could be issued.
         */
        void abandon(long index, long intendedNanos);

        /**
         * After every operation ended: writes out what is pending, reads back and checks every
         * byte written, stops helper threads.
         */
        Verification finish() throws InterruptedException;

        /** Scenario counters for the report (name to value), in a stable order. */
        java.util.Map<String, Long> counters();
    }
}
