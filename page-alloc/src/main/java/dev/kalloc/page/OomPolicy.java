// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * What a sleeping allocation does when reclaim can free nothing: the port's explicit answer to
 * the kernel's {@code out_of_memory()}, which in 2.4 picks a task to kill.
 *
 * <ul>
 *   <li>{@link #failAfter(int)}: after that many consecutive reclaim rounds that freed nothing,
 *       the allocation returns null (an "OOM kill" of the allocation rather than of a task).
 *       Between rounds the task yields, as 2.4's {@code SCHED_YIELD} loop does; it does not
 *       sleep, so a machine with nobody else freeing fails fast instead of hanging.</li>
 *   <li>{@link #waitForFree()}: sleep on the allocator's wait queue until pages are freed or
 *       become reclaimable, then try again, for as long as it takes. This is where a
 *       mempool-free writeback path deadlocks, visibly: every round is reported to the
 *       machine's OOM listener, so a watchdog sees the stall rather than a silent hang.</li>
 * </ul>
 * Either way, allocations of order above 3 give up after one round, as 2.4 does, and so do
 * allocations with 2.6's {@link Gfp#__GFP_NORETRY} of any order: neither reaches the policy.
 */
public final class OomPolicy {
    private final int rounds;

    private OomPolicy(int rounds) {
        this.rounds = rounds;
    }

    /** Return null after {@code rounds} consecutive reclaim rounds freed nothing. */
    public static OomPolicy failAfter(int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("OOM policy: failAfter needs rounds >= 1, got " + rounds);
        }
        return new OomPolicy(rounds);
    }

    /** Wait for frees for as long as it takes. */
    public static OomPolicy waitForFree() {
        return new OomPolicy(0);
    }

    /** True if this policy waits forever instead of failing. */
    public boolean waits() {
        return rounds == 0;
    }

    /** Rounds before failing; 0 for {@link #waitForFree()}. */
    public int rounds() {
        return rounds;
    }

    @Override
    public String toString() {
        return waits() ? "waitForFree" : "failAfter(" + rounds + ")";
    }
}
