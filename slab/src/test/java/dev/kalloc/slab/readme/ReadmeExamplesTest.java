// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin use
import dev.kalloc.page.*;
import dev.kalloc.slab.*;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import org.junit.jupiter.api.Test;

/**
 * slab/README.md's two examples, compiled and run here exactly as the README shows them; the
 * typed-cache one continues inside the first one's {@code try}, so it runs with a machine and a
 * {@code slab} of its own. {@link ReadmeExamples} fails if a README block and its region part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/slab/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "use", "typed-cache");
    }

    /**
     * The view printed after my_cache was destroyed: slabinfo 1.1 with the general caches only,
     * an SMP one (the machine has two CPUs).
     */
    @Test
    void useExamplePrintsSlabinfo() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::use);
        assertThat(out).startsWith(SlabAllocator.SLABINFO_1_1_VERSION + " (SMP)\n");
        assertThat(out).contains("\nsize-128 ").contains("\nsize-64 ").doesNotContain("my_cache");
    }

    @Test
    void typedCacheExampleHandsOutItsDentry() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            SlabAllocator slab = SlabAllocator.boot(m);
            // readme:begin typed-cache
            final class Dentry extends SlabObject {
                Dentry(Slot slot) { super(slot); }                    // once per slot, at slab growth
                int count() { return getInt(0); }                     // reads the object's own bytes
                void setCount(int c) { putInt(0, c); }
            }
            KmemCache<Dentry> dcache = slab.kmemCacheCreate("dentry_cache", 112, 0, SlabFlags.SLAB_HWCACHE_ALIGN,
                    null, null, Dentry::new);
            Dentry d = dcache.allocObject(SlabFlags.SLAB_KERNEL);     // null on failure
            dcache.freeObject(d);
            // readme:end
            assertThat(d).isNotNull();
            assertThat(d.cache()).isSameAs(dcache);
            Dentry again = dcache.allocObject(SlabFlags.SLAB_KERNEL);
            again.setCount(7);
            assertThat(again.count()).as("the object's bytes at its slot").isEqualTo(m.memory().getInt(again.address()))
                    .isEqualTo(7);
            dcache.freeObject(again);
            dcache.destroy();
        }
    }

    private static void use() {
        // readme:begin use
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            SlabAllocator slab = SlabAllocator.boot(m);          // kmem_cache_init + sizes_init + cpucache_init

            long p = slab.kmalloc(100, Gfp.GFP_KERNEL);           // an object of size-128; 0 on failure
            m.memory().putInt(p, 42);                             // its bytes are real RAM
            slab.kfree(p);                                        // the page says which cache

            KmemCache<SlabObject> c = slab.kmemCacheCreate("my_cache", 48, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null);
            long o = c.alloc(SlabFlags.SLAB_KERNEL);              // kmem_cache_alloc
            c.free(o);                                            // kmem_cache_free
            c.destroy();                                          // refused (SlabBug) while objects are out
            System.out.print(slab.slabinfo());                    // /proc/slabinfo as 2.4 printed it (1.1)
            slab.writeSlabinfo("size-64 120 60");                 // echo "size-64 120 60" > /proc/slabinfo
        }
        // readme:end
    }
}
