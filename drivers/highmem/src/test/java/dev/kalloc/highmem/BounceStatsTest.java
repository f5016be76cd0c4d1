// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * {@link Bounce#stats()}: each field is the counter of its name, and a snapshot keeps the values it
 * was taken with while the bounce layer goes on.
 */
class BounceStatsTest {
    private static final int PAGE = PhysicalMemory.PAGE_SIZE;

    private static boolean io(BounceRig rig, int rw, Page page) throws InterruptedException {
        Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, 1);
        bio.addPage(page, PAGE, 0);
        bio.setSector(0).setDev(rig.disk);
        boolean ok = BounceRig.submitAndWait(rw, bio);
        bio.put();
        return ok;
    }

    @Test
    void statsAreTheBounceCountersAndStayAsTaken() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.MEMPOOL_2_5_1)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            Page page = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            assertThat(io(rig, Bio.WRITE, page)).isTrue();
            BounceStats afterWrite = rig.bounce.stats();
            assertThat(io(rig, Bio.READ, page)).isTrue();
            BounceStats afterRead = rig.bounce.stats();

            assertThat(afterWrite).isEqualTo(new BounceStats(1, 1, 0, 0, 0));
            assertThat(afterRead).isEqualTo(new BounceStats(2, 2, 1, 0, 0))
                    .isEqualTo(new BounceStats(rig.bounce.biosBounced(), rig.bounce.pagesBounced(),
                            rig.bounce.pagesCopiedBack(), rig.bounce.failures(), rig.bounce.pagesInUse()));
            rig.machine.pageAlloc().freePage(page);
            rig.checkConservation();
        }
    }
}
