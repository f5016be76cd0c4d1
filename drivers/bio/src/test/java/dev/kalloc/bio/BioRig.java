// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.bio.testing.DriverRig;
import dev.kalloc.page.MachineConfig;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A {@link DriverRig} with one bio set on a chosen guarantee and one RAM disk, {@code rd0}. */
final class BioRig extends DriverRig {
    final BioSet set;
    final RamDisk disk;

    BioRig(MachineConfig.Builder config, GuaranteeKind kind, UnaryOperator<BioSet.Builder> options, long sectors,
            Duration serviceTime) {
        super(config);
        try {
            this.set = options.apply(BioSet.builder(slab, guarantee(kind))).create();
            this.disk = newDisk("rd0", sectors, serviceTime);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** A guarantee of {@code kind} on the rig's machine. */
    Guarantee guarantee(GuaranteeKind kind) {
        return kind.create(machine);
    }
}
