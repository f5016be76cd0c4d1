package dev.kalloc.bio;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservations;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The four guarantees the comparison runs every driver on, named once so that the drivers' tests,
 * the workload's command line and its report agree on them: Ingo Molnar's mempool in the 2.5.1
 * order and in the modern kernel's order, Ben LaHaise's reservations, and none (the bare
 * allocator, the baseline that may fail or stall).
 */
public enum StandardGuarantee {
    MEMPOOL_2_5_1("mempool-2.5.1"),
    MEMPOOL_MODERN("mempool-modern"),
    RESERVATION("reservation"),
    NONE("none");

    private final String label;

    StandardGuarantee(String label) {
        this.label = label;
    }

    /** The name on a command line, in histogram tags and in reports. */
    public String label() {
        return label;
    }

    /** True for the three that promise forward progress: a deadlock on them is a bug, on none a result. */
    public boolean promisesProgress() {
        return this != NONE;
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
    public static StandardGuarantee parse(String label) {
        for (StandardGuarantee g : values()) {
            if (g.label.equalsIgnoreCase(label.trim())) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown guarantee '" + label + "'; choose from " + labels());
    }

    /** The labels, comma-separated, for messages and help. */
    public static String labels() {
        return Arrays.stream(values()).map(StandardGuarantee::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label;
    }
}
