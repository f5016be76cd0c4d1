// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.highmem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.highmem.Highmem;
import dev.kalloc.highmem.PageFault;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * {@code kmap} of 2.5.1's {@code mm/highmem.c} on a full persistent window: {@code map_new_virtual}
 * finds no slot of count 0 in a whole lap, queues on {@code pkmap_map_wait} under
 * {@code kmap_lock} and sleeps; {@code kunmap_high} that leaves a slot at count 1 tests
 * {@code waitqueue_active} under the same lock and wakes the sleepers, who start over.
 *
 * <p>Invariant, for every schedule: each kmap returns (no lost wake-up: a sleeper left parked
 * with every other thread finished is a deadlock, which Fray reports), its address reaches its
 * own page (the marker read through it is that page's, and no {@link PageFault}), and when every
 * thread is done no slot has users, nobody waits, and the window's invariants hold
 * ({@link Highmem#checkInvariants()}).
 *
 * <p>The machine is 16 frames with pfns 8..15 in ZONE_HIGHMEM, each carrying a marker at offset
 * 0; the window has one slot, so every kmap of a page other than the holder's must wait.
 *
 * <p>Schedules explored: 150 + 300 + 200 (the {@code iterations} below).
 */
@ExtendWith(FrayTestExtension.class)
class KmapFullWindowTest {
    private static final int LOW_FRAMES = 8;
    private static final int FRAMES = 16;

    private Machine machine;
    private Highmem hm;
    private Page p;
    private Page q;
    private Page r;

    /**
     * Boots this schedule's machine and window, inside the schedule (Fray reruns the whole
     * method per schedule, so nothing is shared between two of them), and writes the markers.
     */
    private void boot() {
        machine = Machine.boot(MachineConfig.builder().memory(FRAMES * 4 * MachineConfig.KiB)
                .zoneLimits(0, LOW_FRAMES * 4 * MachineConfig.KiB).maxOrder(3).cpus(2).perCpuLists(false)
                .zoneBalance(128, 0, 0).kswapd(false).oomPolicy(OomPolicy.failAfter(1)).build());
        hm = Highmem.boot(machine, 1);
        for (int pfn = LOW_FRAMES; pfn < FRAMES; pfn++) {
            machine.memory().putLong((long) pfn << 12, marker(machine.pfnToPage(pfn)));
        }
        p = machine.pfnToPage(LOW_FRAMES);
        q = machine.pfnToPage(LOW_FRAMES + 1);
        r = machine.pfnToPage(LOW_FRAMES + 2);
    }

    /**
     * One sleeper: P holds the only slot; another thread's kmap(Q) sleeps (or, if the kunmap of
     * P came first, flushes P's unused slot and takes it); the kunmap of P must let it through.
     */
    @ConcurrencyTest(iterations = 150)
    void kmapWokenByKunmap() throws InterruptedException {
        boot();
        hm.kmap(p);
        Reader q1 = new Reader(q);
        q1.start();
        hm.kunmap(p);
        q1.join();
        q1.assertReadItsPage();
        assertQuiescent();
    }

    /**
     * Two sleepers for two different pages through one slot: the kunmap of P wakes both; one
     * maps its page, the other finds the window full again, queues again and must be woken by
     * the first one's kunmap. A hand-off through the same slot twice, each one a chance to lose
     * a wake-up between the re-check and the sleep.
     */
    @ConcurrencyTest(iterations = 300)
    void twoSleepersTakeTheSlotInTurn() throws InterruptedException {
        boot();
        hm.kmap(p);
        Reader q1 = new Reader(q);
        Reader r1 = new Reader(r);
        q1.start();
        r1.start();
        hm.kunmap(p);
        q1.join();
        r1.join();
        q1.assertReadItsPage();
        r1.assertReadItsPage();
        assertQuiescent();
    }

    /**
     * Two sleepers for the same page: after the wake-up one maps Q, and the other must find Q's
     * mapping on its way back ({@code page->virtual} set while it slept) and share the slot
     * instead of mapping Q a second time, or sleep again while Q's slot is in use.
     */
    @ConcurrencyTest(iterations = 200)
    void twoSleepersShareThePage() throws InterruptedException {
        boot();
        hm.kmap(p);
        Reader q1 = new Reader(q);
        Reader q2 = new Reader(q);
        q1.start();
        q2.start();
        hm.kunmap(p);
        q1.join();
        q2.join();
        q1.assertReadItsPage();
        q2.assertReadItsPage();
        assertQuiescent();
    }

    private void assertQuiescent() {
        hm.checkInvariants();
        assertThat(hm.busySlots()).as("slots with users after every kunmap").isZero();
        assertThat(hm.kmapWaiters()).as("threads still queued on pkmap_map_wait").isZero();
        for (Page page : new Page[] {p, q, r}) {
            assertThat(hm.kmapUsers(page)).as("users of %s", page).isZero();
        }
    }

    private static long marker(Page page) {
        return 0x4B4D_4150_0000_0000L | page.pfn();
    }

    /** Kmaps its page on a thread of its own, reads the page's marker through the mapping, kunmaps it. */
    private final class Reader implements Runnable {
        private final Page page;
        private final Thread thread = new Thread(this);
        private long read;
        private PageFault fault;

        Reader(Page page) {
            this.page = page;
        }

        void start() {
            thread.start();
        }

        void join() throws InterruptedException {
            thread.join();
        }

        @Override
        public void run() {
            long v = hm.kmap(page);
            try {
                read = hm.getLong(v);
            } catch (PageFault f) {
                fault = f;
            } finally {
                hm.kunmap(page);
            }
        }

        void assertReadItsPage() {
            assertThat(fault).as("fault reading %s through its kmap address", page).isNull();
            assertThat(read).as("marker read through %s's kmap address", page).isEqualTo(marker(page));
        }
    }
}
