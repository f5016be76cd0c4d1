// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.SlabMempools;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.Zone;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.Reservations;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;
import dev.kalloc.slab.SlabObject;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * Everything one subject needs that all benchmark threads share, booted once per trial: the
 * simulated machine with its allocators, the Netty allocator, the ThreadLocal of the floor.
 *
 * <p>Subject names (the {@code subject} {@code @Param} of every benchmark):
 * <ul>
 *   <li>{@code page0-pcp}, {@code page0-buddy}, {@code page3}: {@code alloc_pages}/{@code
 *       __free_pages} of order 0 with per-CPU lists, order 0 without them, order 3;
 *   <li>{@code page0-rsv}: order 0 inside an entered reservation;
 *   <li>{@code page0-split-K}: {@code page0-buddy} with one order-K block held from boot, so the
 *       smallest free block is its order-K buddy: each allocation splits K levels and each free
 *       merges K levels back ({@code page0-buddy} itself splits and merges every level below
 *       {@code MAX_ORDER - 1}). One thread: the slope over K is what one level costs;
 *   <li>{@code slab-N}: {@code kmem_cache_alloc}/{@code free} on an N-byte cache;
 *       {@code kmalloc-N}: {@code kmalloc(N)}/{@code kfree}; {@code slabobj-N}: the typed API of
 *       an N-byte cache, the pool's underlying allocator;
 *   <li>{@code mempool-N}: a 2.5.1 mempool over that typed cache, the cache succeeding;
 *       {@code mempool-uncounted-N}: the same with {@code fastPathStatistics(false)}, the
 *       kernel's fast path, which counts nothing;
 *       {@code mempool-reserve-N}: the same pool with the cache failing, so every element comes
 *       from the pool's reserve and goes back to it;
 *   <li>{@code netty-N}: {@code PooledByteBufAllocator} direct buffers with thread caches;
 *       {@code bytes-N}: {@code new byte[N]}; {@code direct-N}: {@code ByteBuffer.allocateDirect(N)};
 *   <li>{@code floor}: pop and push on a thread-owned array stack; {@code floor-tl}: the same
 *       stack found through a {@code ThreadLocal} on every operation.
 * </ul>
 */
final class World {

    /** The benchmark machine: room for two threads' live sets of order-0 pages, and more. */
    static final long MEMORY = 256 * MachineConfig.MiB;

    /** CPUs of the simulated machine: one per benchmark thread on this 2-core host. */
    static final int CPUS = 2;

    /** Pages reserved for {@code page0-rsv}. */
    static final int RESERVED_PAGES = 256;

    /** {@code min_nr} of the mempool subjects. */
    static final int POOL_MIN = 16;

    final String name;
    final String kind;
    final int size;

    Machine machine;
    SlabAllocator slab;
    KmemCache<SlabObject> cache;
    KmemCache<Obj> typedCache;
    Mempool<Obj> pool;
    Reservation reservation;
    PooledByteBufAllocator netty;
    ThreadLocal<LongStack> stacks;

    /** The pool's underlying allocator fails while this is set (mempool-reserve-N). */
    volatile boolean underlyingFails;

    /** A typed slab object with no fields of its own. */
    static final class Obj extends SlabObject {
        Obj(Slot slot) {
            super(slot);
        }
    }

    World(String name) {
        this.name = name;
        int dash = name.lastIndexOf('-');
        String tail = dash < 0 ? "" : name.substring(dash + 1);
        if (!tail.isEmpty() && Character.isDigit(tail.charAt(0))) {
            this.kind = name.substring(0, dash);
            this.size = Integer.parseInt(tail);
        } else {
            this.kind = name;
            this.size = 0;
        }
    }

