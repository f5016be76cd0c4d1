// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.tests.TinyMachines;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Once warm, bio_alloc / bio_clone / bio_put allocate nothing on the Java heap. */
class NoGarbageTest {
    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_2_5_1", "NONE"})
    void warmAllocAndPutCostNothing(GuaranteeKind kind) {
        try (BioRig rig = new BioRig(TinyMachines.normalOnly(1024), kind, b -> b.maxVecs(16), 64, Duration.ZERO)) {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 20_000; i++) {
                cycle(rig.set, i);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                cycle(rig.set, i);
            }
            long garbage = mx.getCurrentThreadAllocatedBytes() - before;
            assertThat(garbage).isLessThan(4096);
        }
    }

    private static void cycle(BioSet set, int i) {
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 1 + (i & 15));
        Bio c = set.bioClone(b, Gfp.GFP_NOIO);
        c.put();
        b.put();
    }
}
