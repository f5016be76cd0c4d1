// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.ReservationStats;
import dev.kalloc.reservation.Reservations;

/**
 * The three {@link Guarantee} implementations, made here: {@link MempoolGuarantee},
 * {@link ReservationGuarantee} and {@link NoGuarantee}, each in its own class with its source.
 * {@link GuaranteeKind#create} picks among them by kind.
 *
 * <p>Counters: every source counts its outstanding elements and its failures with atomics; they
 * are statistics, read without locks. {@link ElementSource#counters()} adds the guarantee's own
 * account of why: a pool's per-level counters (Molnar's five levels, as
 * {@link Mempool#stats()} keeps them), a reservation's (LaHaise's free page or dropped clean
 * page, as {@link ReservationStats} keeps them, plus the source's waits at its in-flight limit).
 * The bare allocator has nothing to explain beyond its failures. No counter is added to a fast
 * path for this: each name maps to a count the pool or the page allocator already keeps, except
 * the limit waits, which are counted only when a caller sleeps.
 */
public final class Guarantees {
    private Guarantees() {
    }

    /**
     * The kernel's guarantee: each source is a {@link Mempool} of {@link Elements#prealloc()}
     * elements with {@code policy}, prefilled at creation.
     */
    public static Guarantee mempool(Machine machine, MempoolPolicy policy) {
        if (machine == null || policy == null) {
            throw new IllegalArgumentException("a mempool guarantee needs a machine and a policy");
        }
        return new MempoolGuarantee(machine, policy);
    }

    /**
     * LaHaise's guarantee: each source takes a multishot reservation of the pages its
     * {@link Elements} need (zones of {@code GFP_NOIO}: Normal, then DMA; with the elements'
     * zones ORed in) at creation, waiting for admission, and enters it around every allocation;
     * {@link Elements#count()} is the source's in-flight limit, beyond which sleeping allocations
     * wait for a free and atomic ones fail.
     */
    public static Guarantee reservation(Reservations reservations) {
        if (reservations == null) {
            throw new IllegalArgumentException("a reservation guarantee needs the machine's Reservations");
        }
        return new ReservationGuarantee(reservations);
    }

    /** The baseline: each source is the bare allocator. */
    public static Guarantee none() {
        return new NoGuarantee();
    }
}
