// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Four workers on two CPU ids (so two threads share each per-CPU array), freeing each other's
 * objects through a hand-off queue (remote frees), while a fifth thread shrinks, reaps and
 * retunes. An ownership map catches an object handed out twice; a tag in each object catches two
 * owners writing one object; the invariants are checked when everything is quiet again.
 */
class SlabConcurrencyTest {
    private static final int WORKERS = 4;
    private static final int ROUNDS = 40_000;

    @Test
    void workersSharingCpusWithRemoteFreesAndMaintenance() throws Exception {
        try (Machine m = Tiny.machine(16, 2)) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> plain = s.kmemCacheCreate("c_plain", 64, 0, 0, null, null);
            KmemCache<SlabObject> debug = s.kmemCacheCreate("c_debug", 40, 0,
                    SlabFlags.SLAB_RED_ZONE | SlabFlags.SLAB_POISON, null, null);
            KmemCache<SlabObject> big = s.kmemCacheCreate("c_big", 1500, 0, 0, null, null);
            plain.tune(8, 4);
            debug.tune(16, 8);
            List<KmemCache<SlabObject>> caches = List.of(plain, debug, big);
            Map<Long, Integer> owner = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<Long> handoff = new ConcurrentLinkedQueue<>();
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicBoolean done = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int id = w;
                workers.add(new Thread(() -> work(m, s, caches, owner, handoff, id, error), "worker-" + w));
            }
            Thread maint = new Thread(() -> {
                try {
                    m.bindCurrentThread(1);
                    SplittableRandom rnd = new SplittableRandom(99);
                    while (!done.get()) {
                        switch (rnd.nextInt(4)) {
                            case 0 -> caches.get(rnd.nextInt(3)).shrink();
                            case 1 -> s.kmemCacheReap(Gfp.GFP_KERNEL);
                            case 2 -> {
                                int limit = rnd.nextBoolean() ? 8 : 0;
                                plain.tune(limit, limit / 2);
                            }
                            default -> s.generalCache(128, false).shrink();
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }, "maintenance");
            workers.forEach(Thread::start);
            maint.start();
            for (Thread t : workers) {
                t.join();
            }
            done.set(true);
            maint.join();
            assertThat(error.get()).isNull();
            for (Long p; (p = handoff.poll()) != null;) {
                owner.remove(p);
                s.kfree(p);
            }
            assertThat(owner).isEmpty();
            Tiny.check(m, s);
            for (KmemCache<?> c : caches) {
                assertThat(c.allocatedObjects()).as(c.name()).isZero();
            }
        }
    }

    private static void work(Machine m, SlabAllocator s, List<KmemCache<SlabObject>> caches, Map<Long, Integer> owner,
            ConcurrentLinkedQueue<Long> handoff, int id, AtomicReference<Throwable> error) {
        try {
            m.bindCurrentThread(id % 2);
            SplittableRandom rnd = new SplittableRandom(id);
            long[] held = new long[32];
            int[] tags = new int[32];
            for (int r = 0; r < ROUNDS && error.get() == null; r++) {
                int i = rnd.nextInt(held.length);
                if (held[i] != 0) {
                    long p = held[i];
                    if (m.memory().getInt(p) != tags[i]) {
                        throw new AssertionError(String.format("0x%x was written by someone else", p));
                    }
                    held[i] = 0;
                    if (rnd.nextInt(4) == 0) {
                        handoff.add(p); // someone else frees it, from their CPU
                    } else {
                        if (owner.remove(p) == null) {
                            throw new AssertionError(String.format("0x%x was not owned", p));
                        }
                        s.kfree(p);
                    }
                    continue;
                }
                Long remote = handoff.poll();
                if (remote != null) {
                    if (owner.remove(remote) == null) {
                        throw new AssertionError(String.format("0x%x was not owned", remote));
                    }
                    s.kfree(remote);
                }
                int k = rnd.nextInt(4);
                long p = k < 3 ? caches.get(k).alloc(SlabFlags.SLAB_KERNEL)
                        : s.kmalloc(1 + rnd.nextInt(2000), SlabFlags.SLAB_KERNEL);
                if (p == 0) {
                    continue; // out of memory for the moment
                }
                if (owner.putIfAbsent(p, id) != null) {
                    throw new AssertionError(String.format("0x%x handed out twice", p));
                }
                tags[i] = (id << 24) | (r & 0xffffff);
                m.memory().putInt(p, tags[i]);
                held[i] = p;
            }
            for (long p : held) {
                if (p != 0) {
                    owner.remove(p);
                    s.kfree(p);
                }
            }
        } catch (Throwable t) {
            error.compareAndSet(null, t);
        }
    }
}
