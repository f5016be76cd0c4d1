// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.ElementAllocFn;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Elements;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.reservation.Reservations;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The memory a guarantee holds idle, what it has in use, its counters gathered across sources,
 * and the note of what a thread allocates from.
 */
class TrackedGuaranteeTest {
    private static final int N = 4;

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void idleMemoryIsPoolElementsNotOutOrReservedPagesNotUsed(GuaranteeKind kind) {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            Reservations rs = Reservations.boot(m);
            TrackedGuarantee g = new TrackedGuarantee(kind.create(m, rs), rs);
            AtomicReference<String> seen = new AtomicReference<>();
            Elements<Page> pages = Elements.pages(m, N, 0);
            ElementAllocFn<Page> alloc = pages.alloc();
            ElementSource<Page> src = g.source("pages", pages.allocatedBy(gfp -> {
                seen.set(g.allocatingIn(Thread.currentThread()));
                return alloc.alloc(gfp);
            }, pages.free()));
            long expectedIdle = kind == GuaranteeKind.NONE ? 0 : (long) N * PhysicalMemory.PAGE_SIZE;
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

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void countersArePrefixedWithTheirSourceAndReservationsAddTheirAdmissions(GuaranteeKind kind) {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            Reservations rs = Reservations.boot(m);
            TrackedGuarantee g = new TrackedGuarantee(kind.create(m, rs), rs);
            ElementSource<Page> bio = g.source("bio", Elements.pages(m, N, 0));
            ElementSource<Page> vec = g.source("biovec-1", Elements.pages(m, N, 0));
            Page p = bio.alloc(Gfp.GFP_KERNEL);
            assertThat(g.inUse()).as("reservation: pages used from it (none, memory is plentiful); else elements out")
                    .isEqualTo(kind == GuaranteeKind.RESERVATION ? 0 : 1);

            Map<String, Long> expected = new LinkedHashMap<>();
            bio.counters().forEach((k, v) -> expected.put("bio." + k, v));
            vec.counters().forEach((k, v) -> expected.put("biovec-1." + k, v));
            if (kind == GuaranteeKind.RESERVATION) {
                expected.put("reservations.granted", 2L);
                expected.put("reservations.waited", 0L);
                expected.put("reservations.refused", 0L);
                expected.put("reservations.timed_out", 0L);
                expected.put("reservations.wait_ns", 0L);
            }
            Map<String, Long> counters = g.counters();
            assertThat(counters).containsExactlyEntriesOf(expected);
            assertThat(counters.keySet()).allSatisfy(k -> assertThat(k).matches("[a-z0-9-]+\\.[a-z0-9_]+"));
            assertThat(counters).containsKey("bio.failures");
            if (kind.promisesProgress() && kind != GuaranteeKind.RESERVATION) {
                assertThat(counters.get("bio.served_nowait")).isEqualTo(1);
            }

            bio.free(p);
            assertThat(g.inUse()).isZero();
            bio.destroy();
            vec.destroy();
            assertThat(g.counters().keySet()).as("destroyed sources take their counters with them")
                    .allSatisfy(k -> assertThat(k).startsWith("reservations."));
        }
    }

    @org.junit.jupiter.api.Test
    void aReservationsPagesInUseAreItsUsedQuota() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            Reservations rs = Reservations.boot(m);
            TrackedGuarantee g = new TrackedGuarantee(GuaranteeKind.RESERVATION.create(m, rs), rs);
            ElementSource<Page> src = g.source("pages", Elements.pages(m, N, 0));
            // Injected failures stand for "the normal passes failed": the reservation serves.
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 42);
            Page p = src.alloc(Gfp.GFP_NOIO);
            assertThat(p).isNotNull();
            assertThat(g.inUse()).isEqualTo(1);
            assertThat(g.counters()).containsEntry("pages.served_free", 1L).containsEntry("pages.used", 1L);
            src.free(p);
            assertThat(g.inUse()).isZero();
            src.destroy();
        }
    }

    @org.junit.jupiter.api.Test
    void theZoneMaskReachesTheWrappedGuarantee() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            AtomicReference<Elements<?>> seen = new AtomicReference<>();
            Guarantee none = Guarantees.none();
            Guarantee recording = new Guarantee() {
                @Override
                public GuaranteeKind kind() {
                    return none.kind();
                }

                @Override
                public <E> ElementSource<E> source(String name, Elements<E> elements) {
                    seen.set(elements);
                    return none.source(name, elements);
                }
            };
            TrackedGuarantee g = new TrackedGuarantee(recording, null);
            ElementSource<Page> src = g.source("isa", Elements.pages(m, N, 0, Gfp.__GFP_DMA));
            assertThat(seen.get().zones()).isEqualTo(Gfp.__GFP_DMA);
            src.destroy();
        }
    }
}
