// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The 2.6 modifiers a modern mempool ORs into its mask ({@code __GFP_NOWARN},
 * {@code __GFP_NORETRY}, {@code __GFP_NOMEMALLOC}) are accepted by {@code kmem_cache_alloc} and
 * {@code kmalloc} and reach the page allocator when a cache grows ({@code SLAB_LEVEL_MASK}, as in
 * 2.6): a grow for a NORETRY caller on a full machine gives up instead of waiting for frees, and
 * a grow for a NOMEMALLOC caller does not take the emergency reserve.
 */
class GfpModifiersPassThroughTest {
    /** Failure guard only: the call would hang in the page allocator if the bit were dropped. */
    private static final Duration GUARD = Duration.ofSeconds(30);
    private static final int ALL_THREE = Gfp.__GFP_NOWARN | Gfp.__GFP_NORETRY | Gfp.__GFP_NOMEMALLOC;

    private static Machine machine(OomPolicy policy) {
        Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).cpus(2).kswapd(false)
                .perCpuLists(false).oomPolicy(policy).build());
        m.bindCurrentThread(0);
        return m;
    }

    /** Takes pages with {@code gfp} (and the task flags {@code pf}) until the allocator refuses. */
    private static List<Page> exhaust(Machine m, int gfp, int pf) {
        List<Page> held = new ArrayList<>();
        Task t = m.current();
        int saved = t.setFlags(pf);
        try {
            for (Page p; (p = m.pageAlloc().allocPage(gfp)) != null;) {
                held.add(p);
            }
        } finally {
            t.restoreFlags(saved);
        }
        return held;
    }

    @Test
    void theModifiersAreAcceptedAndUnknownBitsStillRefused() {
        try (Machine m = machine(OomPolicy.failAfter(1))) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("modern", 256, 0, 0, null, null);
            long o = c.alloc(SlabFlags.SLAB_NOIO | ALL_THREE);
            assertThat(o).isNotZero();
            long k = s.kmalloc(100, Gfp.GFP_KERNEL | ALL_THREE);
            assertThat(k).isNotZero();
            String before = s.slabinfo();
            assertThatThrownBy(() -> c.alloc(SlabFlags.SLAB_NOIO | ALL_THREE | 0x40000))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown bits 0x40000");
            assertThat(s.slabinfo()).isEqualTo(before);
            c.free(o);
            s.kfree(k);
            Tiny.check(m, s);
        }
    }

    @Test
    void slabLevelMaskPassesTheModifiersOn() {
        assertThat(SlabFlags.SLAB_LEVEL_MASK & ALL_THREE).isEqualTo(ALL_THREE);
        assertThat(SlabFlags.SLAB_LEVEL_MASK & SlabFlags.SLAB_NO_GROW).isZero();
    }

    /**
     * Every page taken, the OOM policy waits for frees: a grow with {@code SLAB_KERNEL} would
     * sleep in the page allocator; with {@code __GFP_NORETRY} it returns 0 after one reclaim
     * round, without an OOM round.
     */
    @Test
    void aNoretryGrowOnAFullMachineFailsInsteadOfWaiting() {
        try (Machine m = machine(OomPolicy.waitForFree())) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("noretry", 256, 0, 0, null, null);
            List<Page> held = exhaust(m, Gfp.GFP_KERNEL, Task.PF_MEMALLOC);
            assertThat(held).isNotEmpty();
            long stalls = m.pageAlloc().allocStalls();

            long o = assertTimeoutPreemptively(GUARD, () -> c.alloc(SlabFlags.SLAB_KERNEL | Gfp.__GFP_NORETRY));

            assertThat(o).isZero();
            assertThat(c.numSlabs()).isZero();
            assertThat(m.pageAlloc().allocStalls()).isEqualTo(stalls + 1);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(m.pageAlloc().waiters()).isZero();
            held.forEach(m.pageAlloc()::freePage);
            Tiny.check(m, s);
        }
    }

    /**
     * Free memory down to a quarter of {@code pages_min}: a PF_MEMALLOC task grows the cache
     * from the reserve below it, unless the mask says {@code __GFP_NOMEMALLOC}.
     */
    @Test
    void aNomemallocGrowDoesNotTakeTheEmergencyReserve() {
        try (Machine m = machine(OomPolicy.failAfter(1))) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("nomemalloc", 256, 0, 0, null, null);
            List<Page> held = exhaust(m, Gfp.GFP_ATOMIC, 0);
            long free = m.pageAlloc().nrFreePages();
            assertThat(free).isPositive();
            Task t = m.current();
            int saved = t.setFlags(Task.PF_MEMALLOC);
            try {
                assertThat(c.alloc(SlabFlags.SLAB_ATOMIC | Gfp.__GFP_NOMEMALLOC)).isZero();
                assertThat(c.numSlabs()).isZero();
                assertThat(m.pageAlloc().nrFreePages()).isEqualTo(free);
                long o = c.alloc(SlabFlags.SLAB_ATOMIC);
                assertThat(o).isNotZero();
                assertThat(m.pageAlloc().nrFreePages()).isLessThan(free);
                c.free(o);
            } finally {
                t.restoreFlags(saved);
            }
            held.forEach(m.pageAlloc()::freePage);
            Tiny.check(m, s);
        }
    }
}
