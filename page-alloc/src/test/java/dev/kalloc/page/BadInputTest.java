// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.TinyMachines;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Misuse of the page allocator: every case throws a clear exception and leaves every structure
 * exactly as it was (free lists in order, per-CPU lists, counters, every page's state, order,
 * count and flags), and the invariants still hold. Each test runs with per-CPU lists off and on.
 */
class BadInputTest {

    private static Machine boot(boolean perCpuLists) {
        return Machine.boot(TinyMachines.threeZones().perCpuLists(perCpuLists).build());
    }

    /** Runs {@code misuse}, expecting {@code type}, and checks that nothing changed. */
    private static void assertRejectedUnchanged(Machine m, Class<? extends Throwable> type, String message,
            ThrowingCallable misuse) {
        m.checkInvariants();
        MachineState before = MachineState.of(m);
        assertThatThrownBy(misuse).isInstanceOf(type).hasMessageContaining(message);
        assertThat(MachineState.of(m)).isEqualTo(before);
        m.checkInvariants();
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void doubleFree(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page p = pa.allocPage(Gfp.GFP_KERNEL);
            pa.freePage(p);
            // With per-CPU lists on, p now sits on a per-CPU list ("double free"); off, it merged
            // with its free buddy into a block it does not head ("not the head"). Either way the
            // message names the page.
            String name = p.toString();
            assertRejectedUnchanged(m, KernelBug.class, name, () -> pa.freePage(p));
            assertRejectedUnchanged(m, KernelBug.class, name, () -> pa.freePagesAddr(p.physAddr(), 0));
            assertRejectedUnchanged(m, KernelBug.class, name, () -> pa.freeColdPage(p));
            assertRejectedUnchanged(m, KernelBug.class, "put_page", () -> pa.putPage(p));
            assertRejectedUnchanged(m, KernelBug.class, "get_page", p::get);

            Page big = pa.allocPages(Gfp.GFP_KERNEL, 3);
            pa.freePages(big, 3);
            assertRejectedUnchanged(m, KernelBug.class, "free", () -> pa.freePages(big, 3));
        }
    }

