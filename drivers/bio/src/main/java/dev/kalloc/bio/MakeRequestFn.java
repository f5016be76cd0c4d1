// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * {@code make_request_fn} of 2.5.1's {@code ll_rw_blk.c}: what {@link BlockLayer#genericMakeRequest}
 * calls for a queue. The default queues the bio for the device's dispatcher
 * ({@link RequestQueue#enqueue}); a stacking driver (bounce buffers, raid1) installs its own with
 * {@link RequestQueue#setMakeRequestFn} and forwards, possibly another bio, to the default.
 *
 * <p>Context: the submitter's, process context; it may sleep if the submitter may.
 */
@FunctionalInterface
public interface MakeRequestFn {
    void makeRequest(RequestQueue q, Bio bio);
}
