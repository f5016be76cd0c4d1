// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.CFLGS_OFF_SLAB;
import static dev.kalloc.slab.SlabFlags.SLAB_HWCACHE_ALIGN;
import static dev.kalloc.slab.SlabFlags.SLAB_RED_ZONE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Machine;
import org.junit.jupiter.api.Test;

/**
 * Objects per slab and pages per slab, against numbers derived by hand from the 2.4.15
 * algorithm (kmem_cache_estimate and kmem_cache_create) for i386: PAGE_SIZE 4096,
 * sizeof(slab_t) 24, sizeof(kmem_bufctl_t) 4, and L1_CACHE_BYTES 32 unless stated.
 *
 * <p>On-slab: num is the largest i with i*size + L1_ALIGN(24 + 4*i) <= 4096 << order.
 */
class SlabGeometryTest {
    private static final int L1 = 32;

    /** The general caches of a 16 MiB machine (slab_break_gfp_order 1), derived one by one. */
    @Test
    void kmallocClassesMatchA24Kernel() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            // size-32: 113*32 = 3616, L1_ALIGN(24 + 452) = 480, 3616 + 480 = 4096; 114 would need 4128.
            expect(s, 32, 32, 113, 0, false, 0);
            // size-64: 59*64 = 3776 + L1_ALIGN(260) = 288 -> 4064, left 32 -> 1 colour; 60 needs 4128.
            expect(s, 64, 64, 59, 0, false, 1);
            // size-128: 30*128 = 3840 + L1_ALIGN(144) = 160 -> 4000, left 96 -> 3 colours.
            expect(s, 128, 128, 30, 0, false, 3);
            // size-256: 15*256 = 3840 + L1_ALIGN(84) = 96 -> 3936, left 160 -> 5 colours.
            expect(s, 256, 256, 15, 0, false, 5);
            // size-512 and up are off-slab (size >= PAGE_SIZE/8): 4096/512 = 8, left 0, the
            // management (L1_ALIGN(8*4 + 24) = 64) does not fit the left-over, so it stays off.
            expect(s, 512, 512, 8, 0, true, 0);
            expect(s, 1024, 1024, 4, 0, true, 0);
            expect(s, 2048, 2048, 2, 0, true, 0);
            expect(s, 4096, 4096, 1, 0, true, 0);
            // Order 0 holds no 8192-byte object; order 1 holds one with no waste, and so on.
            expect(s, 8192, 8192, 1, 1, true, 0);
            expect(s, 16384, 16384, 1, 2, true, 0);
            expect(s, 32768, 32768, 1, 3, true, 0);
            expect(s, 65536, 65536, 1, 4, true, 0);
            expect(s, 131072, 131072, 1, 5, true, 0);
            // Off-slab descriptors: size-512's L1_ALIGN(56) = 64 bytes from size-64, size-2048's
            // L1_ALIGN(32) = 32 bytes from size-32.
            assertThat(s.generalCache(512, false).slabpCache().name()).isEqualTo("size-64");
            assertThat(s.generalCache(1024, false).slabpCache().name()).isEqualTo("size-64");
            assertThat(s.generalCache(2048, false).slabpCache().name()).isEqualTo("size-32");
            assertThat(s.generalCache(131072, true).slabpCache().name()).isEqualTo("size-32");
            // offslab_limit = (256 - 24) / 2 after size-256, the last on-slab general cache.
            assertThat(s.offslabLimit()).isEqualTo(116);
            assertThat(s.slabBreakGfpOrder()).isEqualTo(1);
            // kmem_cache: sizeof(kmem_cache_t) = 244, not aligned: 16*244 = 3904 + L1_ALIGN(88) = 96
            // -> 4000, left 96 -> 3 colours.
            KmemCache<?> cc = s.cacheCache();
            assertThat(cc.objsize()).isEqualTo(244);
            assertThat(cc.num()).isEqualTo(16);
            assertThat(cc.colour()).isEqualTo(3);
            Tiny.check(m, s);
        }
    }

    private static void expect(SlabAllocator s, int size, int objsize, int num, int order, boolean offSlab,
            int colour) {
        for (boolean dma : new boolean[] {false, true}) {
            KmemCache<?> c = s.generalCache(size, dma);
            assertThat(c.name()).isEqualTo("size-" + size + (dma ? "(DMA)" : ""));
            assertThat(c.objsize()).as(c.name() + " objsize").isEqualTo(objsize);
            assertThat(c.num()).as(c.name() + " objperslab").isEqualTo(num);
            assertThat(c.gfporder()).as(c.name() + " order").isEqualTo(order);
            assertThat(c.offSlab()).as(c.name() + " off-slab").isEqualTo(offSlab);
            assertThat(c.colour()).as(c.name() + " colours").isEqualTo(colour);
            assertThat(c.colourOff()).isEqualTo(L1);
        }
    }

    /** A few caches of a 2.4 kernel, by their i386 object sizes. */
    @Test
    void namedCaches() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            // dentry_cache: sizeof(struct dentry) 112, HWCACHE_ALIGN -> 128 bytes, 30 per page.
            KmemCache<?> dentry = s.kmemCacheCreate("dentry_cache", 112, 0, SLAB_HWCACHE_ALIGN, null, null);
            assertGeometry(dentry, 128, 30, 0, false, 3);
            // inode_cache: 480 bytes, HWCACHE_ALIGN keeps 480 (a multiple of 32): 8*480 = 3840 +
            // L1_ALIGN(56) = 64 -> 3904; 9 would need 4320. Left 192 -> 6 colours.
            KmemCache<?> inode = s.kmemCacheCreate("inode_cache", 480, 0, SLAB_HWCACHE_ALIGN, null, null);
            assertGeometry(inode, 480, 8, 0, false, 6);
            // buffer_head: 96 bytes aligned: 40*96 = 3840 + L1_ALIGN(184) = 192 -> 4032; left 64.
            KmemCache<?> bh = s.kmemCacheCreate("buffer_head", 96, 0, SLAB_HWCACHE_ALIGN, null, null);
            assertGeometry(bh, 96, 40, 0, false, 2);
            // names_cache: PATH_MAX = 4096, one per page, management off-slab in size-32.
            KmemCache<?> names = s.kmemCacheCreate("names_cache", 4096, 0, SLAB_HWCACHE_ALIGN, null, null);
            assertGeometry(names, 4096, 1, 0, true, 0);
            // fasync_cache: 16 bytes, no alignment flag: 202*16 = 3232 + L1_ALIGN(832) = 832 -> 4064;
            // 203 would need 3248 + L1_ALIGN(836) = 864 -> 4112. Left 32 -> 1 colour.
            KmemCache<?> fasync = s.kmemCacheCreate("fasync_cache", 16, 0, 0, null, null);
            assertGeometry(fasync, 16, 202, 0, false, 1);
            // 13 bytes round up to the word: the same as 16.
            assertGeometry(s.kmemCacheCreate("odd13", 13, 0, 0, null, null), 16, 202, 0, false, 1);
            Tiny.check(m, s);
        }
    }

    /** An off-slab cache whose left-over can hold the management moves it back on-slab. */
    @Test
    void offSlabManagementMovesOnSlabWhenItFits() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            // 600 bytes (>= 512: off-slab): 6 per page, left 496; 496*8 = 3968 <= 4096 so order 0.
            // L1_ALIGN(6*4 + 24) = 64 <= 496: on-slab after all, left 432 -> 13 colours of 32.
            KmemCache<?> c = s.kmemCacheCreate("six_hundred", 600, 0, 0, null, null);
            assertGeometry(c, 600, 6, 0, false, 13);
            assertThat(c.leftOver()).isEqualTo(432);
            assertThat(c.slabpCache()).isNull();
        }
    }

    /** slab_break_gfp_order: 1 up to 32 MiB, 2 above, and what it changes. */
    @Test
    void breakOrderDependsOnMemory() {
        // 2100 bytes, off-slab. Order 0: 1 object, left 1996 (> 1/8). Order 1: 3 objects (6300),
        // left 1892. With break order 1 it stops there; the management (L1_ALIGN(36) = 64) moves
        // on-slab: left 1828, 57 colours.
        try (Machine m = Tiny.machine(32, 2)) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThat(s.slabBreakGfpOrder()).isEqualTo(1);
            KmemCache<?> c = s.kmemCacheCreate("big2100", 2100, 0, 0, null, null);
            assertGeometry(c, 2100, 3, 1, false, 57);
        }
        // Over 32 MiB, break order 2: at order 1, 1892*8 > 8192, so order 2: 7 objects (14700),
        // left 1684 <= 16384/8; management L1_ALIGN(52) = 64 on-slab: left 1620, 50 colours.
        try (Machine m = Tiny.machine(33, 2)) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThat(s.slabBreakGfpOrder()).isEqualTo(2);
            KmemCache<?> c = s.kmemCacheCreate("big2100", 2100, 0, 0, null, null);
            assertGeometry(c, 2100, 7, 2, false, 50);
        }
    }

    /** Red zoning drops HWCACHE_ALIGN and adds a word each side. */
    @Test
    void redZoneSizes() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            // 100 + 8 = 108 bytes, word aligned: 36*108 = 3888 + L1_ALIGN(168) = 192 -> 4080.
            KmemCache<?> c = s.kmemCacheCreate("rz", 100, 0, SLAB_RED_ZONE | SLAB_HWCACHE_ALIGN, null, null);
            assertGeometry(c, 108, 36, 0, false, 0);
            assertThat(c.ksize()).isEqualTo(100);
            assertThat(c.flags() & SLAB_HWCACHE_ALIGN).isZero();
        }
    }

    /** L1_CACHE_BYTES = 64 (a Pentium 4): small objects no longer share lines so tightly. */
    @Test
    void l1Of64() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m, SlabConfig.builder().l1CacheBytes(64).build());
            // size-32: 32 < 64/2 is false, so align stays 64 and the object is 64 bytes:
            // 59*64 = 3776 + L1_ALIGN64(260) = 320 -> 4096 exactly.
            KmemCache<?> c32 = s.generalCache(32, false);
            assertGeometry(c32, 64, 59, 0, false, 0);
            // size-128: 30*128 = 3840 + L1_ALIGN64(144) = 192 -> 4032, left 64 -> one 64-byte colour.
            KmemCache<?> c128 = s.generalCache(128, false);
            assertGeometry(c128, 128, 30, 0, false, 1);
            assertThat(c128.colourOff()).isEqualTo(64);
            Tiny.check(m, s);
        }
    }

    /** FORCED_DEBUG red-zones small objects and poisons those without a constructor. */
    @Test
    void forcedDebug() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m, SlabConfig.builder().forcedDebug(true).build());
            // size-32 becomes 40 bytes, word aligned: 84*40 = 3360 + L1_ALIGN(360) = 384 -> 3744;
            // 85 -> 3400 + 384 = 3784; ... the largest is 89: 3560 + L1_ALIGN(380) = 384 -> 3944,
            // 90: 3600 + L1_ALIGN(384) = 384 -> 3984, 91: 3640 + L1_ALIGN(388) = 416 -> 4056,
            // 92: 3680 + L1_ALIGN(392) = 416 -> 4096, 93: 3720 + 416 = 4136. So 92.
            KmemCache<?> c32 = s.generalCache(32, false);
            assertGeometry(c32, 40, 92, 0, false, 0);
            assertThat(c32.flags() & (SLAB_RED_ZONE | SlabFlags.SLAB_POISON))
                    .isEqualTo(SLAB_RED_ZONE | SlabFlags.SLAB_POISON);
            // size-512 is not red-zoned (not under PAGE_SIZE/8) but poisoned.
            KmemCache<?> c512 = s.generalCache(512, false);
            assertGeometry(c512, 512, 8, 0, true, 0);
            assertThat(c512.flags() & SLAB_RED_ZONE).isZero();
            long p = s.kmalloc(20, SlabFlags.SLAB_KERNEL);
            s.kfree(p);
            Tiny.check(m, s);
        }
    }

    @Test
    void estimateDirectly() {
        // On-slab, order 0, 32 bytes: 113 objects and no left-over (see kmallocClassesMatchA24Kernel).
        assertThat(SlabGeometry.estimate(0, 32, 0, L1)).containsExactly(113, 0);
        // Off-slab: no management in the slab at all.
        assertThat(SlabGeometry.estimate(0, 600, CFLGS_OFF_SLAB, L1)).containsExactly(6, 496);
        assertThat(SlabGeometry.estimate(1, 4096 + 4, CFLGS_OFF_SLAB, L1)).containsExactly(1, 4092);
        assertThat(SlabGeometry.estimate(0, 8192, CFLGS_OFF_SLAB, L1)).containsExactly(0, 4096);
        // Objects too large even with red zones for an order-5 slab: no cache.
        assertThat(SlabGeometry.compute(131072, 0, SLAB_RED_ZONE, L1, 1, 116)).isNull();
    }

    @Test
    void colourOffsetRoundsToAlignment() {
        // offset 40 with word alignment stays 40; with 32-byte alignment it becomes 64.
        SlabGeometry plain = SlabGeometry.compute(600, 40, 0, L1, 1, 116);
        assertThat(plain.colourOff).isEqualTo(40);
        assertThat(plain.colour).isEqualTo(432 / 40);
        SlabGeometry aligned = SlabGeometry.compute(128, 40, SLAB_HWCACHE_ALIGN, L1, 1, 116);
        assertThat(aligned.colourOff).isEqualTo(64);
        assertThat(aligned.colour).isEqualTo(96 / 64);
    }

    private static void assertGeometry(KmemCache<?> c, int objsize, int num, int order, boolean offSlab, int colour) {
        assertThat(c.objsize()).as(c.name() + " objsize").isEqualTo(objsize);
        assertThat(c.num()).as(c.name() + " objperslab").isEqualTo(num);
        assertThat(c.gfporder()).as(c.name() + " order").isEqualTo(order);
        assertThat(c.offSlab()).as(c.name() + " off-slab").isEqualTo(offSlab);
        assertThat(c.colour()).as(c.name() + " colours").isEqualTo(colour);
    }
}
