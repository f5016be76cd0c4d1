// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin use
import dev.kalloc.mempool.*;
import dev.kalloc.page.*;
import java.util.List;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import org.junit.jupiter.api.Test;

/**
 * mempool/README.md's example, compiled and run here exactly as the README shows it (issue 18:
 * its {@code List.of} had lost its import), and the view it prints, which the README shows below
 * it. {@link ReadmeExamples} fails if the README block and the region part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    /** The README line after which the example's output is shown. */
    private static final String README_OUTPUT_INTRO = "both frees find the pool full and go back to it):";
    private static final String SOURCE = "src/test/java/dev/kalloc/mempool/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "use");
    }

    /**
     * Memory is plentiful, so both allocations are served by the page allocator at the first
     * level ({@code nowait}), both frees find the pool full and go to the allocator, and resize
     * grows the pool to 32.
     */
    @Test
    void useExamplePrintsWhatTheReadmeShows() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::use);
        assertThat(out).startsWith(MempoolInfo.VERSION_LINE + "\n");
        assertThat(out).isEqualTo(ReadmeExamples.textBlockAfter(README, README_OUTPUT_INTRO));
    }

    private static void use() {
        // readme:begin use
        try (Machine m = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.MiB).build())) {
            // mempool_create_page_pool(16, 0): prefilled with GFP_KERNEL, all or nothing (null on failure)
            Mempool<Page> pool = Mempools.createPagePool(m, "bounce", 16, 0);

            Page page = pool.alloc(Gfp.GFP_NOIO);      // may sleep; never null with __GFP_WAIT
            Page maybe = pool.alloc(Gfp.GFP_ATOMIC);   // never sleeps; null if allocator and pool are empty
            pool.free(page);                           // refills the pool first, then the page allocator
            if (maybe != null) {                       // 2.5.1 (the default policy) has no NULL check:
                pool.free(maybe);                      // free(null) is a KernelBug there; the modern
            }                                          // policy ignores null, as later kernels do

            pool.resize(32, Gfp.GFP_KERNEL);           // best-effort growth; shrinking frees the excess
            System.out.print(MempoolInfo.render(List.of(pool)));
            pool.destroy();                            // refused (KernelBug) while elements are out
        }
        // readme:end
    }
}
