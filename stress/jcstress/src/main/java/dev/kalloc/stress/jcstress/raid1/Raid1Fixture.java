// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.testing.DriverRig;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import dev.kalloc.raid1.Raid1Array;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One raid1 array per state, with no thread of its own: a 1 MiB machine and its slab allocator (a
 * {@link DriverRig} of the shared test kit, never closed: nothing in it runs a thread), an array
 * without daemons (raid1d runs where a test calls {@link Raid1Array#runRaid1d()}) over
 * stacked members whose make-request functions capture the clones sent to them instead of
 * servicing them, and one master bio. A test completes the captured clones itself, in interrupt
 * context as a disk's completion would, so it chooses exactly which completions race.
 */
final class Raid1Fixture extends DriverRig {
    final RamDisk[] members;
    /** The last clone each member received. */
    final Bio[] captured;
    final Raid1Array array;
    final Bio master;
    /** Times the master's end-io ran. */
    final AtomicInteger masterEnds = new AtomicInteger();

    Raid1Fixture(int nrMembers, int rw) {
        super(MachineConfig.builder().memory(MachineConfig.MiB).zoneLimits(0, MachineConfig.MiB).cpus(2).kswapd(false)
                .oomPolicy(OomPolicy.failAfter(1)));
        members = new RamDisk[nrMembers];
        captured = new Bio[nrMembers];
        for (int i = 0; i < nrMembers; i++) {
            int slot = i;
            members[i] = newStackedDisk("rd" + i, 1024);
            members[i].queue().setMakeRequestFn((q, bio) -> captured[slot] = bio);
        }
        array = Raid1Array.builder(slab, Guarantees.none()).members(members).nrR1Bios(1).daemons(false).create();
        BioSet masters = BioSet.builder(slab, Guarantees.none()).name("m").maxVecs(1).create();
        Page page = machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        master = masters.bioAlloc(Gfp.GFP_NOIO, 1);
        master.addPage(page, 4096, 0);
        master.setSector(64).setDev(array.device()).setEndIo((b, n) -> {
            masterEnds.incrementAndGet();
            return 0;
        });
        BlockLayer.submitBio(rw, master);
    }

    /** Completes member {@code slot}'s captured clone in interrupt context, as its disk would. */
    void complete(int slot, boolean ok) {
        Bio clone = captured[slot];
        captured[slot] = null;
        Task task = machine.current();
        try (Task.IrqScope irq = task.irqEnter()) {
            clone.set().bioEndio(clone, ok, clone.sectors());
        }
    }

    /** The slot holding a captured clone, -1 for none, -2 for more than one. */
    int capturedSlot() {
        int found = -1;
        for (int i = 0; i < captured.length; i++) {
            if (captured[i] != null) {
                found = found == -1 ? i : -2;
            }
        }
        return found;
    }
}
