// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.Task;

/**
 * The hook through which {@code __alloc_pages} reaches the reservation in force for the current
 * task ({@code current->page_reservations} of LaHaise's 2001 patch): the "one additional branch
 * for the uncommon case". A task gets one in its {@link #SLOT}; the reservation module's scoped
 * context is the way to set it.
 *
 * <p>{@link PageAllocator} calls {@link #allocFromReservation} only after the normal watermark
 * passes have failed (after the {@code pages_min} pass, before direct reclaim), or when fault
 * injection failed the request (an injected failure stands for "the normal passes failed"). An
 * allocation that the normal passes serve never reaches it, so outside a reservation, and inside
 * one while memory is plentiful, the allocator costs what it costs without reservations.
 *
 * <p>There is deliberately no callback on free: giving a freed page's quota back is accounting
 * the allocator does itself, under the zone lock, from the {@link ReserveAccount} recorded in the
 * page (see {@link PageAllocator}). The free path therefore never runs foreign code, and may be
 * called from interrupt context as before.
 */
@FunctionalInterface
public interface PageReservation {
    /**
     * {@code current->page_reservations}: the task slot holding the reservation that the task's
     * allocations fall back to when the normal watermark passes fail, or null.
     */
    Task.Slot<PageReservation> SLOT = Task.Slot.declare(PageReservation.class, "page_reservations");

    /**
     * Serves an allocation the normal passes could not, from this reservation's quota, usually by
     * calling {@link PageAllocator#allocFromReserve}.
     *
     * <p>Context: the allocating task, with no allocator lock held. Must not sleep unless
     * {@code gfp} has {@code __GFP_WAIT}, and must never wait for I/O.
     *
     * @param gfp the allocation's mask
     * @param order the allocation's order
     * @param zonelist the zones the allocation may use, in fallback order (do not modify)
     * @return the head page of an allocated block of {@code order}, with count 1; or null, and
     *         the allocator carries on with its slow path (reclaim) as if there were no reservation
     */
    Page allocFromReservation(int gfp, int order, Zone[] zonelist);
}
