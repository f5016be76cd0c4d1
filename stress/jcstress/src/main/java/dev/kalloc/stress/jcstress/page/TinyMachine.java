// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.Zone;
import dev.kalloc.page.testing.HeldPages;

/**
 * The machine every page-allocator test builds, and the setup steps that bring it to an exact
 * state: 16 frames (64 KiB) in one zone, so a jcstress run can boot one per state object for the
 * price of 16 {@link Page} descriptors (physical memory is never touched, so never allocated).
 *
 * <h2>The machine</h2>
 * <ul>
 *   <li>One zone, ZONE_NORMAL, pfns 0..15 ({@code zoneLimits(0, 64 KiB)}): every gfp mask without
 *       {@code __GFP_DMA} allocates from it and nothing falls back elsewhere.</li>
 *   <li>{@code MAX_ORDER} 3: blocks of 1, 2 and 4 pages. After boot (pfn 0 is reserved) the free
 *       lists are: order 0 {1}, order 1 {2-3}, order 2 {4-7, 8-11, 12-15}.</li>
 *   <li>Watermarks all 0 ({@code zoneBalance(128, 0, 0)}): an order-0 allocation passes while
 *       {@code free_pages > 1}. As in 2.4, only a {@code PF_MEMALLOC} task takes the very last
 *       page.</li>
 *   <li>No kswapd (no thread per state object); per-CPU lists and CPUs as each test asks. A zone
 *       this small gets {@code batch} 1: the hot list refills one page when it holds
 *       {@value #PCP_LOW} or fewer, and drains one page before a free when it holds
 *       {@value #PCP_HIGH}.</li>
 * </ul>
 *
 * <h2>Setup</h2>
 * {@link #takeAll()} allocates every free page (order 0, {@code PF_MEMALLOC}); the test then gives
 * back exactly the pfns it wants free with {@link #release(int...)} (both through the shared test
 * kit's {@link HeldPages}). Because the buddy system's
 * state is canonical for a given set of free pages (every pair that can merge has merged), the
 * resulting free lists do not depend on how the allocations were served. Setup runs in the
 * thread that constructs the state object, before the actors start.
 */
final class TinyMachine {
    /** Frames in the machine, pfn 0 (reserved) included. */
    static final int FRAMES = 16;
    /** {@code MAX_ORDER}: orders 0, 1 and 2. */
    static final int MAX_ORDER = 3;
    /** The hot per-CPU list's {@code low} for a zone of {@value #FRAMES} frames (2 * batch). */
    static final int PCP_LOW = 2;
    /** The hot per-CPU list's {@code high} for a zone of {@value #FRAMES} frames (6 * batch). */
    static final int PCP_HIGH = 6;

    /** Per-CPU lists off: every free goes straight to the buddy lists. */
    static final MachineConfig BUDDY_ONLY = base().perCpuLists(false).build();
    /** Per-CPU lists on, one CPU: every thread shares cpu 0's lists. */
    static final MachineConfig ONE_CPU_PCP = base().perCpuLists(true).cpus(1).build();
    /** Per-CPU lists off, sleeping allocations wait for a free however long it takes. */
    static final MachineConfig BUDDY_ONLY_WAITING = base().perCpuLists(false).oomPolicy(OomPolicy.waitForFree())
            .build();
    /** Per-CPU lists on, two CPUs, sleeping allocations wait for a free however long it takes. */
    static final MachineConfig TWO_CPU_PCP_WAITING = base().perCpuLists(true).cpus(2)
            .oomPolicy(OomPolicy.waitForFree()).build();

    final Machine machine;
    final Zone zone;
    /** The pages {@link #takeAll()} handed out, until released or taken. */
    private final HeldPages held;

    TinyMachine(MachineConfig config) {
        this.machine = Machine.boot(config);
        this.zone = machine.zone(Zone.ZONE_NORMAL);
        this.held = new HeldPages(machine);
    }

    private static MachineConfig.Builder base() {
        long memory = (long) FRAMES * PhysicalMemory.PAGE_SIZE;
        return MachineConfig.builder().memory(memory).zoneLimits(0, memory).maxOrder(MAX_ORDER).cpus(1)
                .zoneBalance(128, 0, 0).kswapd(false);
    }

    /**
     * Allocates every free page of the machine as an order-0 page, with {@code PF_MEMALLOC} so the
     * watermarks do not hold the last one back. Per-CPU lists end empty.
     *
     * @return this, for chaining
     */
    TinyMachine takeAll() {
        held.takeAll();
        return this;
    }

    /**
     * Allocates as a {@code PF_MEMALLOC} task (one doing reclaim), which ignores the watermarks
     * and may take the very last free block. Call it from the thread that should allocate.
     *
     * @return the block, or null if no free block of {@code order} or larger exists
     */
    Page allocMemalloc(int order) {
        return held.allocMemalloc(order);
    }

    /**
     * Frees the pages {@link #takeAll()} handed out at {@code pfns}, in that order: to the buddy
     * lists, or to the calling thread's per-CPU list when those are on.
     *
     * @return this, for chaining
     */
    TinyMachine release(int... pfns) {
        held.release(pfns);
        return this;
    }

    /** {@link #release(int...)} of every pfn in {@code [from, to]}. */
    TinyMachine releaseRange(int from, int to) {
        for (int pfn = from; pfn <= to; pfn++) {
            release(pfn);
        }
        return this;
    }

    /** Empties every per-CPU list into the buddy lists. */
    TinyMachine drain() {
        machine.pageAlloc().drainAllPages();
        return this;
    }

    /**
     * Hands the test the page {@link #takeAll()} allocated at {@code pfn}; it leaves this
     * fixture's bookkeeping, and the test frees it.
     */
    Page take(int pfn) {
        return held.take(pfn);
    }

    /**
     * Pages counted allocated while the test holds none: the reserved pfn 0 and the pages
     * {@link #takeAll()} handed out that are neither released nor taken.
     */
    int allocatedByFixture() {
        return 1 + held.count();
    }

    /**
     * Asserts setup reached the state the test was written for: {@code freePages} on the buddy
     * lists and {@code perCpuPages} on the per-CPU lists. A failure here is a changed allocator
     * (say, another per-CPU batch size), not a race: the state object cannot be built.
     *
     * @return this, for chaining
     */
    TinyMachine expect(int freePages, int perCpuPages) {
        check(zone.freePages() == freePages && zone.perCpuPages() == perCpuPages, "setup reached free="
                + zone.freePages() + " per-cpu=" + zone.perCpuPages() + ", expected free=" + freePages
                + " per-cpu=" + perCpuPages);
        return this;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("TinyMachine setup: " + what);
        }
    }
}
