package dev.kalloc.stress.workload;

import dev.kalloc.bio.StandardGuarantee;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.mempool.MempoolFreeFn;
import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.Mempools;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.reservation.Reservations;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The memory a guarantee holds idle, and the note of what a thread allocates from. */
class TrackedGuaranteeTest {
    private static final int N = 4;

    @ParameterizedTest
    @EnumSource(StandardGuarantee.class)
    void idleMemoryIsPoolElementsNotOutOrReservedPagesNotUsed(StandardGuarantee kind) {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            Reservations rs = Reservations.boot(m);
            TrackedGuarantee g = new TrackedGuarantee(kind.create(m, rs), kind, rs);
            AtomicReference<String> seen = new AtomicReference<>();
            MempoolAllocFn<Page> pages = Mempools.allocPages(m, 0);
            ElementSource<Page> src = g.source("pages", N, N, gfp -> {
                seen.set(g.allocatingIn(Thread.currentThread()));
                return pages.alloc(gfp);
            }, Mempools.freePages(m, 0));
            long expectedIdle = kind == StandardGuarantee.NONE ? 0 : (long) N * PhysicalMemory.PAGE_SIZE;
            assertThat(g.idleBytes()).isEqualTo(expectedIdle);

            Page p = src.alloc(Gfp.GFP_KERNEL);
            assertThat(p).isNotNull();
            assertThat(seen.get()).isEqualTo("pages (" + kind.label() + ")");
            assertThat(g.allocatingIn(Thread.currentThread())).as("the note ends with the allocation").isNull();
            // With memory to spare the element comes from the allocator, not from the reserve.
            assertThat(g.idleBytes()).isEqualTo(expectedIdle);
            src.free(p);
            assertThat(g.idleBytes()).isEqualTo(expectedIdle);
            assertThat(g.failures()).isZero();
            src.destroy();
            assertThat(g.idleBytes()).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    void theZoneMaskReachesTheWrappedGuarantee() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            java.util.concurrent.atomic.AtomicInteger zoneGfp = new java.util.concurrent.atomic.AtomicInteger(-1);
            Guarantee none = Guarantees.none();
            Guarantee recording = new Guarantee() {
                @Override
                public Kind kind() {
                    return none.kind();
                }

                @Override
                public <E> ElementSource<E> source(String name, int minNr, int reservePages, MempoolAllocFn<E> alloc,
                        MempoolFreeFn<E> free) {
                    return none.source(name, minNr, reservePages, alloc, free);
                }

                @Override
                public <E> ElementSource<E> source(String name, int minNr, int reservePages, int gfp,
                        MempoolAllocFn<E> alloc, MempoolFreeFn<E> free) {
                    zoneGfp.set(gfp);
                    return source(name, minNr, reservePages, alloc, free);
                }
            };
            TrackedGuarantee g = new TrackedGuarantee(recording, StandardGuarantee.NONE, null);
            ElementSource<Page> src = g.source("isa", N, N, Gfp.GFP_NOIO | Gfp.__GFP_DMA, Mempools.allocPages(m, 0),
                    Mempools.freePages(m, 0));
            assertThat(zoneGfp.get()).isEqualTo(Gfp.GFP_NOIO | Gfp.__GFP_DMA);
            src.destroy();
        }
    }
}
