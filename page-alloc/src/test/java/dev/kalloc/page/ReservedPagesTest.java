// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The page allocator's side of LaHaise's reservations: reserved pages backed by free and clean
 * pages ({@code reserved <= free + clean}), the one slow-path branch to the task's reservation,
 * the accounted free path, and the {@link ReserveAccount} primitives. The reservation module's
 * tests cover the same ground through its API.
 */
class ReservedPagesTest {

    /** One zone, Normal, 1024 frames, 1023 free, pages_min 16; per-CPU lists off. */
    private static Machine boot() {
        return Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build());
    }

    private static List<Page> addClean(Machine m, AddressSpace file, int n) {
        List<Page> pages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pages.add(m.pageCache().addNewPage(file, i, Gfp.GFP_KERNEL));
        }
        return pages;
    }

    private static List<Page> memallocAll(Machine m) {
        List<Page> pages = new ArrayList<>();
        int saved = m.current().setFlags(Task.PF_MEMALLOC);
        try {
            for (Page p = m.pageAlloc().allocPage(Gfp.GFP_ATOMIC); p != null;
                    p = m.pageAlloc().allocPage(Gfp.GFP_ATOMIC)) {
                pages.add(p);
            }
        } finally {
            m.current().restoreFlags(saved);
        }
        return pages;
    }

    @Test
    void cleanPagesBackReservedPagesFirst() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            addClean(m, new AddressSpace("file", null), 100);
            assertThat(z.nrCleanReclaimable()).isEqualTo(100);
            z.addReservedPages(150);
            assertThat(z.freeUnreserved()).isEqualTo(923 - 50);
            assertThat(z.reservedBackedByClean()).isEqualTo(100);
            List<Page> taken = memallocAll(m);
            assertThat(taken).as("F + C - R may fall to 0: F stops at R - C").hasSize(873);
            assertThat(z.freePages()).isEqualTo(50);
            assertThatThrownBy(() -> z.addReservedPages(1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("free");
            m.checkInvariants();
        }
    }

    @Test
    void dirtyingIsRefusedWhenItWouldUnbackReservedPages() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            List<Page> clean = addClean(m, new AddressSpace("file", null), 10);
            z.addReservedPages(10);
            List<Page> taken = memallocAll(m);
            assertThat(z.freePages()).isZero();
            assertThat(m.pageCache().setPageDirty(clean.get(0), Gfp.GFP_ATOMIC)).isFalse();
            assertThatThrownBy(() -> m.pageCache().setPageDirty(clean.get(0)))
                    .isInstanceOf(IllegalStateException.class);
            m.pageAlloc().freePage(taken.remove(0));
            assertThat(m.pageCache().setPageDirty(clean.get(0), Gfp.GFP_ATOMIC)).isTrue();
            assertThat(z.nrCleanReclaimable()).isEqualTo(9);
            m.checkInvariants();
        }
    }

    /** A pinned clean page removed while reserved pages depend on it stays counted until freed. */
    @Test
    void pinnedOrphansKeepBacking() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            AddressSpace file = new AddressSpace("file", null);
            List<Page> clean = addClean(m, file, 3);
            z.addReservedPages(3);
            Page ref = m.pageCache().findGetPage(file, 1);
            m.pageCache().removePage(clean.get(1));
            assertThat(ref.testFlag(Page.PG_orphan)).isTrue();
            assertThat(z.nrCleanReclaimable()).isEqualTo(3);
            m.checkInvariants();
            int free = z.freePages();
            m.pageAlloc().putPage(ref);
            assertThat(z.freePages()).isEqualTo(free + 1);
            assertThat(z.nrCleanReclaimable()).isEqualTo(2);
            m.checkInvariants();
        }
    }

    /** The reservation hook runs only after the watermark passes fail, and for injected failures. */
    @Test
    void theReservationBranchRunsOnlyWhenThePassesFail() {
        try (Machine m = boot()) {
            AtomicInteger calls = new AtomicInteger();
            PageReservation counting = (gfp, order, zonelist) -> {
                calls.incrementAndGet();
                return null;
            };
            m.current().set(PageReservation.SLOT, counting);
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThat(calls).hasValue(0);
            m.pageAlloc().freePage(p);
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)).isNull();
            assertThat(calls).hasValue(1);
            m.pageAlloc().failPageAlloc().attr().disable();
            m.current().set(PageReservation.SLOT, null);
            List<Page> all = memallocAll(m);
            m.current().set(PageReservation.SLOT, counting);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC)).isNull();
            assertThat(calls).hasValue(2);
            m.current().set(PageReservation.SLOT, null);
            all.forEach(m.pageAlloc()::freePage);
        }
    }

    @Test
    void anAccountsQuotaComesBackOnFree() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageAllocator pa = m.pageAlloc();
            ReserveAccount a = new ReserveAccount(m, "a", Gfp.GFP_KERNEL, true);
            assertThat(pa.reservePages(a, Gfp.GFP_ATOMIC, 8, 0)).isEqualTo(ReserveAccount.Admission.GRANTED);
            assertThat(pa.reservePages(a, Gfp.GFP_ATOMIC, 1000, 0)).isEqualTo(ReserveAccount.Admission.REFUSED);
            Page block = pa.allocFromReserve(a, Gfp.GFP_ATOMIC, 3, pa.zonelist(Gfp.GFP_KERNEL));
            assertThat(block.reserveAccount()).isSameAs(a);
            assertThat(List.of(a.avail(), a.used(), z.reservedPages())).containsExactly(0, 8, 0);
            m.checkInvariants();
            pa.freePages(block, 3);
            assertThat(List.of(a.avail(), a.used(), z.reservedPages())).containsExactly(8, 0, 8);
            pa.destroyReserve(a);
            assertThat(z.reservedPages()).isZero();
            m.checkInvariants();
        }
    }
}
