package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.kernel.Task;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test: seeded random allocation/free traces run on a booted machine (per-CPU lists
 * off) and on {@link Reference}, a deliberately naive model of the 2.4 algorithm written from
 * the kernel's description, and every returned page frame number must agree, as must every free
 * list (order and contents) after every step.
 */
class BuddyDifferentialTest {
    private static final int MAX_ORDER = 10;
    private static final int STEPS = 4000;

    /**
     * The 2.4 buddy allocator and the {@code __alloc_pages} passes without cleverness: free lists
     * are deques of zone-relative block starts (head = first), allocation takes the head of the
     * smallest non-empty order and halves it, keeping the upper half and pushing each lower half
     * on the head of the list below; a free merges while the buddy's start is found, by linear
     * search, on the list of the same order, then pushes on the head.
     */
    static final class Reference {
        final int[] start;
        final int[] size;
        final int[] free;
        final int[] pagesMin;
        final int[] pagesLow;
        final List<List<Deque<Integer>>> lists = new ArrayList<>();

        Reference(Machine m) {
            int n = Zone.MAX_NR_ZONES;
            start = new int[n];
            size = new int[n];
            free = new int[n];
            pagesMin = new int[n];
            pagesLow = new int[n];
            for (int z = 0; z < n; z++) {
                List<Deque<Integer>> perOrder = new ArrayList<>();
                for (int k = 0; k < MAX_ORDER; k++) {
                    perOrder.add(new ArrayDeque<>());
                }
                lists.add(perOrder);
                Zone zone = m.zone(z);
                if (zone != null) {
                    start[z] = zone.startPfn();
                    size[z] = zone.size();
                    pagesMin[z] = zone.pagesMin();
                    pagesLow[z] = zone.pagesLow();
                    for (int idx = 0; idx < size[z]; idx++) {
                        if (start[z] + idx != 0) {
                            free(z, idx, 0);
                        }
                    }
                }
            }
        }

        Integer rmqueue(int z, int order) {
            List<Deque<Integer>> l = lists.get(z);
            for (int k = order; k < MAX_ORDER; k++) {
                if (!l.get(k).isEmpty()) {
                    int block = l.get(k).pollFirst();
                    while (k > order) {
                        k--;
                        l.get(k).addFirst(block);
                        block += 1 << k;
                    }
                    free[z] -= 1 << order;
                    return start[z] + block;
                }
            }
            return null;
        }

        void free(int z, int idx, int order) {
            List<Deque<Integer>> l = lists.get(z);
            free[z] += 1 << order;
            while (order < MAX_ORDER - 1) {
                Integer buddy = idx ^ (1 << order);
                if (!l.get(order).remove(buddy)) {
                    break;
                }
                idx &= ~(1 << order);
                order++;
            }
            l.get(order).addFirst(idx);
        }

        /** GFP_ATOMIC-class request (no __GFP_WAIT): fast pass, atomic second pass, PF_MEMALLOC. */
        Integer alloc(int[] zonelist, int order, boolean memalloc) {
            long min = 1L << order;
            for (int z : zonelist) {
                min += pagesLow[z];
                if (free[z] > min) {
                    Integer pfn = rmqueue(z, order);
                    if (pfn != null) {
                        return pfn;
                    }
                }
            }
            min = 1L << order;
            for (int z : zonelist) {
                min += pagesMin[z] >> 2;
                if (free[z] > min) {
                    Integer pfn = rmqueue(z, order);
                    if (pfn != null) {
                        return pfn;
                    }
                }
            }
            if (memalloc) {
                for (int z : zonelist) {
                    Integer pfn = rmqueue(z, order);
                    if (pfn != null) {
                        return pfn;
                    }
                }
            }
            return null;
        }

        List<List<Integer>> pfnLists(int z) {
            List<List<Integer>> out = new ArrayList<>();
            for (Deque<Integer> d : lists.get(z)) {
                List<Integer> l = new ArrayList<>();
                for (int idx : d) {
                    l.add(start[z] + idx);
                }
                out.add(l);
            }
            return out;
        }
    }

