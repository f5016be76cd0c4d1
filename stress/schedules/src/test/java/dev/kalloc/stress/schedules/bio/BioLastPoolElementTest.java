// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.bio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabConfig;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * {@code bio_alloc} of 2.5.1's {@code fs/bio.c} at the last element its guarantee holds, racing
 * the completion that gives an element back ({@code bio_put} at the last reference:
 * {@code bio_destructor}, then the guarantee's free).
 *
 * <ul>
 *   <li>Mempool (2.5.1 and modern order): the bio pool holds one element and the "bio" slab
 *       cache fails every allocation (failslab), so the pool is the only source. A sleeping
 *       allocation with the pool empty waits on the pool and must get the completed bio; an
 *       atomic allocation with one element left must get it, whether or not the other bio's put
 *       came first.</li>
 *   <li>Reservation: the source's in-flight limit is one bio. A sleeping allocation at the limit
 *       waits for a free (queued before it re-reads the count) and must then get a bio.</li>
 * </ul>
 *
 * <p>Invariant, for every schedule: no allocation that the guarantee promises fails or stays
 * asleep after the element it waits for came back (Fray reports a sleeper left with no runnable
 * thread as a deadlock); no bio is handed out twice; and once every bio is put, the set is idle
 * and {@link BioSet#destroy()} succeeds (no bio or pool element lost: the pool's destroy refuses
 * elements still out), and every page the set took is back in the buddy allocator.
 *
 * <p>Each schedule boots its own 512 KiB machine, slab allocator and bio set (one vector class,
 * pool of one). Schedules explored: 150 for each of the five tests (the {@code iterations} below).
 */
@ExtendWith(FrayTestExtension.class)
class BioLastPoolElementTest {
    private static final SlabConfig NO_CPU_CACHES = SlabConfig.builder().cpuCaches(false).build();

    @ConcurrencyTest(iterations = 150)
    void sleepingAllocWokenByCompletion251() throws InterruptedException {
        sleepingAllocWokenByCompletion(GuaranteeKind.MEMPOOL_2_5_1);
    }

    /**
     * The modern sleep is timed (5 s): under Fray's default a timed park returns at once and the
     * allocation would simply retry, hiding a lost wake-up. With blocking timed waits and mocked
     * time the clock moves only when no thread can run, so a sleep ended by its timeout means
     * nobody woke it; {@code wait_timeouts} must stay 0.
     */
    @ConcurrencyTest(iterations = 150, ignoreTimedBlock = false, systemTimeDelegateType = SystemTimeDelegateType.MOCK)
    void sleepingAllocWokenByCompletionModern() throws InterruptedException {
        sleepingAllocWokenByCompletion(GuaranteeKind.MEMPOOL_MODERN);
    }

    @ConcurrencyTest(iterations = 150)
    void sleepingAllocWokenByCompletionReservation() throws InterruptedException {
        sleepingAllocWokenByCompletion(GuaranteeKind.RESERVATION);
    }

    @ConcurrencyTest(iterations = 150)
    void atomicAllocVsLastPut251() throws InterruptedException {
        atomicAllocVsLastPut(GuaranteeKind.MEMPOOL_2_5_1);
    }

    @ConcurrencyTest(iterations = 150)
    void atomicAllocVsLastPutModern() throws InterruptedException {
        atomicAllocVsLastPut(GuaranteeKind.MEMPOOL_MODERN);
    }

    /**
     * The guarantee's only element is out as the in-flight bio; a thread's {@code GFP_NOIO}
     * {@code bio_alloc} finds nothing (the cache failing and the pool empty, or the in-flight
     * limit reached) and sleeps, or has not got there yet; the in-flight bio's completion puts
     * it, in interrupt context. The allocation must return a bio: on a mempool the very one
     * completed (the pool is its only source).
     */
    private void sleepingAllocWokenByCompletion(GuaranteeKind g) throws InterruptedException {
        World w = new World(g);
        w.cacheFails();
        Bio inFlight = w.set.bioAlloc(Gfp.GFP_ATOMIC, 0);
        assertThat(inFlight).as("setup: the guarantee's one bio").isNotNull();
        Bio[] got = new Bio[1];
        Thread sleeper = new Thread(() -> got[0] = w.set.bioAlloc(Gfp.GFP_NOIO, 0));
        sleeper.start();
        w.complete(inFlight);
        sleeper.join();
        assertThat(got[0]).as("GFP_NOIO bio_alloc on %s after the completion", g).isNotNull();
        if (g != GuaranteeKind.RESERVATION) {
            assertThat(got[0]).as("the pool's only element, given back by the completion").isSameAs(inFlight);
        }
        assertThat(w.set.bioSource().failures()).as("allocations the guarantee failed").isZero();
        assertThat(w.set.bioSource().counters().getOrDefault("wait_timeouts", 0L))
                .as("modern sleeps ended by the timeout, not by the completion's free: a lost wake-up").isZero();
        got[0].put();
        w.assertAllBack();
    }

    /**
     * The pool holds its one element, and another bio, taken from the slab cache while it still
     * worked, is in flight; then the cache fails. A thread's {@code GFP_ATOMIC} {@code bio_alloc}
     * races the in-flight bio's last put, whose free goes to the pool if the allocation emptied
     * it first and to the cache if not. The allocation must get the pool's element either way;
     * a second allocation afterwards gets the completed bio back from the pool or nothing, never
     * a bio that is still out.
     */
    private void atomicAllocVsLastPut(GuaranteeKind g) throws InterruptedException {
        World w = new World(g);
        Bio inFlight = w.set.bioAlloc(Gfp.GFP_ATOMIC, 0);
        assertThat(inFlight).as("setup: a bio from the slab cache").isNotNull();
        w.cacheFails();
        Bio[] got = new Bio[1];
        Thread allocator = new Thread(() -> got[0] = w.set.bioAlloc(Gfp.GFP_ATOMIC, 0));
        allocator.start();
        w.complete(inFlight);
        allocator.join();
        assertThat(got[0]).as("GFP_ATOMIC bio_alloc with the pool's element there").isNotNull();
        assertThat(got[0]).as("a bio handed out while still in flight").isNotSameAs(inFlight);
        Bio again = w.set.bioAlloc(Gfp.GFP_ATOMIC, 0);
        if (again != null) {
            assertThat(again).as("the second allocation: only the completed bio can be in the pool").isSameAs(inFlight);
            again.put();
        }
        got[0].put();
        w.assertAllBack();
    }

    /** One schedule's machine, slab allocator and bio set on guarantee {@code g}. */
    private static final class World {
        final Machine machine = Machine.boot(MachineConfig.builder().memory(512 * MachineConfig.KiB)
                .zoneLimits(0, 512 * MachineConfig.KiB).maxOrder(6).cpus(2).perCpuLists(false)
                .zoneBalance(128, 0, 0).kswapd(false).oomPolicy(OomPolicy.failAfter(1)).build());
        final SlabAllocator slab = SlabAllocator.boot(machine, NO_CPU_CACHES);
        final long freeBeforeSet = machine.pageAlloc().nrFreePages();
        final Guarantee guarantee;
        final BioSet set;

        World(GuaranteeKind g) {
            guarantee = g.create(machine);
            set = BioSet.builder(slab, guarantee).name("fray").maxVecs(1).poolEntries(1).inFlight(1).create();
        }

        /**
         * failslab on the set's "bio" cache, sleeping allocations included, on a mempool: its
         * pool becomes the only source. A reservation's source is left alone: its element is the
         * slot under its in-flight limit, and the cache under it must work.
         */
        void cacheFails() {
            if (guarantee.kind().isMempool()) {
                set.bioCache().setFailslab(true);
                slab.failslab().cacheFilter(true).ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            }
        }

        /** The bio's completion: its last put, in interrupt context, as a disk's end-io makes it. */
        void complete(Bio bio) {
            Task task = machine.current();
            try (Task.IrqScope irq = task.irqEnter()) {
                bio.put();
            }
        }

        /** Every bio put: nothing in use or out, the set destroys cleanly, every page is back. */
        void assertAllBack() {
            assertThat(set.inUse()).as("bios allocated and not freed").isZero();
            assertThat(set.bioSource().outstanding()).as("elements out of the bio source").isZero();
            set.destroy();
            slab.checkInvariants();
            assertThat(machine.pageAlloc().nrFreePages()).as("free pages once the set is destroyed")
                    .isEqualTo(freeBeforeSet);
        }
    }
}
