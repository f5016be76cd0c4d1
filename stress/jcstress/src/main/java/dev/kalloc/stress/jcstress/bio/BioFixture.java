// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.bio;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.bio.testing.DriverRig;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.slab.testing.SlabRig;

/**
 * The bio tests' machines, from the shared test kit ({@link DriverRig}, {@link SlabRig}).
 *
 * <p>{@link #RIG} and {@link #SET}: one 64 MiB machine and one bio set (no guarantee: plenty of
 * memory) shared by every state of the tests that only need bios to exist: booting a machine per
 * state would cost more than the race under test. Each state allocates its own bio from the set,
 * so states never share a bio; the set's allocators are thread-safe.
 *
 * <p>{@link #tinyRig()}: a machine of its own per state for the tests that exhaust a bio pool,
 * 512 KiB (128 frames) so a jcstress run can boot one per state object.
 */
final class BioFixture {
    static final DriverRig RIG = new DriverRig(MachineConfig.builder().memory(64 * MachineConfig.MiB)
            .kswapd(false).oomPolicy(OomPolicy.failAfter(1)));
    static final BioSet SET = BioSet.builder(RIG.slab, Guarantees.none()).name("jcs").maxVecs(4).create();

    private BioFixture() {
    }

    /**
     * A 512 KiB {@link SlabRig#tinyMachine} with two CPUs and {@code failAfter(1)}, and a slab
     * allocator without automatic array caches.
     */
    static SlabRig tinyRig() {
        return new SlabRig(SlabRig.tinyMachine(512 * MachineConfig.KiB).cpus(2).oomPolicy(OomPolicy.failAfter(1))
                .build(), SlabRig.NO_AUTOMATIC_ARRAYS);
    }
}
