// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import java.lang.management.ManagementFactory;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Once warm, submitting a mirrored write allocates nothing on the submitter's Java heap: the
 * r1bio and its bios are typed objects reused by the pool, each clone is re-cloned in place, and
 * the queues link bios without nodes. Only the submission is measured; the wait for the
 * completion is outside.
 */
class NoGarbageTest {
    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_2_5_1", "NONE"})
    void warmSubmissionsAllocateNothing(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, 1024)) {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            Page[] pages = rig.pages(1);
            Bio template = rig.bios.bioAlloc(Gfp.GFP_NOIO, 1);
            template.addPage(pages[0], Raid1Rig.PAGE, 0);
            template.setDev(rig.array.device());
            Bio master = rig.bios.bioAlloc(Gfp.GFP_NOIO, 0);
            Semaphore done = new Semaphore(0);
            int allocating = 0;
            long garbage = 0;
            for (int i = 0; i < 6000; i++) {
                rig.bios.bioCloneInto(master, template);
                master.setSector(8L * (i % 64)).setEndIo((b, n) -> {
                    done.release();
                    return 0;
                });
                long before = mx.getCurrentThreadAllocatedBytes();
                BlockLayer.submitBio(Bio.WRITE, master);
                long after = mx.getCurrentThreadAllocatedBytes();
                if (i >= 3000 && after != before) {
                    allocating++;
                    garbage += after - before;
                }
                done.acquire();
                rig.array.waitIdle();
            }
            // Counted per submission, not as a byte total: on a loaded machine a submission that
            // meets the dispatcher holding the queue lock parks, and parking allocates a lock
            // queue node; that is the JDK's lock, not the driver's path, and it is rare.
            assertThat(allocating).as("warm submissions that allocated (%d bytes in all)", garbage)
                    .isLessThanOrEqualTo(30);
            master.put();
            template.put();
            rig.free(pages);
            rig.assertQuiescent();
        }
    }
}
