// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static dev.kalloc.slab.SlabFlags.SLAB_POISON;
import static dev.kalloc.slab.SlabFlags.SLAB_RED_ZONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Misuse and the debugging aids: every error names the cache and the address, and leaves the
 * cache exactly as it was (checked by the invariants and by using the object afterwards).
 */
class SlabDebugTest {

    /** limit > 0: through the per-CPU array; limit 0: straight to the slab. */
    @ParameterizedTest
    @ValueSource(ints = {0, 16})
    void doubleFreeIsCaughtWithoutDebugFlags(int limit) {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("df", 64, 0, 0, null, null);
            c.tune(limit, limit / 2);
            long p = c.alloc(SLAB_KERNEL);
            long keep = c.alloc(SLAB_KERNEL);
            c.free(p);
            String before = s.slabinfo();
            assertThatThrownBy(() -> c.free(p)).isInstanceOf(SlabBug.class).isInstanceOf(KernelBug.class)
                    .hasMessageContaining("double free").hasMessageContaining("df")
                    .hasMessageContaining(Long.toHexString(p))
                    .satisfies(e -> assertThat(((SlabBug) e).address()).isEqualTo(p))
                    .satisfies(e -> assertThat(((SlabBug) e).cacheName()).isEqualTo("df"));
            assertThatThrownBy(() -> s.kfree(p)).isInstanceOf(SlabBug.class).hasMessageContaining("double free");
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThat(c.allocatedObjects()).isEqualTo(1);
            Tiny.check(m, s);
            c.free(keep);
            Tiny.check(m, s);
        }
    }

    @Test
    void freeOfAnAddressInsideAnObject() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("inside", 64, 0, 0, null, null);
            long p = c.alloc(SLAB_KERNEL);
            assertThatThrownBy(() -> c.free(p + 8)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("not the start of an object").hasMessageContaining("byte 8 of object 0x"
                    + Long.toHexString(p));
            assertThatThrownBy(() -> s.kfree(p + 1)).isInstanceOf(SlabBug.class);
            assertThat(c.allocatedObjects()).isEqualTo(1);
            Tiny.check(m, s);
            c.free(p);
        }
    }

    @Test
    void freeOfSomethingThatIsNoSlabObject() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("no_obj", 64, 0, 0, null, null);
            Page page = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThatThrownBy(() -> s.kfree(page.physAddr())).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("not a slab page");
            assertThatThrownBy(() -> c.free(page.physAddr() + 64)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("not a slab page");
            assertThatThrownBy(() -> s.kfree(m.memory().size() + 4096)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("outside RAM");
            assertThatThrownBy(() -> s.ksize(page.physAddr())).isInstanceOf(SlabBug.class);
            assertThatThrownBy(() -> c.free(0)).isInstanceOf(SlabBug.class).hasMessageContaining("NULL");
            m.pageAlloc().freePage(page);
            Tiny.check(m, s);
        }
    }

    @Test
    void freeIntoTheWrongCache() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> a = s.kmemCacheCreate("cache_a", 64, 0, 0, null, null);
            KmemCache<SlabObject> b = s.kmemCacheCreate("cache_b", 64, 0, 0, null, null);
            long p = a.alloc(SLAB_KERNEL);
            assertThatThrownBy(() -> b.free(p)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("belongs to cache cache_a").hasMessageContaining("wrong cache")
                    .satisfies(e -> assertThat(((SlabBug) e).cacheName()).isEqualTo("cache_b"));
            assertThat(a.allocatedObjects()).isEqualTo(1);
            Tiny.check(m, s);
            a.free(p);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 16})
    void redZoneOverwrites(int limit) {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("redzone", 100, 0, SLAB_RED_ZONE, null, null);
            c.tune(limit, limit / 2);
            long p = c.alloc(SLAB_KERNEL);
            m.memory().fill(p, 100, (byte) 1); // the whole object is fine
            // One byte past the end.
            m.memory().putByte(p + 100, (byte) 0);
            assertThatThrownBy(() -> c.free(p)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("red zone after the object").hasMessageContaining("redzone")
                    .hasMessageContaining(Long.toHexString(p));
            assertThat(c.allocatedObjects()).isEqualTo(1);
            Tiny.check(m, s);
            m.memory().putInt(p + 100, SlabAllocator.RED_MAGIC2); // repair: the free goes through
            // One byte before the start.
            m.memory().putByte(p - 1, (byte) 0);
            assertThatThrownBy(() -> c.free(p)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("red zone before the object");
            m.memory().putInt(p - 4, SlabAllocator.RED_MAGIC2);
            c.free(p);
            assertThat(m.memory().getInt(p - 4)).isEqualTo(SlabAllocator.RED_MAGIC1);
            Tiny.check(m, s);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 16})
    void useAfterFreeIsCaughtByThePoisonCheck(int limit) {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("poisoned", 64, 0, SLAB_POISON | SLAB_RED_ZONE, null, null);
            c.tune(limit, limit / 2);
            long p = c.alloc(SLAB_KERNEL);
            c.free(p);
            assertThat(m.memory().getByte(p)).isEqualTo(SlabAllocator.POISON_BYTE);
            assertThat(m.memory().getByte(p + 63)).isEqualTo(SlabAllocator.POISON_END);
            m.memory().putByte(p + 10, (byte) 0); // the use after free
            String before = s.slabinfo();
            assertThatThrownBy(() -> c.alloc(SLAB_KERNEL)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("use after free").hasMessageContaining("byte 10")
                    .hasMessageContaining(Long.toHexString(p)).hasMessageContaining("poisoned");
            assertThat(s.slabinfo()).isEqualTo(before);
            Tiny.check(m, s);
            m.memory().putByte(p + 10, SlabAllocator.POISON_BYTE); // repaired: it is handed out again
            assertThat(c.alloc(SLAB_KERNEL)).isEqualTo(p);
            c.free(p);
            Tiny.check(m, s);
        }
    }

    @Test
    void aCorruptedFreeObjectStopsShrinkAndDestroy() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("corrupt", 64, 0, SLAB_POISON, null, null);
            long p = c.alloc(SLAB_KERNEL);
            c.free(p);
            m.memory().putByte(p + 63, (byte) 0); // the end marker
            assertThatThrownBy(c::destroy).isInstanceOf(SlabBug.class).hasMessageContaining("use after free");
            assertThat(s.kmemFindCache("corrupt")).isSameAs(c);
            Tiny.check(m, s);
            assertThatThrownBy(c::shrink).isInstanceOf(SlabBug.class);
            assertThat(c.numSlabs()).isEqualTo(1);
            Tiny.check(m, s);
            m.memory().putByte(p + 63, SlabAllocator.POISON_END);
            c.destroy();
            Tiny.check(m, s);
        }
    }

    @Test
    void debugInitialVerifiesTheConstructedStateOnFree() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            AtomicBoolean verified = new AtomicBoolean();
            SlabCtor ctor = (objp, cachep, flags) -> {
                if ((flags & SlabFlags.SLAB_CTOR_VERIFY) != 0) {
                    verified.set(true);
                    if (m.memory().getInt(objp) != 7) {
                        throw new IllegalStateException("object freed in the wrong state");
                    }
                } else {
                    m.memory().putInt(objp, 7);
                }
            };
            KmemCache<SlabObject> c = s.kmemCacheCreate("verify", 32, 0, SlabFlags.SLAB_DEBUG_INITIAL, ctor, null);
            long p = c.alloc(SLAB_KERNEL);
            m.memory().putInt(p, 8);
            assertThatThrownBy(() -> c.free(p)).hasMessageContaining("wrong state");
            assertThat(c.allocatedObjects()).isEqualTo(1);
            m.memory().putInt(p, 7);
            c.free(p);
            assertThat(verified).isTrue();
            Tiny.check(m, s);
        }
    }

    @Test
    void aConstructorOverrunningItsObjectIsCaughtAtGrowth() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("overrun", 32, 0, SLAB_RED_ZONE,
                    (objp, cachep, flags) -> m.memory().putInt(objp + 32, 0), null);
            assertThatThrownBy(() -> c.alloc(SLAB_KERNEL)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("red zone after");
            assertThat(c.numSlabs()).isZero();
            Tiny.check(m, s);
        }
    }
}
