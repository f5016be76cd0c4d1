// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.ProcFs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kmalloc / kfree / ksize over the general caches. */
class KmallocTest {

    @Test
    void sizeClasses() {
        try (Machine m = Tiny.machine(32, 2)) {
            SlabAllocator s = SlabAllocator.boot(m);
            int[][] cases = {{0, 32}, {1, 32}, {32, 32}, {33, 64}, {64, 64}, {65, 128}, {200, 256}, {257, 512},
                {1000, 1024}, {1025, 2048}, {4000, 4096}, {4097, 8192}, {10000, 16384}, {20000, 32768},
                {40000, 65536}, {65537, 131072}, {131072, 131072}};
            for (int[] c : cases) {
                long p = s.kmalloc(c[0], SLAB_KERNEL);
                assertThat(p).as("kmalloc(%d)", c[0]).isNotZero();
                assertThat(s.ksize(p)).as("ksize(kmalloc(%d))", c[0]).isEqualTo(c[1]);
                assertThat(((KmemCache<?>) m.physToPage(p).slabCache()).name()).isEqualTo("size-" + c[1]);
                s.kfree(p);
            }
            Tiny.check(m, s);
        }
    }

    @Test
    void tooLargeFailsCleanly() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            String before = s.slabinfo();
            assertThat(s.kmalloc(131073, SLAB_KERNEL)).isZero();
            assertThat(s.kmalloc(Integer.MAX_VALUE, SLAB_KERNEL)).isZero();
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThatThrownBy(() -> s.kmalloc(-1, SLAB_KERNEL)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * kfree(NULL) is a no-op, as in 2.4, while kmem_cache_free(cache, NULL) is a bug, as it oopses
     * there; neither changes anything.
     */
    @Test
    void kfreeOfNullIsANoOpAndKmemCacheFreeOfNullABug() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            long held = s.kmalloc(64, SLAB_KERNEL);
            String before = s.slabinfo();
            s.kfree(0);
            assertThat(s.ksize(0)).isZero();
            assertThat(s.slabinfo()).isEqualTo(before);
            KmemCache<?> cache = s.kmemCacheCreate("null_free", 64, 0, 0, null, null);
            String withCache = s.slabinfo();
            assertThatThrownBy(() -> cache.free(0)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("kmem_cache_free(null_free, NULL)");
            assertThat(s.slabinfo()).isEqualTo(withCache);
            s.kfree(held);
            Tiny.check(m, s);
        }
    }

    /**
     * kfree of anything that is not a slab object is a SlabBug naming the address, and changes
     * nothing: never a NullPointerException or ClassCastException from the page's owner field.
     */
    @Test
    void kfreeOfNonSlabAddressesIsASlabBugAndChangesNothing() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("kfree_probe", 64, 0, 0, null, null);
            long obj = c.alloc(SLAB_KERNEL);
            Page slabPage = m.physToPage(obj);
            Page plain = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            Page free = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            m.pageAlloc().freePage(free);
            m.pageAlloc().drainAllPages();
            String slabinfo = s.slabinfo();
            String buddyinfo = ProcFs.buddyinfo(m);
            long[] bad = {plain.physAddr(), plain.physAddr() + 64, free.physAddr(), 8, -64,
                m.memory().size(), m.memory().size() + 4096};
            for (long p : bad) {
                assertThatThrownBy(() -> s.kfree(p)).as("kfree(0x%x)", p).isInstanceOf(SlabBug.class)
                        .satisfies(e -> assertThat(((SlabBug) e).address()).isEqualTo(p));
            }
            // A slab page whose owner field holds something other than a cache (what a kfree
            // racing with a grow on that page can read): still the SlabBug.
            Object slab = slabPage.slab();
            slabPage.setSlab("not a cache", slab);
            try {
                assertThatThrownBy(() -> s.kfree(obj)).isInstanceOf(SlabBug.class)
                        .hasMessageContaining("not a slab page");
                assertThatThrownBy(() -> s.ksize(obj)).isInstanceOf(SlabBug.class);
            } finally {
                slabPage.setSlab(c, slab);
            }
            assertThat(s.slabinfo()).isEqualTo(slabinfo);
            assertThat(ProcFs.buddyinfo(m)).isEqualTo(buddyinfo);
            assertThat(plain.isAllocated()).isTrue();
            assertThat(plain.count()).isEqualTo(1);
            assertThat(c.isAllocated(obj)).isTrue();
            s.kfree(obj);
            m.pageAlloc().freePage(plain);
            Tiny.check(m, s);
        }
    }

    @Test
    void dmaTwins() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            long p = s.kmalloc(3000, Gfp.GFP_ATOMIC | Gfp.GFP_DMA);
            assertThat(p).isNotZero().isLessThan(m.config().dmaLimit());
            assertThat(((KmemCache<?>) m.physToPage(p).slabCache()).name()).isEqualTo("size-4096(DMA)");
            s.kfree(p);
            Tiny.check(m, s);
        }
    }

    /** Objects never overlap: each one keeps what was written into it. */
    @Test
    void contentsAreIndependent() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            List<long[]> objs = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                int size = 1 + (i * 37) % 3000;
                long p = s.kmalloc(size, SLAB_KERNEL);
                m.memory().fill(p, size, (byte) i);
                objs.add(new long[] {p, size, i});
            }
            for (long[] o : objs) {
                for (int off = 0; off < o[1]; off += 7) {
                    assertThat(m.memory().getByte(o[0] + off)).isEqualTo((byte) o[2]);
                }
                assertThat(s.ksize(o[0])).isGreaterThanOrEqualTo((int) o[1]);
            }
            Tiny.check(m, s);
            objs.forEach(o -> s.kfree(o[0]));
            Tiny.check(m, s);
        }
    }

    /** kfree works for objects of any cache, as in the kernel: the page says which. */
    @Test
    void kfreeFindsTheCacheFromThePage() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("any_cache", 40, 0, 0, null, null);
            long p = c.alloc(SLAB_KERNEL);
            assertThat(s.ksize(p)).isEqualTo(40);
            s.kfree(p);
            assertThat(c.allocatedObjects()).isZero();
            Tiny.check(m, s);
        }
    }
}
