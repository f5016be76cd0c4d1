// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin use
import dev.kalloc.bio.*;
import dev.kalloc.page.*;
import dev.kalloc.slab.*;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import org.junit.jupiter.api.Test;

/**
 * drivers/bio/README.md's example, compiled and run here exactly as the README shows it, and its
 * guarantee-interface synopsis checked line by line against {@code Guarantee} and
 * {@code ElementSource}. {@link ReadmeExamples} fails if a README block and its source part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/bio/readme/ReadmeExamplesTest.java";
    private static final String INTERFACES = "synopsis:src/main/java/dev/kalloc/bio/Guarantee.java,"
            + "src/main/java/dev/kalloc/bio/ElementSource.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "use", INTERFACES);
    }

    /**
     * One bio allocated, written and put before the print (the latch orders the end-io before
     * it), on the 2.5.1 mempool guarantee; one write of 8 sectors reached rd0.
     */
    @Test
    void useExampleWritesOnePageThroughOneBio() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::use);
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).isEqualTo("bioinfo - version 1.0");
        // name, guarantee, entries (sized for 64 MiB), in use, allocs, failures, frees, clones,
        // endios, errors; one vector allocated, of class 4
        assertThat(lines.get(2).split("\\s+")).containsExactly("bio", "mempool", "128", "0", "1", "0", "1", "0", "1",
                "0", ":", "vecs", "0", "1", "0", "0", "0", "0");
        assertThat(lines.get(3)).isEqualTo("diskstats - version 1.0");
        // device, sectors, reads, sectors read, writes, sectors written, errors (the write is
        // serviced before its end-io runs; the completion counter may trail the latch)
        assertThat(lines.get(5).split("\\s+")).startsWith("rd0", "8192", "0", "0", "1", "8", "0");
        assertThat(lines).hasSize(6);
    }

    private static void use() throws Exception {
        // readme:begin use
        try (Machine m = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.MiB).kswapd(false).build());
             RamDisk rd = RamDisk.create(m, "rd0", 8192, Duration.ofMillis(1))) {
            SlabAllocator slab = SlabAllocator.boot(m);
            BioSet bios = BioSet.builder(slab, GuaranteeKind.MEMPOOL_2_5_1.create(m)).create();
            // or MEMPOOL_MODERN, RESERVATION, NONE; or Guarantees.mempool(m, policy),
            // Guarantees.reservation(Reservations.boot(m)), Guarantees.none()

            Page page = m.pageAlloc().allocPage(Gfp.GFP_NOIO); // the data to write
            CountDownLatch written = new CountDownLatch(1);
            Bio bio = bios.bioAlloc(Gfp.GFP_NOIO, 4);      // biovec-4; never null on mempool with a sleeping gfp
            bio.setSector(0).setDev(rd).setEndIo((b, nrSectors) -> { b.put(); written.countDown(); return 0; }); // IRQ context
            bio.addPage(page, 4096, 0);                    // IllegalStateException past the vector's capacity
            BlockLayer.submitBio(Bio.WRITE, bio);          // IllegalArgumentException past the device end
            written.await();                               // the end-io ran: the page is the caller's again
            m.pageAlloc().freePage(page);

            AddressSpace file = new AddressSpace("file", new BioWriteback(bios, rd)); // writepage through bios
            System.out.print(BioInfo.bioinfo(List.of(bios)) + BioInfo.diskstats(List.of(rd)));
        }
        // readme:end
    }
}
