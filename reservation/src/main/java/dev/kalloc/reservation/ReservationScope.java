package dev.kalloc.reservation;

import dev.kalloc.page.PageReservation;
import dev.kalloc.page.Task;

/**
 * An entered reservation: between {@link Reservation#enter()} and {@link #close()}, the task's
 * {@code current->page_reservations} is the reservation, and allocations the normal passes fail
 * fall back to it. Meant for try-with-resources:
 * <pre>{@code
 * try (ReservationScope scope = rsv.enter()) {
 *     bio = bioAlloc(Gfp.GFP_NOIO, nrVecs);   // slab and page allocations below draw on rsv
 * }
 * }</pre>
 *
 * <p>Scopes nest, innermost first; each close restores what was in force when its scope opened.
 * A scope belongs to the task that opened it and is closed once, by that task, after every
 * scope opened inside it.
 */
public final class ReservationScope implements AutoCloseable {
    private final Reservation reservation;
    private final Task task;
    private final PageReservation previous;
    private boolean closed;

    ReservationScope(Reservation reservation, Task task, PageReservation previous) {
        this.reservation = reservation;
        this.task = task;
        this.previous = previous;
    }

    /** The reservation this scope entered. */
    public Reservation reservation() {
        return reservation;
    }

    /**
     * Leaves the scope: restores the reservation in force before it (or none).
     *
     * @throws IllegalStateException if already closed, closed by another thread, or closed while
     *         a scope opened inside it is still open (nothing changed)
     */
    @Override
    public void close() {
        if (closed) {
            throw new IllegalStateException("scope of " + reservation + " closed twice");
        }
        if (reservation.machine().current() != task) {
            throw new IllegalStateException("scope of " + reservation + " opened by " + task
                    + " is being closed by another thread");
        }
        if (task.pageReservation() != reservation) {
            throw new IllegalStateException("scope of " + reservation + " closed out of order: " + task
                    + " has " + task.pageReservation() + " in force, from a scope opened inside it");
        }
        task.setPageReservation(previous);
        closed = true;
        reservation.scopeClosed();
    }

    @Override
    public String toString() {
        return "scope of " + reservation + " on " + task + (closed ? " (closed)" : "");
    }
}
