// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Wait sites named from stacks, innermost kalloc frame first. */
class WaitSitesTest {
    private static StackTraceElement f(String cls, String method) {
        return new StackTraceElement(cls, method, cls.substring(cls.lastIndexOf('.') + 1) + ".java", 1);
    }

    @Test
    void aMempoolSleepIsNamedAsThePoolsWaitQueue() {
        StackTraceElement[] stack = {
            f("jdk.internal.misc.Unsafe", "park"),
            f("java.util.concurrent.locks.LockSupport", "park"),
            f("dev.kalloc.kernel.WaitQueue", "schedule"),
            f("dev.kalloc.mempool.Mempool", "allocSlow251"),
            f("dev.kalloc.mempool.Mempool", "alloc"),
            f("dev.kalloc.bio.BioSet", "bioAlloc"),
        };
        assertThat(WaitSites.site(stack)).contains("Mempool.allocSlow251", "a mempool's wait queue");
    }

    @Test
    void anOutOfMemorySleepIsNamedAsThePageAllocatorsWaitQueue() {
        StackTraceElement[] stack = {
            f("java.util.concurrent.locks.LockSupport", "park"),
            f("dev.kalloc.kernel.WaitQueue", "schedule"),
            f("dev.kalloc.page.PageAllocator", "waitForFreePages"),
            f("dev.kalloc.page.PageAllocator", "allocPages"),
        };
        assertThat(WaitSites.site(stack)).contains("out of memory, waiting for pages to be freed");
    }

    /** The reservation's sleeps are named as such, not as the PageAllocator frames that call them. */
    @Test
    void reservationSleepsAreNamedAsTheReservationsNotAsOutOfMemory() {
        StackTraceElement[] admission = {
            f("dev.kalloc.kernel.WaitQueue", "schedule"),
            f("dev.kalloc.page.ReservePrimitives", "awaitAdmission"),
            f("dev.kalloc.page.ReservePrimitives", "reservePages"),
            f("dev.kalloc.page.PageAllocator", "reservePages"),
            f("dev.kalloc.reservation.Reservation", "reserve"),
        };
        assertThat(WaitSites.site(admission)).contains("a reservation's admission");
        StackTraceElement[] backing = {
            f("dev.kalloc.kernel.WaitQueue", "schedule"),
            f("dev.kalloc.page.ReservePrimitives", "waitForBacking"),
            f("dev.kalloc.page.ReservePrimitives", "allocReserved"),
            f("dev.kalloc.page.PageAllocator", "allocPages"),
        };
        assertThat(WaitSites.site(backing)).contains("a reserved allocation").doesNotContain("out of memory");
        StackTraceElement[] inFlight = {
            f("dev.kalloc.kernel.WaitQueue", "schedule"),
            f("dev.kalloc.bio.ReservationGuarantee$ReservedSource", "alloc"),
            f("dev.kalloc.bio.BioSet", "bioAlloc"),
        };
        assertThat(WaitSites.site(inFlight)).contains("a reservation source's in-flight limit");
    }

    @Test
    void idleThreadsAndUnknownFramesAreStillReported() {
        assertThat(WaitSites.site(new StackTraceElement[] {f("dev.kalloc.bio.RequestQueue", "takePending")}))
                .contains("request queue, idle");
        assertThat(WaitSites.site(new StackTraceElement[] {f("dev.kalloc.slab.KmemCache", "grow")}))
                .isEqualTo("at KmemCache.grow (KmemCache.java:1)");
        assertThat(WaitSites.site(new StackTraceElement[] {f("java.lang.Object", "wait")}))
                .isEqualTo("outside kalloc, at Object.wait");
        assertThat(WaitSites.site(new StackTraceElement[0])).contains("no stack");
    }
}