    /** Request classes, HighMem-capable ones twice as often; each with its zonelist below. */
    private static final int[] GFPS = {Gfp.GFP_ATOMIC, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM,
        Gfp.GFP_ATOMIC | Gfp.__GFP_DMA, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM};
    private static final int[][] ZONELISTS = {{1, 0}, {2, 1, 0}, {0}, {2, 1, 0}};

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 20011215})
    void everyReturnedFrameMatchesTheReferenceModel(long seed) {
        // 4 MiB: DMA 256 pages (pfn 0 reserved), Normal 512, HighMem 256, MAX_ORDER 10 (blocks
        // of up to 512 pages, so Normal is one top-order block and the others are order 8).
        MachineConfig config = MachineConfig.builder()
                .memory(4 * MachineConfig.MiB)
                .zoneLimits(MachineConfig.MiB, 3 * MachineConfig.MiB)
                .cpus(1)
                .maxOrder(MAX_ORDER)
                .perCpuLists(false)
                .zoneBalance(32, 4, 255)
                .kswapd(false)
                .build();
        try (Machine m = Machine.boot(config)) {
            PageAllocator pa = m.pageAlloc();
            Reference ref = new Reference(m);
            assertSameLists(m, ref, "boot");
            SplittableRandom rnd = new SplittableRandom(seed);
            List<Page> held = new ArrayList<>();
            int returned = 0;
            int nulls = 0;
            for (int step = 0; step < STEPS; step++) {
                boolean alloc = held.isEmpty() || rnd.nextInt(100) < (held.size() < 200 ? 60 : 40);
                if (alloc) {
                    int g = rnd.nextInt(GFPS.length);
                    int order = randomOrder(rnd);
                    boolean memalloc = rnd.nextInt(10) == 0;
                    Task t = m.current();
                    int saved = memalloc ? t.setFlags(Task.PF_MEMALLOC) : t.flags();
                    Page page;
                    try {
                        page = pa.allocPages(GFPS[g], order);
                    } finally {
                        t.restoreFlags(saved);
                    }
                    Integer expected = ref.alloc(ZONELISTS[g], order, memalloc);
                    String what = "step " + step + ": " + Gfp.toString(GFPS[g]) + " order " + order
                            + (memalloc ? " PF_MEMALLOC" : "");
                    if (expected == null) {
                        assertThat(page).as(what).isNull();
                        nulls++;
                    } else {
                        assertThat(page).as(what).isNotNull();
                        assertThat(page.pfn()).as(what).isEqualTo(expected);
                        assertThat(page.order()).isEqualTo(order);
                        held.add(page);
                        returned++;
                    }
                } else {
                    Page page = held.remove(rnd.nextInt(held.size()));
                    int z = page.zone().index();
                    ref.free(z, page.pfn() - ref.start[z], page.order());
                    pa.freePages(page, page.order());
                }
                assertSameLists(m, ref, "step " + step);
            }
            // The trace must have exercised both outcomes and every zone's lists to mean something.
            assertThat(returned).isGreaterThan(STEPS / 3);
            assertThat(nulls).isGreaterThan(0);
            for (Page p : held) {
                pa.freePages(p, p.order());
            }
            m.checkInvariants();
        }
    }

    private static int randomOrder(SplittableRandom rnd) {
        int r = rnd.nextInt(100);
        if (r < 55) {
            return 0;
        } else if (r < 75) {
            return 1;
        } else if (r < 95) {
            return 2 + rnd.nextInt(3);
        }
        return 5 + rnd.nextInt(MAX_ORDER - 5);
    }

    private static void assertSameLists(Machine m, Reference ref, String when) {
        for (Zone z : m.zones()) {
            assertThat(MachineState.freeLists(z)).as(when + ", zone " + z.name()).isEqualTo(ref.pfnLists(z.index()));
            assertThat(z.freePages()).as(when + ", zone " + z.name() + " free pages").isEqualTo(ref.free[z.index()]);
        }
    }
}
