package dev.kalloc.page.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin library
import dev.kalloc.page.*;
// readme:end
import dev.kalloc.page.testing.ReadmeExamples;
import org.junit.jupiter.api.Test;

/**
 * The root README's page-alloc example ("page-alloc as a library"), compiled and run here
 * exactly as the README shows it; {@link ReadmeExamples} fails if the two texts part.
 */
class ReadmeExamplesTest {
    private static final String README = "../README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/page/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "library");
    }

    /** Prints /proc/buddyinfo then /proc/meminfo, as the comments next to the prints say. */
    @Test
    void libraryExampleRunsAndPrintsBuddyinfoThenMeminfo() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::library);
        assertThat(out).startsWith("Node 0, zone      DMA ");
        assertThat(out).contains("\nNode 0, zone   Normal ").contains("\nMemTotal:");
        assertThat(out.indexOf("MemTotal:")).isGreaterThan(out.indexOf("zone   Normal"));
    }

    private static void library() {
        // readme:begin library
        MachineConfig config = MachineConfig.builder()
                .memory(64 * MachineConfig.MiB)   // zones scale with the i386 layout: DMA 1/64, Normal to 7/8
                .cpus(2)
                .build();
        try (Machine m = Machine.boot(config)) {
            PageAllocator pa = m.pageAlloc();
            Page block = pa.allocPages(Gfp.GFP_KERNEL, 3);           // 8 contiguous pages, or null
            m.memory().putLong(block.physAddr(), 0xCAFEL);            // page contents are real bytes
            pa.freePages(block, 3);

            long addr = pa.getFreePages(Gfp.GFP_ATOMIC, 0);           // by address; 0 means failure
            if (addr != 0) {
                pa.freePagesAddr(addr, 0);
            }
            System.out.print(ProcFs.buddyinfo(m));                    // Node 0, zone      DMA ...
            System.out.print(ProcFs.meminfo(m));
        }
        // readme:end
    }
}
