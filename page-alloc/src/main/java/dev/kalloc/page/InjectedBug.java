// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * Test-only: a protection of the page allocator's blocking paths that a schedule test
 * (stress/schedules) can remove, to show that the test exploring that path catches the bug it
 * exists for.
 *
 * <p>{@link #active} is {@link #NONE} in production and nothing outside tests sets it. It is read
 * only by a reservation admission that is about to sleep, so no allocation or free pays for it.
 * A plain static: a test sets it before starting the threads it explores and clears it after.
 */
enum InjectedBug {
    /** Every protection in place. */
    NONE,
    /**
     * {@code reserve_pages}: after queueing on the allocator's wait queue, the admission neither
     * collects what is already there ({@code repayNow}) nor re-tests its debt; it sleeps on the
     * debt it saw before queueing. A release or free that repaid the debt in between, and woke an
     * empty queue, is lost.
     */
    NO_ADMISSION_RECHECK;

    /** The bug in force; {@link #NONE} unless a test injected one. */
    static InjectedBug active = NONE;
}
