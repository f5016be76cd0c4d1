// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * kswapd: woken by an allocation that fails the fast pass, it reclaims page-cache pages until
 * the zone is above {@code pages_high}, then sleeps. The machine: one zone, Normal, 1024 frames
 * (1023 free), watermarks 16/32/48, per-CPU lists off, kswapd on.
 */
class KswapdTest {
    private static final long GUARD_NANOS = 30_000_000_000L;

    private static Machine boot() {
        return Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).kswapd(true).build());
    }

    /** Failure guard only: waits (bounded) for a condition another thread makes true. */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + GUARD_NANOS;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    /**
     * Watermarks 16/32/100. The fast pass takes pages down to free = low + 1 = 33 without waking
     * kswapd. The next allocation fails the fast pass: it marks the zone and wakes kswapd, which
     * reclaims clusters of 32 of the coldest hog pages until the zone is above pages_high:
     * 32 -> 64 -> 96 -> 128 (three calls; stopping at pages_low would take one), then sleeps.
     */
    @Test
    void fallingUnderTheLowWatermarkWakesKswapdWhichReclaimsAbovePagesHigh() throws Exception {
        try (Machine m = boot(); MemoryHog hog = new MemoryHog(m, "hog")) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            z.setWatermarks(16, 32, 100);
            assertThat(m.hasKswapd()).isTrue();
            assertThat(hog.fillClean(1023 - 33)).isEqualTo(990);
            assertThat(z.freePages()).isEqualTo(33);
            assertThat(z.needBalance()).isFalse();
            assertThat(m.reclaim().calls()).as("kswapd was never woken").isZero();

            assertThat(hog.fillClean(1)).isEqualTo(1);
            await("kswapd to balance the zone", () -> !z.needBalance());
            assertThat(m.reclaim().calls()).isEqualTo(3);
            assertThat(m.reclaim().pagesReclaimed()).isEqualTo(96);
            assertThat(z.freePages()).isEqualTo(128);
            assertThat(hog.pages()).isEqualTo(991 - 96);
            // the coldest went: indices 0..95; the youngest, added at the wake-up, stayed
            assertThat(hog.cachedPages()).extracting(Page::index).startsWith(96L).endsWith(990L);
            m.checkInvariants();
        }
    }

    /** kswapd reclaims with GFP_KSWAPD, which may write dirty pages back. */
    @Test
    void kswapdWritesBackDirtyPages() throws Exception {
        try (Machine m = boot(); MemoryHog hog = new MemoryHog(m, "dirty")) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            assertThat(hog.fillDirty(1023 - 33)).isEqualTo(990);
            assertThat(z.nrDirty()).isEqualTo(990);
            assertThat(hog.writepageCalls()).isZero();
            hog.fillClean(1);
            await("kswapd to balance the zone", () -> !z.needBalance());
            assertThat(hog.writepageCalls()).isPositive();
            assertThat(z.freePages()).isGreaterThan(z.pagesHigh());
            assertThat(m.reclaim().calls()).isPositive();
            assertThat(z.nrWriteback()).as("the hog's writeback completes at once").isZero();
            m.checkInvariants();
        }
    }

    @Test
    void closeStopsTheDaemon() {
        Set<Thread> before = kswapdThreads();
        Thread daemon;
        try (Machine m = boot()) {
            assertThat(m.hasKswapd()).isTrue();
            Set<Thread> now = kswapdThreads();
            now.removeAll(before);
            assertThat(now).hasSize(1);
            daemon = now.iterator().next();
            assertThat(daemon.isDaemon()).isTrue();
        }
        assertThat(daemon.isAlive()).isFalse();
    }

    @Test
    void noDaemonWhenConfiguredOff() {
        Set<Thread> before = kswapdThreads();
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            assertThat(m.hasKswapd()).isFalse();
            Set<Thread> now = kswapdThreads();
            now.removeAll(before);
            assertThat(now).isEmpty();
        }
    }

    private static Set<Thread> kswapdThreads() {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("kswapd0") && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }
}
