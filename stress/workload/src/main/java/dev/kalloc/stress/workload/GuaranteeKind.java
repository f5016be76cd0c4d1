package dev.kalloc.stress.workload;

import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservations;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The four guarantees every scenario runs on: Ingo Molnar's mempool in the 2.5.1 order and in the
 * modern kernel's order, Ben LaHaise's reservations, and none (the plain allocator, the baseline).
 * The first three promise forward progress, so a deadlock or a data mismatch on them fails the
 * command; on {@link #NONE} the same outcome is the expected, reported result.
 */
enum GuaranteeKind {
    MEMPOOL_251("mempool-2.5.1", true),
    MEMPOOL_MODERN("mempool-modern", true),
    RESERVATION("reservation", true),
    NONE("none", false);

    private final String label;
    private final boolean promisesProgress;

    GuaranteeKind(String label, boolean promisesProgress) {
        this.label = label;
        this.promisesProgress = promisesProgress;
    }

    /** The name on the command line, in tags and in the report. */
    String label() {
        return label;
    }

    /** True if a deadlock or mismatch on this guarantee is a failure rather than a result. */
    boolean promisesProgress() {
        return promisesProgress;
    }

    /** The driver-facing {@link Guarantee} of this kind on {@code machine}. */
    Guarantee create(Machine machine, Reservations reservations) {
        switch (this) {
            case MEMPOOL_251:
                return Guarantees.mempool(machine, MempoolPolicy.LINUX_2_5_1);
            case MEMPOOL_MODERN:
                return Guarantees.mempool(machine, MempoolPolicy.MODERN);
            case RESERVATION:
                return Guarantees.reservation(reservations);
            default:
                return Guarantees.none();
        }
    }

    /**
     * The kind labelled {@code label} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the valid labels
     */
    static GuaranteeKind parse(String label) {
        for (GuaranteeKind k : values()) {
            if (k.label.equalsIgnoreCase(label.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown guarantee '" + label + "'; choose from " + labels());
    }

    /** The labels, comma-separated, for messages and help. */
    static String labels() {
        return Arrays.stream(values()).map(GuaranteeKind::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label.toLowerCase(Locale.ROOT);
    }
}
