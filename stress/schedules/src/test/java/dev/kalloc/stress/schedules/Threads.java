// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules;

/**
 * Starts the actors of one schedule and waits for them. Under Fray every start, join, lock and
 * park is a scheduling point; a schedule in which some actor never finishes leaves every thread
 * blocked, which Fray reports as a deadlock (no timeout is involved).
 */
public final class Threads {
    private Threads() {
    }

    /** Runs each actor on its own thread, all started before any is joined, and joins them all. */
    public static void runAll(Runnable... actors) {
        Thread[] threads = new Thread[actors.length];
        for (int i = 0; i < actors.length; i++) {
            threads[i] = new Thread(actors[i], "actor-" + i);
            threads[i].start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while joining " + t.getName(), e);
            }
        }
    }

    /** Throws an {@link AssertionError} saying {@code what} unless {@code ok}. */
    public static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
