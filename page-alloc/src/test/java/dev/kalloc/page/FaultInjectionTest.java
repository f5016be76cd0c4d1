// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.FaultAttr;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code should_fail()} (lib/fault-inject.c) and fail_page_alloc. */
class FaultInjectionTest {

    /** The call numbers (1-based) among {@code calls} calls of {@code size} that fail. */
    private static List<Integer> failingCalls(FaultAttr attr, int calls, long size) {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i <= calls; i++) {
            if (attr.shouldFail(size)) {
                out.add(i);
            }
        }
        return out;
    }

    @Test
    void disabledByDefaultAndByZeroProbabilityOrZeroTimes() {
        FaultAttr attr = new FaultAttr();
        assertThat(attr.enabled()).isFalse();
        assertThat(failingCalls(attr, 100, 1)).isEmpty();
        attr.configure(0, 1, -1, 0, 1);
        assertThat(attr.enabled()).isFalse();
        assertThat(failingCalls(attr, 100, 1)).isEmpty();
        attr.configure(100, 1, 0, 0, 1);
        assertThat(attr.enabled()).isFalse();
        assertThat(failingCalls(attr, 100, 1)).isEmpty();
        assertThat(attr.failures()).isZero();
    }

    @Test
    void probabilityHundredFailsEveryCall() {
        FaultAttr attr = new FaultAttr();
        attr.configure(100, 1, -1, 0, 42);
        assertThat(failingCalls(attr, 50, 1)).hasSize(50);
        assertThat(attr.failures()).isEqualTo(50);
        assertThat(attr.enabled()).isTrue();
    }

    @Test
    void timesLimitsTheFailuresThenDisables() {
        FaultAttr attr = new FaultAttr();
        attr.configure(100, 1, 3, 0, 42);
        assertThat(failingCalls(attr, 10, 1)).containsExactly(1, 2, 3);
        assertThat(attr.enabled()).isFalse();
        assertThat(attr.failures()).isEqualTo(3);
    }

    @Test
    void intervalMakesOnlyEveryNthCallACandidate() {
        FaultAttr attr = new FaultAttr();
        attr.configure(100, 3, -1, 0, 42);
        assertThat(failingCalls(attr, 12, 1)).containsExactly(3, 6, 9, 12);
        attr.configure(100, 4, 2, 0, 42);
        assertThat(failingCalls(attr, 20, 1)).containsExactly(4, 8);
    }

    /** space = 10000, calls of 4096: 10000 > 4096 passes (5904 left), 5904 > 4096 passes (1808 left), then all fail. */
    @Test
    void spaceLetsTheFirstBytesPass() {
        FaultAttr attr = new FaultAttr();
        attr.configure(100, 1, -1, 10_000, 42);
        assertThat(failingCalls(attr, 6, 4096)).containsExactly(3, 4, 5, 6);
        // a request of exactly the space left is a candidate (space > size is false)
        attr.configure(100, 1, -1, 4096, 42);
        assertThat(failingCalls(attr, 2, 4096)).containsExactly(1, 2);
    }

    @Test
    void sameSeedSameFailingCallsDifferentSeedDifferentOnes() {
        FaultAttr a = new FaultAttr();
        FaultAttr b = new FaultAttr();
        FaultAttr c = new FaultAttr();
        a.configure(30, 1, -1, 0, 1234);
        b.configure(30, 1, -1, 0, 1234);
        c.configure(30, 1, -1, 0, 4321);
        List<Integer> fa = failingCalls(a, 2000, 1);
        List<Integer> fb = failingCalls(b, 2000, 1);
        List<Integer> fc = failingCalls(c, 2000, 1);
        assertThat(fa).isEqualTo(fb);
        assertThat(fa).isNotEqualTo(fc);
        // about 30 percent
        assertThat(fa.size()).isBetween(500, 700);
        assertThat(fc.size()).isBetween(500, 700);

        // reconfiguring with the same seed restarts the same stream
        a.configure(30, 1, -1, 0, 1234);
        assertThat(failingCalls(a, 2000, 1)).isEqualTo(fb);
        assertThat(a.failures()).as("failures accumulate across configure").isEqualTo(2L * fa.size());
    }

    @Test
    void disableStopsFailuresAndKeepsTheCount() {
        FaultAttr attr = new FaultAttr();
        attr.configure(100, 1, -1, 0, 7);
        failingCalls(attr, 5, 1);
        attr.disable();
        assertThat(failingCalls(attr, 5, 1)).isEmpty();
        assertThat(attr.failures()).isEqualTo(5);
        assertThat(attr.toString()).contains("failures=5").contains("disabled");
    }

    @Test
    void configureValidates() {
        FaultAttr attr = new FaultAttr();
        assertThatThrownBy(() -> attr.configure(-1, 1, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> attr.configure(101, 1, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> attr.configure(50, 0, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> attr.configure(50, 1, -2, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> attr.configure(50, 1, -1, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(attr.enabled()).isFalse();
    }

    // -------------------------------------------------------------------------------------------
    // fail_page_alloc
    // -------------------------------------------------------------------------------------------

    @Test
    void failPageAllocFailsAllocationsAndChangesNothing() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            FailPageAlloc f = m.pageAlloc().failPageAlloc();
            f.attr().configure(100, 1, -1, 0, 1);
            MachineState before = MachineState.of(m);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC)).isNull();
            MachineState after = MachineState.of(m);
            assertThat(after.zones()).isEqualTo(before.zones());
            assertThat(after.allocFailures()).isEqualTo(before.allocFailures() + 1);
            assertThat(f.attr().failures()).isEqualTo(1);
        }
    }

    @Test
    void minOrderSparesSmallRequests() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            FailPageAlloc f = m.pageAlloc().failPageAlloc().minOrder(2);
            f.attr().configure(100, 1, -1, 0, 1);
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0)).isNotNull();
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 1)).isNotNull();
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 2)).isNull();
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 5)).isNull();
            assertThat(f.attr().failures()).isEqualTo(2);
            assertThatThrownBy(() -> f.minOrder(-1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void ignoreGfpWaitSparesSleepingRequestsUnlessTurnedOff() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            FailPageAlloc f = m.pageAlloc().failPageAlloc();
            f.attr().configure(100, 1, -1, 0, 1);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)).as("ignore-gfp-wait defaults to true").isNotNull();
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_NOIO)).isNotNull();
            f.ignoreGfpWait(false);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)).isNull();
            assertThat(m.reclaim().calls()).as("an injected failure does not reclaim").isZero();
        }
    }

    @Test
    void ignoreGfpHighmemSparesHighmemRequestsUnlessTurnedOff() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            FailPageAlloc f = m.pageAlloc().failPageAlloc();
            f.attr().configure(100, 1, -1, 0, 1);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM))
                    .as("ignore-gfp-highmem defaults to true").isNotNull();
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC)).isNull();
            f.ignoreGfpHighmem(false);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM)).isNull();
            // GFP_HIGHUSER sleeps: still spared by ignore-gfp-wait
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER)).isNotNull();
            assertThat(f.toString()).contains("ignore-gfp-wait=true").contains("ignore-gfp-highmem=false");
        }
    }

    @Test
    void spaceIsCountedInPagesForPageAllocations() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            FailPageAlloc f = m.pageAlloc().failPageAlloc();
            // 10 pages of space: an order-2 (4 pages) and another (8 used, 2 left) pass, the third fails
            f.attr().configure(100, 1, -1, 10, 1);
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 2)).isNotNull();
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 2)).isNotNull();
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 2)).isNull();
        }
    }

    @Test
    void injectionIsDeterministicAcrossMachines() {
        List<Boolean> first = trace(99);
        assertThat(trace(99)).isEqualTo(first);
        assertThat(first).contains(true, false);
    }

    private static List<Boolean> trace(long seed) {
        List<Boolean> out = new ArrayList<>();
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            m.pageAlloc().failPageAlloc().attr().configure(25, 2, -1, 0, seed);
            for (int i = 0; i < 200; i++) {
                Page p = m.pageAlloc().allocPage(Gfp.GFP_ATOMIC);
                out.add(p == null);
                if (p != null) {
                    m.pageAlloc().freePage(p);
                }
            }
        }
        return out;
    }
}
