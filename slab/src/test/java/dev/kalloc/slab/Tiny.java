// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;

/**
 * Tiny test machines: no kswapd, sleeping allocations give up after one fruitless reclaim round,
 * and the calling thread is bound to CPU 0. Close them.
 */
final class Tiny {
    private Tiny() {
    }

    static Machine machine(int mib, int cpus) {
        Machine m = Machine.boot(MachineConfig.builder().memory(mib * MachineConfig.MiB).cpus(cpus).kswapd(false)
                .oomPolicy(OomPolicy.failAfter(1)).build());
        m.bindCurrentThread(0);
        return m;
    }

    static Machine machine() {
        return machine(16, 2);
    }

    /** Both allocators' invariants, and page conservation between them. */
    static void check(Machine m, SlabAllocator s) {
        s.checkInvariants();
        m.checkInvariants();
    }
}
