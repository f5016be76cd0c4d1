// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random sequences of every slab operation, on a tiny machine under occasional memory
 * pressure and fault injection. After every step: each cache's invariants (every object free or
 * allocated exactly once, list membership, array caches), page conservation between the slab and
 * buddy allocators, the model's objects all allocated and unique, and their contents intact.
 */
class SlabRandomizedTest {
    private static final int STEPS = 1000;

    /** One live object of the model: its cache and the tag written into its first word. */
    private record Live(KmemCache<?> cache, int tag, boolean typed) {
    }

    static final class Obj extends SlabObject {
        Obj(Slot slot) {
            super(slot);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void randomOperationsKeepEveryInvariant(long seed) {
        Random rnd = new Random(seed);
        try (Machine m = Tiny.machine(8, 3)) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> plain = s.kmemCacheCreate("r_plain", 72, 0, 0, null, null);
            KmemCache<Obj> typed = s.kmemCacheCreate("r_typed", 200, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null,
                    Obj::new);
            KmemCache<SlabObject> debug = s.kmemCacheCreate("r_debug", 40, 0,
                    SlabFlags.SLAB_RED_ZONE | SlabFlags.SLAB_POISON, null, null);
            KmemCache<SlabObject> ctor = s.kmemCacheCreate("r_ctor", 1500, 0, 0,
                    (p, c, f) -> m.memory().putInt(p + 4, 0x5EED), (p, c, f) -> { });
            List<KmemCache<?>> caches = new ArrayList<>(List.of(plain, typed, debug, ctor));
            Map<Long, Live> live = new LinkedHashMap<>();
            List<Long> liveList = new ArrayList<>();
            List<Page> hog = new ArrayList<>();
            KmemCache<SlabObject> temp = null;
            int tag = 0;
            for (int step = 0; step < STEPS; step++) {
                int op = rnd.nextInt(100);
                String what;
                if (op < 28) {
                    int size = rnd.nextInt(10) < 7 ? rnd.nextInt(513) : rnd.nextInt(10) < 9 ? rnd.nextInt(4097)
                            : rnd.nextInt(131073);
                    int gfp = rnd.nextBoolean() ? Gfp.GFP_KERNEL : Gfp.GFP_ATOMIC;
                    if (rnd.nextInt(20) == 0) {
                        gfp |= Gfp.GFP_DMA;
                    }
                    long p = s.kmalloc(size, gfp);
                    what = "kmalloc " + size;
                    if (p != 0) {
                        add(m, live, liveList, p, new Live((KmemCache<?>) m.physToPage(p).slabCache(), ++tag, false));
                        assertThat(s.ksize(p)).isGreaterThanOrEqualTo(size);
                    }
                } else if (op < 53) {
                    what = "free";
                    if (!liveList.isEmpty()) {
                        long p = liveList.get(rnd.nextInt(liveList.size()));
                        Live l = live.get(p);
                        assertThat(m.memory().getInt(p)).as("contents of 0x%x", p).isEqualTo(l.tag());
                        remove(live, liveList, p);
                        if (l.typed()) {
                            typed.freeObject(typed.object(p));
                        } else if (rnd.nextBoolean()) {
                            s.kfree(p);
                        } else {
                            l.cache().free(p);
                        }
                        if (rnd.nextInt(10) == 0) { // and a double free, which must be refused
                            assertThatThrownBy(() -> l.cache().free(p)).isInstanceOf(SlabBug.class);
                        }
                    }
                } else if (op < 78) {
                    KmemCache<?> c = caches.get(rnd.nextInt(caches.size()));
                    int gfp = rnd.nextBoolean() ? SlabFlags.SLAB_KERNEL : SlabFlags.SLAB_ATOMIC;
                    what = "alloc " + c.name();
                    long p;
                    if (c == typed) {
                        Obj o = typed.allocObject(gfp);
                        p = o == null ? 0 : o.address();
                    } else {
                        p = c.alloc(gfp);
                    }
                    if (p != 0) {
                        add(m, live, liveList, p, new Live(c, ++tag, c == typed));
                    }
                } else if (op < 81) {
                    KmemCache<?> c = s.caches().get(rnd.nextInt(s.caches().size()));
                    what = "shrink " + c.name();
                    c.shrink();
                } else if (op < 84) {
                    what = "reap";
                    s.kmemCacheReap(rnd.nextBoolean() ? Gfp.GFP_KERNEL : Gfp.GFP_ATOMIC);
                } else if (op < 87) {
                    KmemCache<?> c = caches.get(rnd.nextInt(caches.size()));
                    int limit = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(24);
                    int batch = limit == 0 ? 0 : 1 + rnd.nextInt(limit);
                    what = "tune " + c.name() + " " + limit + " " + batch;
                    c.tune(limit, batch);
                } else if (op < 90) {
                    int cpu = rnd.nextInt(3);
                    what = "cpu " + cpu;
                    m.bindCurrentThread(cpu);
                } else if (op < 93) {
                    if (temp == null) {
                        what = "create temp";
                        temp = s.kmemCacheCreate("r_temp", 8 + rnd.nextInt(3000), 0, 0, null, null);
                        if (temp != null) {
                            caches.add(temp);
                        }
                    } else {
                        what = "destroy temp";
                        KmemCache<SlabObject> t = temp;
                        boolean busy = live.values().stream().anyMatch(l -> l.cache() == t);
                        if (busy) {
                            String before = s.slabinfo();
                            assertThatThrownBy(t::destroy).isInstanceOf(SlabBug.class)
                                    .hasMessageContaining("still allocated");
                            assertThat(s.slabinfo()).isEqualTo(before);
                        } else {
                            t.destroy();
                            caches.remove(t);
                            temp = null;
                        }
                    }
                } else if (op < 96) {
                    what = "failslab";
                    if (s.failslab().attr().enabled()) {
                        s.failslab().attr().disable();
                    } else {
                        s.failslab().attr().configure(25, 1, -1, 0, rnd.nextLong());
                    }
                } else {
                    what = "hog";
                    if (hog.isEmpty()) {
                        for (Page p = m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0); p != null && rnd.nextInt(400) != 0;
                                p = m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0)) {
                            hog.add(p);
                        }
                    } else {
                        hog.forEach(m.pageAlloc()::freePage);
                        hog.clear();
                    }
                }
                verify(m, s, caches, live, liveList, rnd, "seed " + seed + " step " + step + " (" + what + ")");
            }
            s.failslab().attr().disable();
            for (long p : new ArrayList<>(liveList)) {
                s.kfree(p);
            }
            hog.forEach(m.pageAlloc()::freePage);
            for (KmemCache<?> c : s.caches()) {
                c.shrink();
            }
            Tiny.check(m, s);
            for (KmemCache<?> c : caches) {
                assertThat(c.allocatedObjects()).isZero();
            }
        }
    }

    private static void add(Machine m, Map<Long, Live> live, List<Long> liveList, long p, Live l) {
        assertThat(live.put(p, l)).as("0x%x handed out twice", p).isNull();
        liveList.add(p);
        m.memory().putInt(p, l.tag());
    }

    private static void remove(Map<Long, Live> live, List<Long> liveList, long p) {
        live.remove(p);
        int i = liveList.indexOf(p);
        liveList.set(i, liveList.get(liveList.size() - 1));
        liveList.remove(liveList.size() - 1);
    }

    private static void verify(Machine m, SlabAllocator s, List<KmemCache<?>> caches, Map<Long, Live> live,
            List<Long> liveList, Random rnd, String where) {
        try {
            Tiny.check(m, s);
            Map<KmemCache<?>, Integer> counts = new HashMap<>();
            for (Map.Entry<Long, Live> e : live.entrySet()) {
                counts.merge(e.getValue().cache(), 1, Integer::sum);
            }
            for (KmemCache<?> c : caches) {
                assertThat(c.allocatedObjects()).as(c.name()).isEqualTo((long) counts.getOrDefault(c, 0));
            }
            for (int i = 0; i < 4 && !liveList.isEmpty(); i++) {
                long p = liveList.get(rnd.nextInt(liveList.size()));
                Live l = live.get(p);
                assertThat(l.cache().isAllocated(p)).isTrue();
                assertThat(m.memory().getInt(p)).isEqualTo(l.tag());
            }
        } catch (AssertionError e) {
            throw new AssertionError(where + ": " + e.getMessage(), e);
        }
    }
}
