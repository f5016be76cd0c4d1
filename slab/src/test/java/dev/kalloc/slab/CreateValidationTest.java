// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import org.junit.jupiter.api.Test;

/** kmem_cache_create's sanity checks: every bad input is refused with a clear error, nothing created. */
class CreateValidationTest {
    private static final SlabCtor NOP = (objp, cachep, flags) -> { };

    @Test
    void badInputChangesNothing() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            String before = s.slabinfo();
            refused(() -> s.kmemCacheCreate(null, 32, 0, 0, null, null), "the name is null");
            refused(() -> s.kmemCacheCreate("", 32, 0, 0, null, null), "the name is empty");
            refused(() -> s.kmemCacheCreate("nineteen_chars_xxxx", 32, 0, 0, null, null),
                    "the name is 19 characters long; it must have 1 to 18 characters");
            refused(() -> s.kmemCacheCreate("nineteen chars xxxx", 32, 0, 0, null, null), "1 to 18 characters");
            // Spaces inside a name are fine (2.4's "file lock cache"), but not where the padding is.
            refused(() -> s.kmemCacheCreate(" leading", 32, 0, 0, null, null), "start or end with a space");
            refused(() -> s.kmemCacheCreate("trailing ", 32, 0, 0, null, null), "start or end with a space");
            refused(() -> s.kmemCacheCreate(" ", 32, 0, 0, null, null), "start or end with a space");
            refused(() -> s.kmemCacheCreate("tab\tname", 32, 0, 0, null, null), "U+0009 at 3");
            refused(() -> s.kmemCacheCreate("two\nlines", 32, 0, 0, null, null), "U+000A at 3");
            refused(() -> s.kmemCacheCreate("no\u00a0break", 32, 0, 0, null, null), "white space other than a space");
            refused(() -> s.kmemCacheCreate("bell\u0007", 32, 0, 0, null, null), "control characters");
            refused(() -> s.kmemCacheCreate("tiny", 3, 0, 0, null, null), "size");
            refused(() -> s.kmemCacheCreate("huge", 131073, 0, 0, null, null), "size");
            refused(() -> s.kmemCacheCreate("dtor_only", 32, 0, 0, null, NOP), "destructor needs a constructor");
            refused(() -> s.kmemCacheCreate("neg_off", 32, -1, 0, null, null), "offset");
            refused(() -> s.kmemCacheCreate("big_off", 32, 33, 0, null, null), "offset");
            refused(() -> s.kmemCacheCreate("bad_flags", 32, 0, 0x10000, null, null), "CREATE_MASK");
            refused(() -> s.kmemCacheCreate("poison_ctor", 32, 0, SlabFlags.SLAB_POISON, NOP, null), "SLAB_POISON");
            refused(() -> s.kmemCacheCreate("init_no_ctor", 32, 0, SlabFlags.SLAB_DEBUG_INITIAL, null, null),
                    "SLAB_DEBUG_INITIAL");
            refused(() -> s.kmemCacheCreate("rz_must", 32, 0, SlabFlags.SLAB_RED_ZONE
                    | SlabFlags.SLAB_MUST_HWCACHE_ALIGN, null, null), "SLAB_MUST_HWCACHE_ALIGN");
            refused(() -> s.kmemCacheCreate("rz_huge", 131072, 0, SlabFlags.SLAB_RED_ZONE, null, null),
                    "couldn't create cache");
            refused(() -> s.kmemCacheCreate("size-64", 64, 0, 0, null, null), "exists");
            assertThat(s.slabinfo()).isEqualTo(before);
            Tiny.check(m, s);
        }
    }

    @Test
    void duplicateNamesAreRefused() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> first = s.kmemCacheCreate("dup", 32, 0, 0, null, null);
            String before = s.slabinfo();
            refused(() -> s.kmemCacheCreate("dup", 48, 0, 0, null, null), "exists");
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThat(s.kmemFindCache("dup")).isSameAs(first);
            Tiny.check(m, s);
        }
    }

    @Test
    void limitsAreInclusive() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThat(s.kmemCacheCreate("eighteen_chars_xxx", 4, 4, 0, null, null)).isNotNull();
            assertThat(s.kmemCacheCreate("a b", 4, 0, 0, null, null)).isNotNull();
            assertThat(s.kmemCacheCreate("x", 4, 0, 0, null, null)).isNotNull();
            KmemCache<SlabObject> big = s.kmemCacheCreate("largest", 131072, 0, 0, null, null);
            assertThat(big.gfporder()).isEqualTo(5);
            big.free(big.alloc(SlabFlags.SLAB_KERNEL));
            Tiny.check(m, s);
        }
    }

    /** The chain lists caches newest first, after kmem_cache, as 2.4's list_add does. */
    @Test
    void chainOrder() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            s.kmemCacheCreate("older", 32, 0, 0, null, null);
            s.kmemCacheCreate("newer", 32, 0, 0, null, null);
            assertThat(s.caches()).extracting(KmemCache::name).startsWith("kmem_cache", "newer", "older",
                    "size-131072(DMA)").endsWith("size-32(DMA)", "size-32");
            assertThat(s.caches()).hasSize(1 + 26 + 2);
        }
    }

    @Test
    void slabNeedsOrderFiveBlocks() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(8 * MachineConfig.MiB).maxOrder(5).kswapd(false)
                .build())) {
            assertThatThrownBy(() -> SlabAllocator.boot(m)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("MAX_ORDER");
        }
        assertThatThrownBy(() -> SlabConfig.builder().l1CacheBytes(48).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void refused(Runnable r, String message) {
        assertThatThrownBy(r::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
