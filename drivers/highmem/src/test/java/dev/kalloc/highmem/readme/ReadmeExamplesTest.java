// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin use
import dev.kalloc.bio.*;
import dev.kalloc.highmem.*;
import dev.kalloc.page.*;
import dev.kalloc.slab.*;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * drivers/highmem/README.md's example, compiled and run here exactly as the README shows it:
 * kmap and kmap_atomic of a HighMem page, then a write of that page to a device that cannot
 * reach HighMem, bounced through the pool. {@link ReadmeExamples} fails if the README block and
 * the region part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/highmem/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "use");
    }

    /** The README says what the example prints, in the sentence below it. */
    @Test
    void useExampleBouncesTheHighMemPage() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::use);
        assertThat(out).isEqualTo("1 page bounced\n");
        assertThat(Files.readString(Path.of(README))).contains("\n\nIt prints `" + out.strip() + "`.\n");
    }

    private static void use() throws Exception {
        // readme:begin use
        try (Machine m = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.MiB).kswapd(false).build());
             RamDisk rd = RamDisk.create(m, "rd0", 8192, Duration.ZERO)) { // HighMem: the top eighth of RAM
            Highmem hm = Highmem.boot(m);                   // LAST_PKMAP 1024; Highmem.boot(m, 16) for a small window
            Page page = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER); // a HighMem page: no direct-map address
            long v = hm.kmap(page);                         // process context; sleeps while every slot has users
            hm.putLong(v + 8, 42L);                         // bytes are reached through the mapping
            hm.kunmap(page);
            long a = hm.kmapAtomic(page, KmType.KM_USER0);  // never sleeps; interrupt context allowed
            hm.kunmapAtomic(a, KmType.KM_USER0);

            Guarantee g = GuaranteeKind.MEMPOOL_2_5_1.create(m); // or MEMPOOL_MODERN, RESERVATION, NONE
            SlabAllocator slab = SlabAllocator.boot(m);     // for the bounce bio set's caches
            Bounce bounce = Bounce.init(hm, g, slab);       // the 64-page pool, if the machine has highmem,
                                                            // and a private bounce bio set
            bounce.blkQueueBounceLimit(rd.queue(), bounce.bounceHigh()); // or bounceIsa(), or any address
            BioSet bios = BioSet.builder(slab, g).create();
            Bio bio = bios.bioAlloc(Gfp.GFP_NOIO, 1);
            CountDownLatch written = new CountDownLatch(1);
            bio.addPage(page, 4096, 0);
            bio.setSector(0).setDev(rd).setEndIo((b, n) -> { b.put(); written.countDown(); return 0; });
            BlockLayer.submitBio(Bio.WRITE, bio);           // bounced transparently when a page is above the limit
            written.await();
            m.pageAlloc().freePage(page);
            System.out.println(bounce.pagesBounced() + " page bounced"); // also biosBounced, pagesCopiedBack, failures, pagesInUse
            rd.close();                                     // the queue stops: every bounce bio is back
            bounce.destroy();                               // quiescent point: no bounce page or bio may be out
        }
        // readme:end
    }
}
