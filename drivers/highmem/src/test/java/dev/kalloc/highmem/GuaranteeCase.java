package dev.kalloc.highmem;

import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservations;

/** The four guarantee set-ups every bounce test runs on: mempool (both policies), reservation, none. */
enum GuaranteeCase {
    MEMPOOL_2_5_1, MEMPOOL_MODERN, RESERVATION, NONE;

    Guarantee make(Machine machine, Reservations reservations) {
        switch (this) {
            case MEMPOOL_2_5_1:
                return Guarantees.mempool(machine, MempoolPolicy.LINUX_2_5_1);
            case MEMPOOL_MODERN:
                return Guarantees.mempool(machine, MempoolPolicy.MODERN);
            case RESERVATION:
                return Guarantees.reservation(reservations);
            default:
                return Guarantees.none();
        }
    }
}
