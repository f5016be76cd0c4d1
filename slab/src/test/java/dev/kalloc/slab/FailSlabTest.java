// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_ATOMIC;
import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Machine;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** failslab: seeded fault injection for slab allocations. */
class FailSlabTest {

    @Test
    void timesLimitsTheFailures() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("fs_times", 64, 0, 0, null, null);
            s.failslab().attr().configure(100, 1, 3, 0, 1);
            assertThat(c.alloc(SLAB_ATOMIC)).isZero();
            assertThat(s.kmalloc(10, SLAB_ATOMIC)).isZero();
            assertThat(c.alloc(SLAB_ATOMIC)).isZero();
            long p = c.alloc(SLAB_ATOMIC);
            assertThat(p).isNotZero();
            assertThat(s.failslab().attr().failures()).isEqualTo(3);
            c.free(p);
            Tiny.check(m, s);
        }
    }

    @Test
    void sleepingAllocationsAreSparedByDefault() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("fs_wait", 64, 0, 0, null, null);
            s.failslab().attr().configure(100, 1, -1, 0, 1);
            long p = c.alloc(SLAB_KERNEL);
            assertThat(p).isNotZero();
            assertThat(c.alloc(SLAB_ATOMIC)).isZero();
            s.failslab().ignoreGfpWait(false);
            assertThat(c.alloc(SLAB_KERNEL)).isZero();
            s.failslab().attr().disable();
            c.free(p);
            Tiny.check(m, s);
        }
    }

    @Test
    void intervalFailsEveryNth() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("fs_interval", 64, 0, 0, null, null);
            s.failslab().attr().configure(100, 3, -1, 0, 1);
            StringBuilder pattern = new StringBuilder();
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                long p = c.alloc(SLAB_ATOMIC);
                pattern.append(p == 0 ? 'x' : '.');
                if (p != 0) {
                    held.add(p);
                }
            }
            assertThat(pattern.toString()).isEqualTo("..x..x..x");
            s.failslab().attr().disable();
            held.forEach(c::free);
            Tiny.check(m, s);
        }
    }

    @Test
    void theSameSeedFailsTheSameCalls() {
        assertThat(pattern(42)).isEqualTo(pattern(42));
        assertThat(pattern(42)).isNotEqualTo(pattern(43));
        assertThat(pattern(42)).contains("x").contains(".");
    }

    private static String pattern(long seed) {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("fs_seeded", 64, 0, 0, null, null);
            s.failslab().attr().configure(30, 1, -1, 0, seed);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                long p = c.alloc(SLAB_ATOMIC);
                sb.append(p == 0 ? 'x' : '.');
                if (p != 0) {
                    c.free(p);
                }
            }
            s.failslab().attr().disable();
            Tiny.check(m, s);
            return sb.toString();
        }
    }

    @Test
    void cacheFilterLimitsInjectionToMarkedCaches() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> marked = s.kmemCacheCreate("fs_marked", 64, 0, 0, null, null);
            KmemCache<SlabObject> other = s.kmemCacheCreate("fs_other", 64, 0, 0, null, null);
            marked.setFailslab(true);
            s.failslab().cacheFilter(true).attr().configure(100, 1, -1, 0, 7);
            assertThat(marked.alloc(SLAB_ATOMIC)).isZero();
            long p = other.alloc(SLAB_ATOMIC);
            assertThat(p).isNotZero();
            other.free(p);
            s.failslab().attr().disable();
        }
    }

    /** The cache of cache descriptors never fails: creating caches still works under injection. */
    @Test
    void theCacheOfCachesIsExempt() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            s.failslab().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 7);
            KmemCache<SlabObject> c = s.kmemCacheCreate("fs_created", 64, 0, 0, null, null);
            assertThat(c).isNotNull();
            // Its array caches could not be kmalloc'd: it works without them, as 2.4 would.
            assertThat(c.limit()).isZero();
            s.failslab().attr().disable();
            c.free(c.alloc(SLAB_KERNEL));
            Tiny.check(m, s);
        }
    }
}
