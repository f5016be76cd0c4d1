// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

/**
 * Test-only: the protections of {@link Mempool}'s blocking paths that a schedule test
 * (stress/schedules) can remove, one at a time, to show that the test exploring that path catches
 * the bug it exists for. Each constant names what the bug does and which kernel rule it breaks.
 *
 * <p>{@link #active} is {@link #NONE} in production and nothing outside tests sets it. It is read
 * only on slow paths (after the underlying allocator failed, before a sleep, on the locked refill
 * of {@code mempool_free}), never on the fast path of {@link Mempool#alloc} nor on a free to a
 * full pool, so it costs those paths nothing. A plain static: a test sets it before starting the
 * threads it explores (thread start orders the write before their reads) and clears it after.
 */
enum InjectedBug {
    /** Every protection in place. */
    NONE,
    /**
     * 2.5.1: a woken exclusive waiter that leaves with an element from the underlying allocator
     * does not pass the wake-up on ({@code passOnWakeup} is skipped): the 2.5.1 stranding, where
     * the freed element sits idle while another exclusive waiter sleeps with no timeout.
     */
    NO_WAKEUP_HANDOFF,
    /**
     * The waker's half of the sleeper/waker pair: {@code mempool_free} looks for sleepers
     * ({@code waitqueue_active}) before the store that refills the pool instead of after it. That
     * is exactly the store-load reordering the pair's barrier forbids (the kernel's
     * {@code smp_mb()} before {@code waitqueue_active}; here the lock release and the volatile
     * queue length), so a sequentially consistent explorer sees the missing barrier's effect:
     * a sleeper that queued between the look and the refill is never woken.
     */
    WAKE_CHECK_BEFORE_REFILL,
    /**
     * 2.5.1: after queueing on the wait queue, the sleeper does not re-check {@code curr_nr}
     * under the pool lock and sleeps at once: a free between its empty-pool check and its
     * queueing is lost.
     */
    NO_RECHECK_BEFORE_SLEEP,
    /**
     * Modern: the sleeper queues after dropping the pool lock under which it saw the pool empty,
     * instead of while holding it: a free in between is lost (the kernel's 5 s timeout would turn
     * the hang into a stall; schedule explorers treat the timed sleep as untimed).
     */
    QUEUE_AFTER_UNLOCK,
    /**
     * {@code mempool_free}'s re-check of {@code curr_nr < min_nr} under the lock is skipped:
     * two frees (or a free and a shrinking resize) that both saw room without the lock overfill
     * the pool past {@code min_nr}.
     */
    NO_REFILL_RECHECK;

    /** The bug in force; {@link #NONE} unless a test injected one. */
    static InjectedBug active = NONE;
}
