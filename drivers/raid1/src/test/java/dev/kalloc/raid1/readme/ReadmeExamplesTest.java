// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin use
import dev.kalloc.bio.*;
import dev.kalloc.page.*;
import dev.kalloc.raid1.*;
import dev.kalloc.slab.*;
import java.util.concurrent.CountDownLatch;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import org.junit.jupiter.api.Test;

/**
 * drivers/raid1/README.md's example, compiled and run here exactly as the README shows it: a
 * mirrored write, a member failed and replaced, the resync, and the output the README shows
 * below it. {@link ReadmeExamples} fails if the README block and the region part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/raid1/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "use");
    }

    /** rd2 resynced into rd1's slot, the mirrors agree, and mdstat shows two working members. */
    @Test
    void useExampleReplacesAFailedMirrorAndResyncs() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::use);
        assertThat(out).startsWith("resynced true\nfirst mismatch -1\nmd0 : active raid1 rd2[1] rd0[0]\n");
        assertThat(out).isEqualTo(ReadmeExamples.textBlockAfter(README, "It prints:"));
    }

    private static void use() throws Exception {
        // readme:begin use
        try (Machine m = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.MiB).kswapd(false).build());
             RamDisk rd0 = RamDisk.create(m, "rd0", 8192); RamDisk rd1 = RamDisk.create(m, "rd1", 8192);
             RamDisk rd2 = RamDisk.create(m, "rd2", 8192)) {
            SlabAllocator slab = SlabAllocator.boot(m);
            Guarantee g = GuaranteeKind.MEMPOOL_2_5_1.create(m);
            // or GuaranteeKind.MEMPOOL_MODERN, RESERVATION or NONE: the same driver code on each
            BioSet bios = BioSet.builder(slab, g).create();
            try (Raid1Array md = Raid1Array.builder(slab, g).name("md0").members(rd0, rd1).create()) {
                Page page = m.pageAlloc().allocPage(Gfp.GFP_NOIO);
                CountDownLatch written = new CountDownLatch(1);
                Bio bio = bios.bioAlloc(Gfp.GFP_NOIO, 1);
                bio.addPage(page, 4096, 0);
                bio.setSector(0).setDev(md.device()).setEndIo((b, n) -> { b.put(); written.countDown(); return 0; }); // IRQ
                BlockLayer.submitBio(Bio.WRITE, bio);   // to rd0 and rd1; the end-io runs once, after both
                written.await();
                m.pageAlloc().freePage(page);

                rd1.failFrom(System.nanoTime());        // fault injection: rd1's next I/O fails, rd1 goes faulty
                md.setFaulty(rd1);                      // or directly, as mdadm --fail (false for the last disk)
                md.hotAdd(rd2);                         // rd2 takes rd1's slot; raid1syncd resyncs it
                System.out.println("resynced " + md.waitResync()); // true: rd2 is in sync
                System.out.println("first mismatch " + md.firstMismatch()); // -1: every mirror holds the same bytes
                System.out.print(md.mdstat());
            }
        }
        // readme:end
    }
}
