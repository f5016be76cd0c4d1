// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * {@code blk_queue_bounce(q, &bio)} of 2.5.1's {@code __make_request}: the seam through which the
 * highmem driver (which depends on this module, not the other way round) sees every bio before
 * its queue takes it, and swaps in a copy whose pages the device can reach. Installed with
 * {@link RequestQueue#setBounceFn}; without one, bios are queued as they are.
 *
 * <p>Context: the submitter's, process context; it may sleep (bounce pages are allocated with
 * the queue's {@code bounce_gfp}).
 *
 * <p>The queue passes the limit and the mask from the same snapshot as the function itself
 * ({@link RequestQueue.BounceSetup}, read once per submission), so a function must use those
 * rather than re-read {@link RequestQueue#bouncePfn()} and {@link RequestQueue#bounceGfp()}, which
 * a concurrent {@code blk_queue_bounce_limit} may have changed in between. If it throws, it must
 * hold nothing and leave {@code bio} as it was: nothing is queued then.
 */
@FunctionalInterface
public interface BounceFn {
    /**
     * @param q the queue about to take {@code bio}
     * @param bio the bio being queued
     * @param bouncePfn {@code q->bounce_pfn} of the snapshot: pages at or above it are bounced
     * @param bounceGfp {@code q->bounce_gfp} of the snapshot: the mask for bounce pages
     * @return the bio to queue: {@code bio} itself when nothing needs bouncing, or the bounce
     *         bio that stands for it; null when the bounce failed and {@code bio} has been
     *         completed with an error (then nothing is queued)
     */
    Bio bounce(RequestQueue q, Bio bio, long bouncePfn, int bounceGfp);
}
