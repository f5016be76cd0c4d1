// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;
import dev.kalloc.slab.SlabObject;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The last row of issue 9's targets, which is not a timing: memory still held after a burst of
 * allocations has been freed and the allocator asked to give memory back. kalloc: a 64 B cache's
 * slab pages after {@code kmem_cache_shrink}; Netty: direct memory still reserved after every
 * buffer is released and the thread cache trimmed. Run:
 * {@code java -Dio.netty.leakDetection.level=disabled -cp stress/jmh/target/benchmarks.jar dev.kalloc.stress.jmh.HeldAfterFree}
 */
public final class HeldAfterFree {

    private static final int OBJECTS = Subject.LIVE_SLOTS;
    private static final int SIZE = 64;

    private HeldAfterFree() {
    }

    public static void main(String[] args) {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(World.MEMORY).cpus(World.CPUS).kswapd(false)
                .build())) {
            SlabAllocator slab = SlabAllocator.boot(m);
            KmemCache<SlabObject> cache = slab.kmemCacheCreate("held-64", SIZE, 0, SlabFlags.SLAB_HWCACHE_ALIGN,
                    null, null);
            long[] objs = new long[OBJECTS];
            for (int i = 0; i < OBJECTS; i++) {
                objs[i] = cache.alloc(SlabFlags.SLAB_KERNEL);
            }
            long peak = cache.pages();
            for (long o : objs) {
                cache.free(o);
            }
            long freed = cache.pages();
            cache.shrink();
            System.out.printf("kalloc slab %d x %d B: %d pages at peak, %d after freeing, %d after kmem_cache_shrink%n",
                    OBJECTS, SIZE, peak, freed, cache.pages());
            cache.destroy();
        }
        PooledByteBufAllocator netty = new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
                PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
                PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
                PooledByteBufAllocator.defaultNormalCacheSize(), true);
        ByteBuf[] bufs = new ByteBuf[OBJECTS];
        for (int i = 0; i < OBJECTS; i++) {
            bufs[i] = netty.directBuffer(SIZE, SIZE);
        }
        long peak = netty.metric().usedDirectMemory();
        for (ByteBuf b : bufs) {
            b.release();
        }
        long freed = netty.metric().usedDirectMemory();
        netty.trimCurrentThreadCache();
        System.out.printf("netty %d x %d B: %d bytes of direct memory at peak, %d after release, %d after "
                + "trimCurrentThreadCache (%d chunks of %d bytes)%n", OBJECTS, SIZE, peak, freed,
                netty.metric().usedDirectMemory(), netty.metric().usedDirectMemory() / netty.metric().chunkSize(),
                netty.metric().chunkSize());
    }
}
