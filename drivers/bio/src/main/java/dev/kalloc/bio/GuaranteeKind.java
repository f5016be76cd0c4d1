// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservations;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The four guarantees the comparison runs every driver on, and what a {@link Guarantee} says it
 * is: Ingo Molnar's mempool in the 2.5.1 order and in the modern kernel's order, Ben LaHaise's
 * reservations, and none (the bare allocator, the baseline that may fail or stall). Named once,
 * so that the drivers' tests, the workload's command line and its report agree on them.
 *
 * <p>Two names per kind: {@link #label()} tells the four apart (command lines, histogram tags,
 * reports); {@link #design()} names the design behind it (mempool, reservation, none), which is
 * all a driver's view ({@code bioinfo}) shows.
 */
public enum GuaranteeKind {
    MEMPOOL_2_5_1("mempool-2.5.1"),
    MEMPOOL_MODERN("mempool-modern"),
    RESERVATION("reservation"),
    NONE("none");

    private final String label;

    GuaranteeKind(String label) {
        this.label = label;
    }

    /** The name on a command line, in histogram tags and in reports. */
    public String label() {
        return label;
    }

    /** The design behind it, lower case: {@code mempool} for both pool orders, else the label. */
    public String design() {
        return isMempool() ? "mempool" : label;
    }

    /** True for the two mempool policies. */
    public boolean isMempool() {
        return this == MEMPOOL_2_5_1 || this == MEMPOOL_MODERN;
    }

    /** True for the three that promise forward progress: a deadlock on them is a bug, on none a result. */
    public boolean promisesProgress() {
        return this != NONE;
    }

    /** The kind of a mempool guarantee with {@code policy}. */
    static GuaranteeKind ofPolicy(MempoolPolicy policy) {
        switch (policy) {
            case LINUX_2_5_1:
                return MEMPOOL_2_5_1;
            case MODERN:
                return MEMPOOL_MODERN;
            default:
                throw new IllegalArgumentException("no guarantee kind for mempool policy " + policy);
        }
    }

    /**
     * The driver-facing {@link Guarantee} of this kind on {@code machine}; a reservation
     * guarantee takes its reservations in a registry of its own ({@link Reservations#boot}),
     * which is all a driver or its test needs. Use {@link #create(Machine, Reservations)} to
     * read the reservations back.
     */
    public Guarantee create(Machine machine) {
        return create(machine, this == RESERVATION ? Reservations.boot(machine) : null);
    }

    /**
     * The driver-facing {@link Guarantee} of this kind.
     *
     * @param machine the machine a mempool's pages and checks belong to
     * @param reservations where a reservation guarantee takes its reservations; may be null for
     *        the other three
     * @throws IllegalArgumentException if {@link #RESERVATION} is asked for without reservations
     */
    public Guarantee create(Machine machine, Reservations reservations) {
        switch (this) {
            case MEMPOOL_2_5_1:
                return Guarantees.mempool(machine, MempoolPolicy.LINUX_2_5_1);
            case MEMPOOL_MODERN:
                return Guarantees.mempool(machine, MempoolPolicy.MODERN);
            case RESERVATION:
                if (reservations == null) {
                    throw new IllegalArgumentException("the reservation guarantee needs a Reservations instance");
                }
                return Guarantees.reservation(reservations);
            default:
                return Guarantees.none();
        }
    }

    /**
     * The guarantee labelled {@code label}, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the valid labels
     */
    public static GuaranteeKind parse(String label) {
        for (GuaranteeKind g : values()) {
            if (g.label.equalsIgnoreCase(label.trim())) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown guarantee '" + label + "'; choose from " + labels());
    }

    /** The labels, comma-separated, for messages and help. */
    public static String labels() {
        return Arrays.stream(values()).map(GuaranteeKind::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label;
    }
}