    @Test
    void freeOfAPageOnAPerCpuList() {
        try (Machine m = boot(true)) {
            PageAllocator pa = m.pageAlloc();
            Page hot = pa.allocPage(Gfp.GFP_KERNEL);
            Page cold = pa.allocPage(Gfp.GFP_KERNEL);
            pa.freePage(hot);
            pa.freeColdPage(cold);
            PerCpuPages[] lists = hot.zone().pageset[m.current().cpu()];
            assertThat(lists[0].contains(hot)).isTrue();
            assertThat(lists[1].contains(cold)).isTrue();
            for (Page p : new Page[] {hot, cold}) {
                assertRejectedUnchanged(m, KernelBug.class, "per-cpu list", () -> pa.freePage(p));
                assertRejectedUnchanged(m, KernelBug.class, "per-cpu list", () -> pa.freeColdPage(p));
                assertRejectedUnchanged(m, KernelBug.class, "per-cpu list", () -> pa.freePages(p, 1));
                assertRejectedUnchanged(m, KernelBug.class, "put_page", () -> pa.putPage(p));
            }
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void freeWithTheWrongOrder(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page p = pa.allocPages(Gfp.GFP_KERNEL, 2);
            assertRejectedUnchanged(m, KernelBug.class, "order 1", () -> pa.freePages(p, 1));
            assertRejectedUnchanged(m, KernelBug.class, "order 3", () -> pa.freePages(p, 3));
            assertRejectedUnchanged(m, KernelBug.class, "order 0", () -> pa.freePage(p));
            assertRejectedUnchanged(m, KernelBug.class, "order 0", () -> pa.freeColdPage(p));
            pa.freePages(p, 2);
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void freeOfATailPage(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page head = pa.allocPages(Gfp.GFP_KERNEL, 2);
            for (int i = 1; i < 4; i++) {
                Page tail = m.pfnToPage(head.pfn() + i);
                assertRejectedUnchanged(m, KernelBug.class, "not the head", () -> pa.freePage(tail));
                assertRejectedUnchanged(m, KernelBug.class, "not the head", () -> pa.freePages(tail, 2));
                assertRejectedUnchanged(m, KernelBug.class, "put_page", () -> pa.putPage(tail));
            }
            // a page inside a free block is a tail too
            Page inFreeBlock = m.pfnToPage(m.zone(Zone.ZONE_NORMAL).startPfn() + 1);
            assertThat(inFreeBlock.isAllocated()).isFalse();
            assertRejectedUnchanged(m, KernelBug.class, "not the head", () -> pa.freePage(inFreeBlock));
            pa.freePages(head, 2);
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void orderOutOfRange(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            int maxOrder = m.config().maxOrder();
            for (int order : new int[] {-1, maxOrder, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
                assertRejectedUnchanged(m, IllegalArgumentException.class, "order " + order,
                        () -> pa.allocPages(Gfp.GFP_KERNEL, order));
                assertRejectedUnchanged(m, IllegalArgumentException.class, "order " + order,
                        () -> pa.allocPages(Gfp.GFP_ATOMIC, order));
                assertRejectedUnchanged(m, IllegalArgumentException.class, "order " + order,
                        () -> pa.getFreePages(Gfp.GFP_KERNEL, order));
                Page p = pa.allocPage(Gfp.GFP_KERNEL);
                assertRejectedUnchanged(m, IllegalArgumentException.class, "order " + order,
                        () -> pa.freePages(p, order));
                assertRejectedUnchanged(m, IllegalArgumentException.class, "order " + order,
                        () -> pa.freePagesAddr(p.physAddr(), order));
                pa.freePage(p);
            }
        }
        // MAX_ORDER - 1 is fine (PF_MEMALLOC: Normal's only top-order block is all of Normal)
        try (Machine m = boot(pcp)) {
            int maxOrder = m.config().maxOrder();
            int saved = m.current().setFlags(Task.PF_MEMALLOC);
            Page top = m.pageAlloc().allocPages(Gfp.GFP_KERNEL, maxOrder - 1);
            m.current().restoreFlags(saved);
            assertThat(top).isNotNull();
            assertThat(top.order()).isEqualTo(maxOrder - 1);
            m.pageAlloc().freePages(top, maxOrder - 1);
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void freeOfAPageWithReferencesLeft(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page p = pa.allocPage(Gfp.GFP_KERNEL);
            p.get();
            assertThat(p.count()).isEqualTo(2);
            assertRejectedUnchanged(m, KernelBug.class, "2 references", () -> pa.freePage(p));
            assertRejectedUnchanged(m, KernelBug.class, "count 2", () -> pa.freeColdPage(p));
            pa.putPage(p);
            assertThat(p.count()).isEqualTo(1);
            assertThat(p.isAllocated()).isTrue();
            pa.freePage(p);
            assertThat(p.isAllocated()).isFalse();
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void putPageDropsAReferenceAndTheLastFreesWithTheAllocatedOrder(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Zone z = m.zone(Zone.ZONE_NORMAL);
            int free0 = z.freePages();
            Page p = pa.allocPages(Gfp.GFP_KERNEL, 2);
            p.get();
            p.get();
            pa.putPage(p);
            pa.putPage(p);
            assertThat(p.count()).isEqualTo(1);
            assertThat(z.freePages()).isEqualTo(free0 - 4);
            pa.putPage(p);
            assertThat(p.count()).isZero();
            assertThat(p.isAllocated()).isFalse();
            assertThat(z.freePages()).isEqualTo(free0);
            assertRejectedUnchanged(m, KernelBug.class, "put_page", () -> pa.putPage(p));
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void freeOfAPageStillInThePageCache(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            AddressSpace file = new AddressSpace("file", null);
            Page p = m.pageCache().addNewPage(file, 7, Gfp.GFP_KERNEL);
            assertRejectedUnchanged(m, KernelBug.class, "page cache", () -> pa.freePage(p));
            assertRejectedUnchanged(m, KernelBug.class, "page cache", () -> pa.putPage(p));
            assertRejectedUnchanged(m, KernelBug.class, "page cache", () -> pa.freeColdPage(p));
            m.pageCache().removePage(p);
            assertThat(p.isAllocated()).isFalse();
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void freeOfASlabPageOrALockedOrWritebackPage(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page p = pa.allocPage(Gfp.GFP_KERNEL);
            for (int flag : new int[] {Page.PG_slab, Page.PG_locked, Page.PG_writeback}) {
                p.setFlag(flag);
                assertRejectedUnchanged(m, KernelBug.class, "freeing", () -> pa.freePage(p));
                assertRejectedUnchanged(m, KernelBug.class, "freeing", () -> pa.putPage(p));
                p.clearFlag(flag);
            }
            pa.freePage(p);
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void freeOfTheReservedPfnZero(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page zero = m.pfnToPage(0);
            assertRejectedUnchanged(m, KernelBug.class, "reserved", () -> pa.freePage(zero));
            // Not through free_pages(0, 0): address 0 is the kernel's "nothing" (nullAndZeroAsTheKernelHasThem).
            assertRejectedUnchanged(m, KernelBug.class, "reserved", () -> pa.putPage(zero));
            assertRejectedUnchanged(m, KernelBug.class, "reserved", () -> pa.freeColdPage(zero));
            // a second reference can be taken and dropped, but the last one is never dropped
            zero.get();
            pa.putPage(zero);
            assertThat(zero.count()).isEqualTo(1);
            assertThat(zero.isAllocated()).isTrue();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void aPageOfAnotherMachine(boolean pcp) {
        try (Machine m = boot(pcp); Machine other = boot(pcp)) {
            Page foreign = other.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            MachineState otherBefore = MachineState.of(other);
            assertRejectedUnchanged(m, IllegalArgumentException.class, "another machine",
                    () -> m.pageAlloc().freePage(foreign));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "another machine",
                    () -> m.pageAlloc().putPage(foreign));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "another machine",
                    () -> m.pageAlloc().freeColdPage(foreign));
            assertThat(MachineState.of(other)).isEqualTo(otherBefore);
            other.pageAlloc().freePage(foreign);
            other.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void badAddressesToFreePagesAddr(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page p = pa.allocPage(Gfp.GFP_KERNEL);
            long size = m.memory().size();
            assertRejectedUnchanged(m, IllegalArgumentException.class, "not page aligned",
                    () -> pa.freePagesAddr(p.physAddr() + 1, 0));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "not page aligned",
                    () -> pa.freePagesAddr(p.physAddr() + 2048, 0));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "outside RAM", () -> pa.freePagesAddr(size, 0));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "outside RAM",
                    () -> pa.freePagesAddr(-PhysicalMemory.PAGE_SIZE, 0));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "outside RAM",
                    () -> pa.freePagesAddr(Long.MAX_VALUE & PhysicalMemory.PAGE_MASK, 0));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "outside RAM", () -> m.pfnToPage(1024));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "outside RAM", () -> m.pfnToPage(-1));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "is not in zone",
                    () -> m.zone(Zone.ZONE_DMA).page(256));
            assertRejectedUnchanged(m, IllegalArgumentException.class, "zone index", () -> m.zone(3));
            pa.freePagesAddr(p.physAddr(), 0);
            m.checkInvariants();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void getOnAFreePage(boolean pcp) {
        try (Machine m = boot(pcp)) {
            Page free = m.pfnToPage(m.zone(Zone.ZONE_NORMAL).startPfn());
            assertRejectedUnchanged(m, KernelBug.class, "get_page", free::get);
            assertThat(free.count()).isZero();
        }
    }

    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void nullAndZeroAsTheKernelHasThem(boolean pcp) {
        try (Machine m = boot(pcp)) {
            PageAllocator pa = m.pageAlloc();
            Page held = pa.allocPage(Gfp.GFP_KERNEL); // something allocated, so "unchanged" means something
            // __free_pages(NULL) oopses in the kernel: a named bug here, never a NullPointerException.
            assertRejectedUnchanged(m, KernelBug.class, "__free_pages(NULL, 0)", () -> pa.freePage(null));
            assertRejectedUnchanged(m, KernelBug.class, "__free_pages(NULL, 2)", () -> pa.freePages(null, 2));
            assertRejectedUnchanged(m, KernelBug.class, "__free_pages(NULL, 0)", () -> pa.freeColdPage(null));
            assertRejectedUnchanged(m, KernelBug.class, "put_page(NULL)", () -> pa.putPage(null));
            assertRejectedUnchanged(m, KernelBug.class, "remove_inode_page(NULL)",
                    () -> m.pageCache().removePage(null));
            // free_pages(0, order) is "nothing", as __get_free_pages' failure value is meant to be freed.
            m.checkInvariants();
            MachineState before = MachineState.of(m);
            pa.freePagesAddr(0, 0);
            pa.freePagesAddr(0, 3);
            assertThat(MachineState.of(m)).isEqualTo(before);
            pa.freePage(held);
            m.checkInvariants();
        }
    }
}
