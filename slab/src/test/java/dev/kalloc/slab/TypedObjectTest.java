// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_HWCACHE_ALIGN;
import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Machine;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Typed object caching: one Java object per slot, built once, bound to the slot's bytes. */
class TypedObjectTest {

    /** A dentry-like typed object: a count and a name hash kept in the object's real bytes. */
    static final class Dentry extends SlabObject {
        static final AtomicInteger BUILT = new AtomicInteger();
        /** Java-side state that stays "constructed" across free and reallocation. */
        final List<String> aliases = new ArrayList<>();

        Dentry(Slot slot) {
            super(slot);
            BUILT.incrementAndGet();
        }

        int count() {
            return getInt(0);
        }

        void setCount(int c) {
            putInt(0, c);
        }

        long hash() {
            return getLong(8);
        }

        void setHash(long h) {
            putLong(8, h);
        }
    }

    @Test
    void oneObjectPerSlotReused() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<Dentry> c = s.kmemCacheCreate("dentry_cache", 112, 0, SLAB_HWCACHE_ALIGN, null, null,
                    Dentry::new);
            assertThat(c.isTyped()).isTrue();
            int built = Dentry.BUILT.get();
            Dentry d = c.allocObject(SLAB_KERNEL);
            assertThat(Dentry.BUILT.get() - built).isEqualTo(c.num()); // the whole slab, once
            d.setCount(3);
            d.setHash(0x1234_5678_9abcL);
            assertThat(m.memory().getInt(d.address())).isEqualTo(3);
            assertThat(m.memory().getLong(d.address() + 8)).isEqualTo(0x1234_5678_9abcL);
            assertThat(c.object(d.address())).isSameAs(d);
            assertThat(d.cache()).isSameAs(c);
            assertThat(d.size()).isEqualTo(128);
            c.freeObject(d);
            assertThat(c.allocObject(SLAB_KERNEL)).isSameAs(d); // LIFO: the same slot, the same object
            IdentityHashMap<Dentry, Boolean> seen = new IdentityHashMap<>();
            seen.put(d, true);
            List<Dentry> all = new ArrayList<>();
            all.add(d);
            for (int i = 0; i < 3 * c.num(); i++) {
                Dentry e = c.allocObject(SLAB_KERNEL);
                assertThat(seen.put(e, true)).isNull();
                all.add(e);
            }
            assertThat(Dentry.BUILT.get() - built).isEqualTo(4 * c.num());
            for (Dentry e : all) {
                c.freeObject(e);
            }
            for (int i = 0; i < all.size(); i++) {
                assertThat(seen).containsKey(c.allocObject(SLAB_KERNEL)); // no new objects
            }
            assertThat(Dentry.BUILT.get() - built).isEqualTo(4 * c.num());
            Tiny.check(m, s);
        }
    }

    @Test
    void accessorsAreBoundedToTheObject() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<Dentry> c = s.kmemCacheCreate("bounded", 20, 0, 0, null, null, Dentry::new);
            Dentry d = c.allocObject(SLAB_KERNEL);
            assertThat(d.size()).isEqualTo(20);
            d.putInt(16, 1);
            assertThatThrownBy(() -> d.putInt(17, 1)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("bounded");
            assertThatThrownBy(() -> d.getByte(-1)).isInstanceOf(IndexOutOfBoundsException.class);
            c.freeObject(d);
        }
    }

    @Test
    void misuse() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<Dentry> a = s.kmemCacheCreate("typed_a", 32, 0, 0, null, null, Dentry::new);
            KmemCache<Dentry> b = s.kmemCacheCreate("typed_b", 32, 0, 0, null, null, Dentry::new);
            Dentry d = a.allocObject(SLAB_KERNEL);
            assertThatThrownBy(() -> b.freeObject(d)).isInstanceOf(SlabBug.class).hasMessageContaining("wrong cache");
            a.freeObject(d);
            assertThatThrownBy(() -> a.freeObject(d)).isInstanceOf(SlabBug.class).hasMessageContaining("double free");
            assertThatThrownBy(() -> a.object(d.address())).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("not allocated");
            String beforeNull = s.slabinfo();
            assertThatThrownBy(() -> a.freeObject(null)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("kmem_cache_free(typed_a, NULL)");
            assertThat(s.slabinfo()).isEqualTo(beforeNull);
            KmemCache<SlabObject> plain = s.kmemCacheCreate("plain", 32, 0, 0, null, null);
            assertThatThrownBy(() -> plain.allocObject(SLAB_KERNEL)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> new Dentry(null)).isInstanceOf(IllegalArgumentException.class);
            a.freeObject(a.allocObject(SLAB_KERNEL));
            // A stale object: its slab was destroyed and the slot now has another object. 32-byte
            // objects leave no colour room (113 per page, no left-over), and the freed page is the
            // first the page allocator hands out again, so the new slab has the same addresses.
            KmemCache<Dentry> st = s.kmemCacheCreate("stale", 32, 0, 0, null, null, Dentry::new);
            assertThat(st.colour()).isZero();
            st.tune(0, 0);
            Dentry e = st.allocObject(SLAB_KERNEL);
            st.freeObject(e);
            st.shrink();
            Dentry f = st.allocObject(SLAB_KERNEL);
            assertThat(f.address()).isEqualTo(e.address());
            assertThat(f).isNotSameAs(e);
            assertThatThrownBy(() -> st.freeObject(e)).isInstanceOf(SlabBug.class).hasMessageContaining("stale");
            st.freeObject(f);
            Tiny.check(m, s);
        }
    }

    @Test
    void aFactoryMustBindTheSlotItWasGiven() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<Dentry> other = s.kmemCacheCreate("other", 32, 0, 0, null, null, Dentry::new);
            Dentry foreign = other.allocObject(SLAB_KERNEL);
            KmemCache<Dentry> c = s.kmemCacheCreate("liar", 32, 0, 0, null, null, slot -> foreign);
            assertThatThrownBy(() -> c.allocObject(SLAB_KERNEL)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("factory");
            assertThat(c.numSlabs()).isZero();
            assertThatThrownBy(() -> s.kmemCacheCreate("nofactory", 32, 0, 0, null, null, null))
                    .isInstanceOf(IllegalArgumentException.class);
            other.freeObject(foreign);
            Tiny.check(m, s);
        }
    }

    /** After warm-up the hot paths allocate nothing on the Java heap. */
    @Test
    void noGarbageAfterWarmUp() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<Dentry> typed = s.kmemCacheCreate("hot_typed", 112, 0, SLAB_HWCACHE_ALIGN, null, null,
                    Dentry::new);
            KmemCache<SlabObject> plain = s.kmemCacheCreate("hot_plain", 64, 0, 0, null, null);
            Dentry[] ds = new Dentry[300];
            long[] ps = new long[300];
            for (int warm = 0; warm < 3; warm++) {
                cycle(typed, plain, s, ds, ps, 20_000);
            }
            long tid = Thread.currentThread().getId();
            long before = bean.getThreadAllocatedBytes(tid);
            cycle(typed, plain, s, ds, ps, 100_000);
            long allocated = bean.getThreadAllocatedBytes(tid) - before;
            assertThat(allocated).as("bytes allocated by 100k rounds of typed, plain and kmalloc alloc/free")
                    .isLessThan(16 * 1024);
            Tiny.check(m, s);
        }
    }

    private static void cycle(KmemCache<Dentry> typed, KmemCache<SlabObject> plain, SlabAllocator s, Dentry[] ds,
            long[] ps, int rounds) {
        for (int r = 0; r < rounds; r++) {
            int i = (int) ((r * 2654435761L) % ds.length);
            if (ds[i] != null) {
                typed.freeObject(ds[i]);
                plain.free(ps[i]);
            }
            ds[i] = typed.allocObject(SLAB_KERNEL);
            ds[i].setCount(r);
            ps[i] = plain.alloc(SLAB_KERNEL);
            long k = s.kmalloc(200, SLAB_KERNEL);
            s.kfree(k);
        }
        for (int i = 0; i < ds.length; i++) {
            if (ds[i] != null) {
                typed.freeObject(ds[i]);
                plain.free(ps[i]);
                ds[i] = null;
            }
        }
    }
}
