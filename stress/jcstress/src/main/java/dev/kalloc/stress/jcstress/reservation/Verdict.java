// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.reservation;

import dev.kalloc.page.Page;

/**
 * What an arbiter found at the quiescent point after the actors, as one int, the last field of
 * every result: 0 when every check passed, else the first that failed. Only verdict 0 is
 * acceptable.
 * <ol>
 *   <li>{@link #BROKEN_INVARIANT}: {@code Reservations.checkInvariants()} threw: the buddy
 *       lists, the page cache counts, {@code reserved <= free + clean}, the reservation sums or
 *       a half-done admission.</li>
 *   <li>{@link #SAME_PAGE_TWICE}: two actors hold the same page.</li>
 *   <li>{@link #NOT_ALLOCATED}: a page an actor holds is not marked allocated.</li>
 *   <li>{@link #WRONG_RESERVED}: the zone's reserved count is not what the outcome implies.</li>
 * </ol>
 */
final class Verdict {
    static final int OK = 0;
    static final int BROKEN_INVARIANT = 1;
    /** Same codes as the page tests' verdict, whose {@code heldPages} check this one reuses. */
    static final int SAME_PAGE_TWICE = dev.kalloc.stress.jcstress.page.Verdict.SAME_PAGE_TWICE;
    static final int NOT_ALLOCATED = dev.kalloc.stress.jcstress.page.Verdict.NOT_ALLOCATED;
    static final int WRONG_RESERVED = 4;

    static final String FORBIDDEN_DESC = "Anything else, or a nonzero verdict (last field): 1 = invariants broken "
            + "(reserved > free + clean among them), 2 = one page handed out twice, 3 = a held page is not "
            + "allocated, 4 = the zone's reserved count disagrees with the outcome.";

    private Verdict() {
    }

    static int of(RsvMachine m, int expectedReserved, Page... actorPages) {
        try {
            m.reservations.checkInvariants();
        } catch (AssertionError | RuntimeException broken) {
            return BROKEN_INVARIANT;
        }
        int held = dev.kalloc.stress.jcstress.page.Verdict.heldPages(actorPages);
        if (held != OK) {
            return held;
        }
        return m.zone.reservedPages() == expectedReserved ? OK : WRONG_RESERVED;
    }
}