    void boot() {
        switch (kind) {
            case "page0-pcp", "page3" -> bootMachine(true);
            case "page0-buddy" -> bootMachine(false);
            case "page0-split" -> {
                bootMachine(false);
                holdBlock(size);
            }
            case "page0-rsv" -> {
                bootMachine(true);
                reservation = Reservations.boot(machine).create("jmh", Gfp.GFP_KERNEL, Reservation.RSV_MULTISHOT);
                if (!reservation.reserve(Gfp.GFP_KERNEL, RESERVED_PAGES)) {
                    throw new IllegalStateException("reservation of " + RESERVED_PAGES + " pages refused");
                }
            }
            case "slab", "kmalloc" -> {
                bootSlab();
                cache = slab.kmemCacheCreate("jmh-" + size, size, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null);
            }
            case "slabobj", "mempool", "mempool-uncounted", "mempool-reserve" -> {
                bootSlab();
                typedCache = slab.kmemCacheCreate("jmh-obj-" + size, size, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null,
                        null, Obj::new);
                if (!kind.equals("slabobj")) {
                    KmemCache<Obj> c = typedCache;
                    // Only the reserve subject pays for the switch that makes the cache fail.
                    MempoolAllocFn<Obj> alloc = kind.equals("mempool-reserve")
                            ? gfp -> underlyingFails ? null : c.allocObject(gfp) : SlabMempools.allocSlab(c);
                    pool = Mempool.builder("jmh", POOL_MIN, alloc, SlabMempools.freeSlab(c)).machine(machine)
                            .ownerCheck(SlabMempools.ownsSlabObject(c))
                            .fastPathStatistics(!kind.equals("mempool-uncounted")).create();
                    underlyingFails = kind.equals("mempool-reserve");
                }
            }
            case "netty" -> netty = new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
                    PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
                    PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
                    PooledByteBufAllocator.defaultNormalCacheSize(), true);
            case "floor-tl" -> stacks = ThreadLocal.withInitial(LongStack::new);
            case "bytes", "direct", "floor" -> {
                // nothing shared
            }
            default -> throw new IllegalArgumentException("unknown subject " + name);
        }
    }

    private void bootMachine(boolean perCpuLists) {
        machine = Machine.boot(MachineConfig.builder().memory(MEMORY).cpus(CPUS).perCpuLists(perCpuLists)
                .kswapd(false).build());
    }

    /**
     * Takes one block of {@code order} from ZONE_NORMAL of a machine whose memory is all free, so
     * that every smaller order is empty there and order {@code order} holds exactly the block's
     * buddy, and checks it: a zone with other small free blocks would split less than promised.
     */
    private void holdBlock(int order) {
        Page held = machine.pageAlloc().allocPages(Gfp.GFP_KERNEL, order);
        if (held == null || held.zone().index() != Zone.ZONE_NORMAL) {
            throw new IllegalStateException("page0-split-" + order + ": no order-" + order + " block from ZONE_NORMAL");
        }
        for (int o = 0; o < order; o++) {
            if (held.zone().nrFree(o) != 0) {
                throw new IllegalStateException("page0-split-" + order + ": ZONE_NORMAL has free blocks of order " + o);
            }
        }
        if (held.zone().nrFree(order) != 1) {
            throw new IllegalStateException("page0-split-" + order + ": ZONE_NORMAL has " + held.zone().nrFree(order)
                    + " free blocks of order " + order + ", not just the held block's buddy");
        }
    }

    private void bootSlab() {
        bootMachine(true);
        slab = SlabAllocator.boot(machine);
    }

    /**
     * The calling benchmark thread's subject. The thread is bound to CPU {@code threadIndex} mod
     * {@link #CPUS} first, so two threads use two per-CPU caches.
     */
    Subject newSubject(int threadIndex) {
        if (machine != null) {
            machine.bindCurrentThread(threadIndex % CPUS);
        }
        return switch (kind) {
            case "page0-pcp", "page0-buddy", "page0-split", "page0-rsv" -> new Pages(machine.pageAlloc(), 0);
            case "page3" -> new Pages(machine.pageAlloc(), 3);
            case "slab" -> new Slab(cache);
            case "kmalloc" -> new Kmalloc(slab, size);
            case "slabobj" -> new SlabObj(typedCache);
            case "mempool", "mempool-uncounted", "mempool-reserve" -> new Pool(pool);
            case "netty" -> new Netty(netty, size);
            case "bytes" -> new Bytes(size);
            case "direct" -> new Direct(size);
            case "floor" -> new Floor(new LongStack());
            case "floor-tl" -> new FloorTl(stacks);
            default -> throw new IllegalArgumentException("unknown subject " + name);
        };
    }

    /** Closes the machine; per-thread teardowns have freed what the threads held. */
    void shutdown() {
        if (machine != null) {
            machine.close();
        }
    }

    // -----------------------------------------------------------------------------------------
    // The subjects
    // -----------------------------------------------------------------------------------------

    static final class Pages extends RefSubject<Page> {
        private final PageAllocator pa;
        private final int order;

        Pages(PageAllocator pa, int order) {
            this.pa = pa;
            this.order = order;
        }

        @Override
        Page alloc() {
            return pa.allocPages(Gfp.GFP_KERNEL, order);
        }

        @Override
        void free(Page p) {
            pa.freePages(p, order);
        }
    }

    static final class Slab extends LongSubject {
        private final KmemCache<SlabObject> cache;

        Slab(KmemCache<SlabObject> cache) {
            this.cache = cache;
        }

        @Override
        long alloc() {
            return cache.alloc(SlabFlags.SLAB_KERNEL);
        }

        @Override
        void free(long addr) {
            cache.free(addr);
        }
    }

    static final class Kmalloc extends LongSubject {
        private final SlabAllocator slab;
        private final int size;

        Kmalloc(SlabAllocator slab, int size) {
            this.slab = slab;
            this.size = size;
        }

        @Override
        long alloc() {
            return slab.kmalloc(size, Gfp.GFP_KERNEL);
        }

        @Override
        void free(long addr) {
            slab.kfree(addr);
        }
    }

    static final class SlabObj extends RefSubject<Obj> {
        private final KmemCache<Obj> cache;

        SlabObj(KmemCache<Obj> cache) {
            this.cache = cache;
        }

        @Override
        Obj alloc() {
            return cache.allocObject(SlabFlags.SLAB_KERNEL);
        }

        @Override
        void free(Obj o) {
            cache.freeObject(o);
        }
    }

    static final class Pool extends RefSubject<Obj> {
        private final Mempool<Obj> pool;

        Pool(Mempool<Obj> pool) {
            this.pool = pool;
        }

        @Override
        Obj alloc() {
            return pool.alloc(Gfp.GFP_NOIO);
        }

        @Override
        void free(Obj o) {
            pool.free(o);
        }
    }

    static final class Netty extends RefSubject<ByteBuf> {
        private final PooledByteBufAllocator alloc;
        private final int size;

        Netty(PooledByteBufAllocator alloc, int size) {
            this.alloc = alloc;
            this.size = size;
        }

        @Override
        ByteBuf alloc() {
            return alloc.directBuffer(size, size);
        }

        @Override
        void free(ByteBuf b) {
            b.release();
        }
    }

    static final class Bytes extends RefSubject<byte[]> {
        private final int size;

        Bytes(int size) {
            this.size = size;
        }

        @Override
        byte[] alloc() {
            return new byte[size];
        }

        @Override
        void free(byte[] b) {
            // the garbage collector frees it
        }
    }

    static final class Direct extends RefSubject<ByteBuffer> {
        private final int size;

        Direct(int size) {
            this.size = size;
        }

        @Override
        ByteBuffer alloc() {
            return ByteBuffer.allocateDirect(size);
        }

        @Override
        void free(ByteBuffer b) {
            // its Cleaner frees the memory after the garbage collector finds it unreachable
        }
    }

    /**
     * The floor: the simplest possible cache, a LIFO stack of addresses owned by one thread. A
     * real cache has to do at least this much.
     */
    static final class LongStack {
        private static final int CAPACITY = 2 * Subject.LIVE_SLOTS;

        private final long[] stack = new long[CAPACITY];
        private int top;

        LongStack() {
            for (int i = 0; i < CAPACITY; i++) {
                stack[i] = (long) (i + 1) << 6;
            }
            top = CAPACITY;
        }

        long pop() {
            return top == 0 ? 0 : stack[--top];
        }

        void push(long addr) {
            stack[top++] = addr;
        }
    }

    static final class Floor extends LongSubject {
        private final LongStack stack;

        Floor(LongStack stack) {
            this.stack = stack;
        }

        @Override
        long alloc() {
            return stack.pop();
        }

        @Override
        void free(long addr) {
            stack.push(addr);
        }
    }

    static final class FloorTl extends LongSubject {
        private final ThreadLocal<LongStack> stacks;

        FloorTl(ThreadLocal<LongStack> stacks) {
            this.stacks = stacks;
        }

        @Override
        long alloc() {
            return stacks.get().pop();
        }

        @Override
        void free(long addr) {
            stacks.get().push(addr);
        }
    }
}
