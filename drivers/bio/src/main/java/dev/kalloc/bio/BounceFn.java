package dev.kalloc.bio;

/**
 * {@code blk_queue_bounce(q, &bio)} of 2.5.1's {@code __make_request}: the seam through which the
 * highmem driver (which depends on this module, not the other way round) sees every bio before
 * its queue takes it, and swaps in a copy whose pages the device can reach. Installed with
 * {@link RequestQueue#setBounceFn}; without one, bios are queued as they are.
 *
 * <p>Context: the submitter's, process context; it may sleep (bounce pages are allocated with
 * the queue's {@code bounce_gfp}).
 */
@FunctionalInterface
public interface BounceFn {
    /**
     * @param q the queue about to take {@code bio}
     * @param bio the bio being queued
     * @return the bio to queue: {@code bio} itself when nothing needs bouncing, or the bounce
     *         bio that stands for it; null when the bounce failed and {@code bio} has been
     *         completed with an error (then nothing is queued)
     */
    Bio bounce(RequestQueue q, Bio bio);
}
