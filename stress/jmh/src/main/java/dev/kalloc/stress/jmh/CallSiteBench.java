// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;
import dev.kalloc.mempool.SlabMempools;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.ReservationScope;
import dev.kalloc.reservation.ReservationSizing;
import dev.kalloc.reservation.Reservations;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;
import dev.kalloc.stress.jmh.World.Obj;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Ben LaHaise's claim L2 in the mempool debate (linux-kernel, December 2001, "[patch]
 * mempool-2.5.1-D2"), paraphrased: calling allocators through function pointers is costly on
 * modern CPUs, where a reservation adds one branch instead. It measures
 * what the indirect call of {@code mempool_alloc}/{@code mempool_free} costs when one call site
 * drives several allocator types, as raid1's four pools do.
 *
 * <p>One operation is one allocation plus one free, round-robin over four 64-byte typed slab
 * caches, so the work underneath is the same in every mode: a per-CPU array hit of
 * {@code kmem_cache_alloc} and of {@code kmem_cache_free} on the next cache. The {@code mode}
 * {@code @Param} says how the caches are reached:
 * <ul>
 *   <li>{@code mono}: four {@link Mempool}s, one per cache, whose alloc and free functions are
 *       four instances of ONE class ({@link FnA}). The pool's call sites see one receiver type,
 *       so the JIT inlines the function behind a type check: the pool's layer without the
 *       dispatch.</li>
 *   <li>{@code mega}: the same four pools, but each pool's functions are an instance of a
 *       DIFFERENT class ({@link FnA}, {@link FnB}, {@link FnC}, {@link FnD}), with identical
 *       bodies. The one {@code allocFn.alloc} call site inside {@code Mempool.alloc} (and the one
 *       {@code freeFn.free} inside {@code Mempool.free}) sees four receiver types: a megamorphic
 *       interface call the JIT cannot inline. {@code mega - mono} is the price of the function
 *       pointer.</li>
 *   <li>{@code kernel}: {@code mono} with pools built {@code fastPathStatistics(false)}: the
 *       fast path of the kernel's {@code mempool_alloc}, which counts nothing. Molnar's M4 is a
 *       claim about that code, so the report reads it against {@code direct}; {@code mono -
 *       kernel} is what the port's counters add.</li>
 *   <li>{@code reservation}: no pool; the benchmark thread has entered a reservation sized for
 *       {@value World#POOL_MIN} objects of each cache (the pools' guarantee) and calls
 *       {@code allocObject}/{@code freeObject} on the caches directly. In kalloc, as in
 *       LaHaise's patch, the reservation's branch sits in {@code __alloc_pages} after the
 *       watermark passes fail ({@code PageReservation}): a per-CPU slab hit never gets there, so
 *       this mode shows what being inside a reservation costs a hit (LaHaise: nothing on the
 *       common path).</li>
 *   <li>{@code direct}: the same direct calls with no reservation: the floor.</li>
 * </ul>
 * So {@code mega} vs {@code mono} isolates the dispatch, {@code mono} vs {@code reservation} the
 * rest of the pool's layer (context and gfp checks, counters, the owner check), and
 * {@code reservation} vs {@code direct} the reservation's cost on the hit.
 *
 * <h2>Decisions</h2>
 * <ul>
 *   <li>Four classes with four copies of one body, not four subclasses of one: distinct receiver
 *       types AND distinct target methods, so no class-hierarchy analysis can turn the call back
 *       into a direct one.</li>
 *   <li>The megamorphic profile is guaranteed by construction: each mode runs in its own fork
 *       (a {@code @Param} value per fork, {@code @Fork}), and in the {@code mega} fork the only
 *       pools ever created are the four of different classes, driven round-robin from the first
 *       warm-up call, so any four consecutive calls reach the call site with all four types
 *       before the interpreter, C1 or C2 profile it (C2 records two types and counts the rest;
 *       none reaches the 90% it needs to inline a major one). In the {@code mono} fork no other
 *       implementation of the two interfaces is ever instantiated. {@link Shared#boot} checks the
 *       classes it installed. To see the JIT's decision: add
 *       {@code -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions -XX:+PrintInlining"}; in
 *       {@code mega} the call inside {@code Mempool::alloc} prints as
 *       {@code MempoolAllocFn::alloc ... virtual call}, in {@code mono} as
 *       {@code FnA::alloc ... inline (hot)}.</li>
 *   <li>The pools follow {@code mempool-64} of {@link FastPathBench}: 2.5.1 policy,
 *       {@code min_nr} {@value World#POOL_MIN}, the owner check of {@code SlabMempools}
 *       (one predicate class in every pool, so monomorphic in both pool modes), callers passing
 *       {@code GFP_NOIO}. The pools stay full, so every free goes to the cache (level 1 both
 *       ways).</li>
 *   <li>The direct modes pass the cache the mask {@code mempool_alloc}'s first attempt passes
 *       ({@code GFP_NOIO} without {@code __GFP_WAIT|__GFP_IO}), so the cache does the same work
 *       in all four modes.</li>
 *   <li>The mode's loop is one of two {@link Round} classes, and each fork instantiates one:
 *       the benchmark's own call is monomorphic in every mode.</li>
 * </ul>
 * Machine, caches, pools and reservation are made in {@code @Setup(Level.Trial)}; with two
 * threads each is bound to its own simulated CPU and has its own round-robin position and scope.
 * Typed slab objects are reused and the pool's counters are per-thread cells, so the measured
 * path allocates nothing (0 B/op under {@code -prof gc}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class CallSiteBench {

    /** Caches (and pools) the round-robin visits: raid1's four pools. A power of two. */
    static final int WAYS = 4;

    /** Object size of every cache. */
    static final int SIZE = 64;

    /** What the pools' callers pass, as {@code mempool-64} does. */
    static final int POOL_GFP = Gfp.GFP_NOIO;

    /** What {@code mempool_alloc}'s first attempt hands the cache; the direct modes pass it too. */
    static final int CACHE_GFP = POOL_GFP & ~(Gfp.__GFP_WAIT | Gfp.__GFP_IO);

    /** The machine, the four caches and what stands in front of them, booted once per trial. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"mono", "mega", "kernel", "reservation", "direct"})
        public String mode;

        Machine machine;
        final KmemCache<Obj>[] caches = newCacheArray();
        /** The pools of {@code mono}, {@code mega} and {@code kernel}; null otherwise. */
        Mempool<Obj>[] pools;
        /** The reservation of {@code reservation}; null otherwise. */
        Reservation reservation;

        @Setup(Level.Trial)
        public void boot() {
            machine = Machine.boot(MachineConfig.builder().memory(World.MEMORY).cpus(World.CPUS).perCpuLists(true)
                    .kswapd(false).build());
            SlabAllocator slab = SlabAllocator.boot(machine);
            for (int i = 0; i < WAYS; i++) {
                caches[i] = slab.kmemCacheCreate("callsite-" + i, SIZE, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null,
                        Obj::new);
            }
            switch (mode) {
                case "mono", "mega", "kernel" -> pools = createPools(mode.equals("mega"), !mode.equals("kernel"));
                case "reservation" -> reservation = reserve();
                case "direct" -> {
                    // the caches alone
                }
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        }

        private Mempool<Obj>[] createPools(boolean megamorphic, boolean counted) {
            Fn[] fns = new Fn[WAYS];
            for (int i = 0; i < WAYS; i++) {
                fns[i] = megamorphic ? fnOfClass(i, caches[i]) : new FnA(caches[i]);
            }
            // What the mode promises the call site: four receiver types, or one.
            long types = Arrays.stream(fns).map(Object::getClass).distinct().count();
            if (types != (megamorphic ? WAYS : 1)) {
                throw new IllegalStateException("mode " + mode + " built pools over " + types + " function classes");
            }
            Mempool<Obj>[] p = newPoolArray();
            for (int i = 0; i < WAYS; i++) {
                p[i] = Mempool.builder("callsite-" + i, World.POOL_MIN, fns[i], fns[i]).machine(machine)
                        .ownerCheck(SlabMempools.ownsSlabObject(caches[i])).fastPathStatistics(counted).create();
                if (p[i] == null) {
                    throw new IllegalStateException("prefill of pool callsite-" + i + " failed");
                }
            }
            return p;
        }

        private Reservation reserve() {
            int pages = 0;
            for (KmemCache<Obj> c : caches) {
                pages += ReservationSizing.slabObjects(machine, c, World.POOL_MIN);
            }
            Reservation r = Reservations.boot(machine).create("callsite", Gfp.GFP_KERNEL, Reservation.RSV_MULTISHOT);
            if (!r.reserve(Gfp.GFP_KERNEL, pages)) {
                throw new IllegalStateException("reservation of " + pages + " pages refused");
            }
            return r;
        }

        @TearDown(Level.Trial)
        public void shutdown() {
            machine.close();
        }
    }

    /** The benchmark thread's half: bound to its own CPU, its round-robin position, its scope. */
    @State(Scope.Thread)
    public static class PerThread {
        Round round;
        ReservationScope scope;

        @Setup(Level.Trial)
        public void setup(Shared shared, ThreadParams threads) {
            shared.machine.bindCurrentThread(threads.getThreadIndex() % World.CPUS);
            round = shared.pools != null ? new PoolRound(shared.pools) : new CacheRound(shared.caches);
            if (shared.reservation != null) {
                scope = shared.reservation.enter();
            }
        }

        @TearDown(Level.Trial)
        public void teardown() {
            if (scope != null) {
                scope.close();
            }
        }
    }

    @Benchmark
    public void allocFree(PerThread t, Blackhole bh) {
        t.round.allocFree(bh);
    }

    // -----------------------------------------------------------------------------------------
    // The two loops
    // -----------------------------------------------------------------------------------------

    /** One alloc+free on the next of the four ways. */
    abstract static class Round {
        int next;

        abstract void allocFree(Blackhole bh);

        final int advance() {
            int i = next;
            next = (i + 1) & (WAYS - 1);
            return i;
        }
    }

    /** {@code mono}, {@code mega} and {@code kernel}: through the pools' one call site. */
    static final class PoolRound extends Round {
        private final Mempool<Obj>[] pools;

        PoolRound(Mempool<Obj>[] pools) {
            this.pools = pools;
        }

        @Override
        void allocFree(Blackhole bh) {
            Mempool<Obj> p = pools[advance()];
            Obj o = p.alloc(POOL_GFP);
            if (o == null) {
                throw Subject.exhausted("mempool_alloc");
            }
            bh.consume(o);
            p.free(o);
        }
    }

    /** {@code reservation} and {@code direct}: straight to the caches. */
    static final class CacheRound extends Round {
        private final KmemCache<Obj>[] caches;

        CacheRound(KmemCache<Obj>[] caches) {
            this.caches = caches;
        }

        @Override
        void allocFree(Blackhole bh) {
            KmemCache<Obj> c = caches[advance()];
            Obj o = c.allocObject(CACHE_GFP);
            if (o == null) {
                throw Subject.exhausted("kmem_cache_alloc");
            }
            bh.consume(o);
            c.freeObject(o);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The pools' allocator functions: four classes, one body
    // -----------------------------------------------------------------------------------------

    /** A pool's alloc and free functions over one typed cache ({@code mempool_alloc_slab}). */
    interface Fn extends MempoolAllocFn<Obj>, MempoolFreeFn<Obj> {
    }

    static Fn fnOfClass(int i, KmemCache<Obj> c) {
        return switch (i) {
            case 0 -> new FnA(c);
            case 1 -> new FnB(c);
            case 2 -> new FnC(c);
            case 3 -> new FnD(c);
            default -> throw new IllegalArgumentException("no function class " + i);
        };
    }

    static final class FnA implements Fn {
        private final KmemCache<Obj> cache;

        FnA(KmemCache<Obj> cache) {
            this.cache = cache;
        }

        @Override
        public Obj alloc(int gfp) {
            return cache.allocObject(gfp);
        }

        @Override
        public void free(Obj o) {
            cache.freeObject(o);
        }
    }

    static final class FnB implements Fn {
        private final KmemCache<Obj> cache;

        FnB(KmemCache<Obj> cache) {
            this.cache = cache;
        }

        @Override
        public Obj alloc(int gfp) {
            return cache.allocObject(gfp);
        }

        @Override
        public void free(Obj o) {
            cache.freeObject(o);
        }
    }

    static final class FnC implements Fn {
        private final KmemCache<Obj> cache;

        FnC(KmemCache<Obj> cache) {
            this.cache = cache;
        }

        @Override
        public Obj alloc(int gfp) {
            return cache.allocObject(gfp);
        }

        @Override
        public void free(Obj o) {
            cache.freeObject(o);
        }
    }

    static final class FnD implements Fn {
        private final KmemCache<Obj> cache;

        FnD(KmemCache<Obj> cache) {
            this.cache = cache;
        }

        @Override
        public Obj alloc(int gfp) {
            return cache.allocObject(gfp);
        }

        @Override
        public void free(Obj o) {
            cache.freeObject(o);
        }
    }

    @SuppressWarnings("unchecked")
    private static KmemCache<Obj>[] newCacheArray() {
        return (KmemCache<Obj>[]) new KmemCache<?>[WAYS];
    }

    @SuppressWarnings("unchecked")
    private static Mempool<Obj>[] newPoolArray() {
        return (Mempool<Obj>[]) new Mempool<?>[WAYS];
    }
}
