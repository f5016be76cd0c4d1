package dev.kalloc.stress.jcstress.bio;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.slab.SlabAllocator;

/**
 * One machine and one bio set (no guarantee: plenty of memory) shared by every state of the bio
 * tests: booting a machine per state would cost more than the race under test. Each state
 * allocates its own bio from the set, so states never share a bio; the set's allocators are
 * thread-safe.
 */
final class BioFixture {
    static final Machine MACHINE = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.MiB)
            .kswapd(false).oomPolicy(OomPolicy.failAfter(1)).build());
    static final SlabAllocator SLAB = SlabAllocator.boot(MACHINE);
    static final BioSet SET = BioSet.builder(SLAB, Guarantees.none()).name("jcs").maxVecs(4).create();

    private BioFixture() {
    }
}
