// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.slab;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabFlags;
import dev.kalloc.slab.SlabObject;
import dev.kalloc.slab.testing.SlabRig;

/**
 * The machine and cache every slab test builds, cheap enough for one per jcstress state object:
 * a {@link SlabRig#tinyMachine} of the shared test kit, and a cache on it.
 *
 * <h2>The machine</h2>
 * 64 frames (256 KiB) in one zone, ZONE_NORMAL; {@code MAX_ORDER} 6 (the slab allocator needs
 * order-5 blocks for size-131072, though nothing here allocates one); watermarks 0; no per-CPU
 * page lists and no kswapd. The slab allocator boots without automatic per-CPU array caches, so
 * booting it takes two pages (the cache of caches); the test cache's arrays, when a test tunes
 * them on, take one more (their {@code cpucache_t} backing in size-32). No test writes object
 * contents, so physical memory is never touched and never allocated.
 *
 * <h2>The cache</h2>
 * {@code jc_obj}: 1000-byte objects, no flags. Off-slab at first (>= 512 bytes), but 4 objects
 * leave 96 bytes and the management needs {@code L1_CACHE_ALIGN(4*4 + 24)} = 64, so it moves
 * on-slab: 4 objects per order-0 slab, no allocation from other caches when it grows. With
 * {@link #PAIR} the objects are 2000 bytes: 2 per slab, 96 bytes left, management
 * {@code L1_CACHE_ALIGN(2*4 + 24)} = 32, on-slab too.
 * Its array caches are tuned by each test: {@code limit} 0 sends every alloc and free straight to
 * the slab lists.
 *
 * <h2>Setup</h2>
 * Runs in the thread that constructs the state, bound to the CPU the test names; actors bind
 * themselves to their CPUs first thing.
 */
final class SlabFixture extends SlabRig {
    /** Object size of the default cache: 4 per slab. */
    static final int QUAD = 1000;
    /** Object size of the two-per-slab cache. */
    static final int PAIR = 2000;
    /** Allocation flags of every actor: may not sleep, may not grow the cache. */
    static final int ATOMIC_NO_GROW = SlabFlags.SLAB_ATOMIC | SlabFlags.SLAB_NO_GROW;

    final KmemCache<SlabObject> cache;

    SlabFixture(int cpus, int limit, int batchcount) {
        this(cpus, limit, batchcount, QUAD);
    }

    SlabFixture(int cpus, int limit, int batchcount, int objsize) {
        super(boundToCpu0(Machine.boot(tinyMachine(64 * 4 * MachineConfig.KiB).cpus(cpus).build())),
                NO_AUTOMATIC_ARRAYS);
        this.cache = slab.kmemCacheCreate("jc_obj", objsize, 0, 0, null, null);
        check(cache != null && cache.num() == (objsize == PAIR ? 2 : 4) && !cache.offSlab(),
                "jc_obj is not " + (objsize == PAIR ? 2 : 4) + " per on-slab page");
        check(cache.tune(limit, batchcount), "tune failed");
    }

    /** The slab allocator boots on cpu 0, whose array caches the setup then fills. */
    private static Machine boundToCpu0(Machine m) {
        m.bindCurrentThread(0);
        return m;
    }

    /** Binds the calling thread (setup or actor) to {@code cpu}. */
    SlabFixture on(int cpu) {
        machine.bindCurrentThread(cpu);
        return this;
    }

    /** Allocates during setup; setup never fails. */
    long alloc() {
        long p = cache.alloc(SlabFlags.SLAB_ATOMIC);
        check(p != 0, "setup allocation failed");
        return p;
    }

    /** Asserts the slab lists reached the state the test was written for. */
    void expect(int full, int partial, int free, int inArrays) {
        check(cache.fullSlabs() == full && cache.partialSlabs() == partial && cache.freeSlabs() == free
                && cache.cpuCachedObjects() == inArrays, "setup reached full/partial/free/arrays "
                + cache.fullSlabs() + "/" + cache.partialSlabs() + "/" + cache.freeSlabs() + "/"
                + cache.cpuCachedObjects() + ", expected " + full + "/" + partial + "/" + free + "/" + inArrays);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("SlabFixture setup: " + what);
        }
    }
}
