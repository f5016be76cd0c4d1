// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.PageReservation;

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
 *
 * <p>A scope also ends with its thread, as the patch's {@code do_exit} drops
 * {@code current->page_reservations}: once the opening thread has terminated (an uncaught
 * exception, or a return without closing), the reservation drops the scope the next time it is
 * asked ({@link Reservation#reapExited()}, {@link Reservation#destroy()},
 * {@link Reservation#scopes()}). Such a scope is {@linkplain #endedWithThread() ended}, not
 * closed; closing it is refused. See {@link Reservation}, "When a thread ends inside a scope".
 *
 * <p>Concurrency: {@code state} and the open-list links are written under the reservation's
 * {@code stateLock}; a close by the owner reads {@code state} without it (only the owner can
 * close, and nobody ends a scope while its owner lives).
 */
public final class ReservationScope implements AutoCloseable {
    static final int OPEN = 0;
    static final int CLOSED = 1;
    static final int ENDED_WITH_THREAD = 2;

    private final Reservation reservation;
    private final Task task;
    private final Thread thread;
    private final PageReservation previous;
    private volatile int state = OPEN;
    /** The reservation's list of open scopes, guarded by its {@code stateLock}. */
    ReservationScope prevOpen;
    ReservationScope nextOpen;

    ReservationScope(Reservation reservation, Task task, Thread thread, PageReservation previous) {
        this.reservation = reservation;
        this.task = task;
        this.thread = thread;
        this.previous = previous;
    }

    /** The reservation this scope entered. */
    public Reservation reservation() {
        return reservation;
    }

    /** The thread that opened the scope. */
    public Thread thread() {
        return thread;
    }

    /** True once the scope has been closed by its thread. */
    public boolean isClosed() {
        return state == CLOSED;
    }

    /** True once the reservation dropped the scope because its thread had terminated. */
    public boolean endedWithThread() {
        return state == ENDED_WITH_THREAD;
    }

    /**
     * Leaves the scope: restores the reservation in force before it (or none).
     *
     * @throws IllegalStateException if already closed, ended with its thread, closed by another
     *         thread, or closed while a scope opened inside it is still open (nothing changed)
     */
    @Override
    public void close() {
        int s = state;
        if (s == ENDED_WITH_THREAD) {
            throw new IllegalStateException(this + ": it ended when its thread terminated; there is nothing to close");
        }
        if (s == CLOSED) {
            throw new IllegalStateException("scope of " + reservation + " closed twice");
        }
        if (reservation.machine().current() != task) {
            throw new IllegalStateException("scope of " + reservation + " opened by " + task
                    + " is being closed by another thread");
        }
        if (task.get(PageReservation.SLOT) != reservation) {
            throw new IllegalStateException("scope of " + reservation + " closed out of order: " + task
                    + " has " + task.get(PageReservation.SLOT) + " in force, from a scope opened inside it");
        }
        task.set(PageReservation.SLOT, previous);
        reservation.scopeClosed(this);
    }

    /** Under {@code stateLock}: closed by its owner. */
    void markClosed() {
        state = CLOSED;
    }

    /**
     * Under {@code stateLock}, and only once {@link Thread#isAlive()} has returned false for the
     * owner (which orders every write the owner made before this): {@code do_exit}'s
     * {@code tsk->page_reservations = NULL}. The dead task's pointer is cleared whichever scope
     * of it is ended first, so it keeps no reservation reachable.
     */
    void endWithThread() {
        state = ENDED_WITH_THREAD;
        task.set(PageReservation.SLOT, null);
    }

    @Override
    public String toString() {
        String s = switch (state) {
            case CLOSED -> " (closed)";
            case ENDED_WITH_THREAD -> " (ended with its thread)";
            default -> "";
        };
        return "scope of " + reservation + " on " + task + s;
    }
}
