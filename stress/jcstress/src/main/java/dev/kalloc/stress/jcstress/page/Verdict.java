// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import dev.kalloc.page.Page;

/**
 * What an arbiter found at the quiescent point after the actors, as one int in the result: 0 when
 * every check passed, otherwise the first check that failed. Every test declares the outcomes
 * with verdict 0 it accepts and forbids everything else, so a nonzero verdict always fails the run.
 *
 * <p>The checks, in the order they are made:
 * <ol>
 *   <li>{@link #BROKEN_INVARIANT}: {@code Machine.checkInvariants()} threw: free blocks overlap
 *       or are misaligned, a buddy pair is free and unmerged, the bitmap disagrees with the lists,
 *       a per-CPU count disagrees with its list, or free + per-CPU + allocated != present.</li>
 *   <li>{@link #SAME_PAGE_TWICE}: two actors hold the same page.</li>
 *   <li>{@link #NOT_ALLOCATED}: a page an actor holds is not marked allocated (it is also on a
 *       free list, so it would be handed out again).</li>
 *   <li>{@link #LOST_OR_FOUND}: the zone counts a different number of allocated pages than the
 *       test handed out: a page leaked, or a freed one was not returned.</li>
 * </ol>
 */
public final class Verdict {
    public static final int OK = 0;
    static final int BROKEN_INVARIANT = 1;
    public static final int SAME_PAGE_TWICE = 2;
    public static final int NOT_ALLOCATED = 3;
    static final int LOST_OR_FOUND = 4;

    /** The text every test's catch-all FORBIDDEN outcome carries. */
    static final String FORBIDDEN_DESC = "Anything else, or a nonzero verdict (last field): 1 = invariants broken, "
            + "2 = one page handed out twice, 3 = a held page is not allocated, 4 = a page lost or conjured.";

    private Verdict() {
    }

    /**
     * Checks {@code m} at a quiescent point.
     *
     * @param allocated pages the zone must count allocated: the fixture's plus the actors'
     * @param actorPages the pages the actors hold; null entries (failed allocations) are skipped
     * @return {@link #OK} or the first failed check
     */
    static int of(TinyMachine m, int allocated, Page... actorPages) {
        try {
            m.machine.checkInvariants();
        } catch (AssertionError | RuntimeException broken) {
            return BROKEN_INVARIANT;
        }
        int held = heldPages(actorPages);
        if (held != OK) {
            return held;
        }
        return m.zone.allocatedPages() == allocated ? OK : LOST_OR_FOUND;
    }

    /**
     * The checks every arbiter holding pages makes (the reservation tests too): no page held by
     * two actors, every held page marked allocated.
     *
     * @param actorPages the pages the actors hold; null entries (failed allocations) are skipped
     * @return {@link #OK}, {@link #SAME_PAGE_TWICE} or {@link #NOT_ALLOCATED}
     */
    public static int heldPages(Page... actorPages) {
        for (int i = 0; i < actorPages.length; i++) {
            for (int j = i + 1; j < actorPages.length; j++) {
                if (actorPages[i] != null && actorPages[i] == actorPages[j]) {
                    return SAME_PAGE_TWICE;
                }
            }
        }
        for (Page p : actorPages) {
            if (p != null && !p.isAllocated()) {
                return NOT_ALLOCATED;
            }
        }
        return OK;
    }
}
