// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import dev.kalloc.page.Page;

/**
 * Checks a termination-mode actor makes after its sleeping allocation returns. jcstress reports
 * an {@code Exception} from the actor as ERROR but an {@code Error} as a dead thread, which would
 * read as STALE; so every failure here is an {@link IllegalStateException}.
 */
final class SleepChecks {
    private SleepChecks() {
    }

    /**
     * Fails unless {@code page} is a page and the zone is consistent. The zone is quiescent here:
     * the allocation could only succeed after the signal's free had finished with the zone (its
     * remaining work is the wake-up).
     */
    static void gotPage(TinyMachine m, Page page) {
        if (page == null) {
            throw new IllegalStateException("a GFP_KERNEL allocation under OomPolicy.waitForFree returned null");
        }
        int verdict = Verdict.of(m, m.allocatedByFixture() + 1, page);
        if (verdict != Verdict.OK) {
            throw new IllegalStateException("zone inconsistent after the sleeping allocation: verdict " + verdict);
        }
    }
}
