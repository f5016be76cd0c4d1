// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.kalloc.kernel.Task;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import dev.kalloc.reservation.Reservations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link ElementSource#counters()} of each guarantee: the names, their order, and that each
 * counter moves when, and only when, its path is taken. The slow paths are reached by making the
 * underlying allocator fail (mempool) or by leaving no free page (reservation).
 */
class GuaranteeCountersTest {
    private static final int MIN_NR = 4;

    /** {@link #MIN_NR} pages, allocated by {@code alloc_pages} unless {@code failing} is set. */
    private static Elements<Page> failable(Machine m, AtomicBoolean failing) {
        Elements<Page> pages = Elements.pages(m, MIN_NR, 0);
        ElementAllocFn<Page> alloc = pages.alloc();
        return pages.allocatedBy(gfp -> failing.get() ? null : alloc.alloc(gfp), pages.free());
    }

    /**
     * The seam's free of null is a no-op under every guarantee, the 2.5.1 pool included (whose
     * own mempool_free would call it a bug): no counter, outstanding count or pool level moves.
     */
    @Test
    void freeingNullThroughTheSeamChangesNothingUnderAnyGuarantee() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            List<Guarantee> guarantees = List.of(Guarantees.mempool(m, MempoolPolicy.LINUX_2_5_1),
                    Guarantees.mempool(m, MempoolPolicy.MODERN), Guarantees.reservation(Reservations.boot(m)),
                    Guarantees.none());
            for (Guarantee g : guarantees) {
                ElementSource<Page> src = g.source("pages", Elements.pages(m, MIN_NR, 0));
                Page held = src.alloc(Gfp.GFP_KERNEL);
                Map<String, Long> before = src.counters();
                src.free(null);
                assertThat(src.counters()).as(g.toString()).isEqualTo(before);
                assertThat(src.outstanding()).as(g.toString()).isEqualTo(1);
                src.free(held);
                assertThat(src.outstanding()).isZero();
                src.destroy();
            }
            m.checkInvariants();
        }
    }

    @Test
    void mempoolCountsEachLevelItsFreesAndItsWaits() throws Exception {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            AtomicBoolean failing = new AtomicBoolean();
            ElementSource<Page> src = Guarantees.mempool(m, MempoolPolicy.LINUX_2_5_1)
                    .source("pages", failable(m, failing));
            assertThat(src.counters()).containsExactly(entry("served_nowait", 0L), entry("served_half_full", 0L),
                    entry("served_full_gfp", 0L), entry("served_nonempty", 0L), entry("served_waited", 0L),
                    entry("freed_to_pool", 0L), entry("freed_to_alloc", 0L), entry("waits", 0L),
                    entry("wait_ns", 0L), entry("wait_timeouts", 0L), entry("failures", 0L), entry("min_nr", 4L), entry("curr_nr", 4L));

            // Memory to spare: level 1 serves, and the frees find the pool full.
            List<Page> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(src.alloc(Gfp.GFP_KERNEL));
            }
            held.forEach(src::free);
            held.clear();
            assertThat(src.counters()).contains(entry("served_nowait", 3L), entry("freed_to_alloc", 3L),
                    entry("freed_to_pool", 0L), entry("curr_nr", 4L));

            // The allocator fails: 2.5.1 takes the pool while more than half full (levels 2),
            // then tries the blocking allocation first (level 3 fails, level 4 serves).
            failing.set(true);
            for (int i = 0; i < MIN_NR; i++) {
                held.add(src.alloc(Gfp.GFP_KERNEL));
            }
            assertThat(held).doesNotContainNull();
            assertThat(src.alloc(Gfp.GFP_ATOMIC)).as("atomic, pool empty").isNull();
            assertThat(src.counters()).contains(entry("served_half_full", 2L), entry("served_full_gfp", 0L),
                    entry("served_nonempty", 2L), entry("failures", 1L), entry("curr_nr", 0L));

            // A sleeping caller waits on the pool until a free refills it (level 5).
            AtomicReference<Page> got = new AtomicReference<>();
            Thread waiter = new Thread(() -> got.set(src.alloc(Gfp.GFP_KERNEL)), "waiter");
            waiter.start();
            assertThat(parked(waiter)).as("the waiter sleeps on the empty pool").isTrue();
            src.free(held.remove(0));
            waiter.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(got.get()).isNotNull();
            held.add(got.get());

            Map<String, Long> c = src.counters();
            assertThat(c).contains(entry("served_waited", 1L), entry("waits", 1L), entry("freed_to_pool", 1L),
                    entry("failures", 1L));
            assertThat(c.get("wait_ns")).as("the sleep is timed").isPositive();
            held.forEach(src::free);
            assertThat(src.counters()).contains(entry("freed_to_pool", 1L + MIN_NR), entry("curr_nr", 4L));
            src.destroy();
        }
    }

    @Test
    void reservationCountsFreeAndDroppedPagesAndItsLimitWaits() throws Exception {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build());
                MemoryHog hog = new MemoryHog(m, "hog")) {
            Reservations rs = Reservations.boot(m);
            hog.fillClean(600);
            // An in-flight limit of 2 under a reservation of MIN_NR pages: elements described as
            // two pages each, of which the allocator takes one, so that the reserve outlasts the limit.
            Elements<Page> pages = Elements.pages(m, 2, 0);
            ElementSource<Page> src = Guarantees.reservation(rs)
                    .source("pages", pages.allocatedBy(pages.alloc(), pages.free()).perElement(MIN_NR / 2));
            assertThat(src.counters()).containsExactly(entry("served_free", 0L), entry("served_after_drop", 0L),
                    entry("dropped_clean", 0L), entry("pinned_waits", 0L), entry("reserve_failures", 0L),
                    entry("limit_waits", 0L), entry("limit_wait_ns", 0L), entry("failures", 0L),
                    entry("avail", 4L), entry("used", 0L));

            // Memory to spare: the normal passes serve and the reservation is not touched.
            src.free(src.alloc(Gfp.GFP_NOIO));
            assertThat(src.counters()).contains(entry("served_free", 0L), entry("served_after_drop", 0L),
                    entry("avail", 4L));

            // No free page left, clean pages backing the reserve: it drops one per allocation.
            List<Page> others = grabAll(m);
            assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isZero();
            Page a = src.alloc(Gfp.GFP_NOIO);
            Page b = src.alloc(Gfp.GFP_NOIO);
            assertThat(a).isNotNull();
            assertThat(b).isNotNull();
            assertThat(src.alloc(Gfp.GFP_ATOMIC)).as("atomic, beyond the in-flight limit").isNull();
            assertThat(src.counters()).contains(entry("served_after_drop", 2L), entry("dropped_clean", 2L),
                    entry("failures", 1L), entry("avail", 2L), entry("used", 2L), entry("limit_waits", 0L));

            // A sleeping caller beyond the limit waits for a free; the freed page serves it.
            AtomicReference<Page> got = new AtomicReference<>();
            Thread waiter = new Thread(() -> got.set(src.alloc(Gfp.GFP_NOIO)), "waiter");
            waiter.start();
            assertThat(parked(waiter)).as("the waiter sleeps at the in-flight limit").isTrue();
            src.free(a);
            waiter.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(got.get()).isNotNull();

            Map<String, Long> c = src.counters();
            assertThat(c).contains(entry("limit_waits", 1L), entry("served_free", 1L), entry("served_after_drop", 2L),
                    entry("reserve_failures", 0L), entry("used", 2L));
            assertThat(c.get("limit_wait_ns")).as("the sleep is timed").isPositive();
            src.free(b);
            src.free(got.get());
            others.forEach(m.pageAlloc()::freePage);
            src.destroy();
        }
    }

    @Test
    void noneCountsOnlyItsFailures() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            AtomicBoolean failing = new AtomicBoolean();
            ElementSource<Page> src = Guarantees.none().source("pages", failable(m, failing));
            assertThat(src.counters()).containsExactly(entry("failures", 0L));
            src.free(src.alloc(Gfp.GFP_KERNEL));
            failing.set(true);
            assertThat(src.alloc(Gfp.GFP_KERNEL)).isNull();
            assertThat(src.counters()).containsExactly(entry("failures", 1L));
            src.destroy();
        }
    }

    /** Every free page, taken as a PF_MEMALLOC task (past the watermarks, but not past R). */
    private static List<Page> grabAll(Machine m) {
        List<Page> pages = new ArrayList<>();
        Task t = m.current();
        int saved = t.setFlags(Task.PF_MEMALLOC);
        try {
            for (Page p = m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 0); p != null;
                    p = m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 0)) {
                pages.add(p);
            }
        } finally {
            t.restoreFlags(saved);
        }
        return pages;
    }

    /**
     * Waits up to 10 s for {@code t} to sleep in {@link WaitQueue#schedule}: a thread merely
     * parked on a lock on its way there would let the test's free arrive before the sleep.
     */
    private static boolean parked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!inSchedule(t)) {
            if (!t.isAlive() || System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    private static boolean inSchedule(Thread t) {
        if (t.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().equals(WaitQueue.class.getName()) && f.getMethodName().equals("schedule")) {
                return true;
            }
        }
        return false;
    }
}
