// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * {@code submit_bio} and {@code generic_make_request} of 2.5.1's {@code drivers/block/ll_rw_blk.c}:
 * the checks every bio passes before its device's queue sees it, then the queue's
 * {@link MakeRequestFn}.
 *
 * <p>Context: the submitter's. The default make-request function never sleeps; a stacking one
 * may (it allocates with the submitter's mask).
 *
 * <p>Differences from 2.5.1: a bio past the end of its device is refused with an exception
 * instead of being failed with {@code bio_io_error} after a "beyond end of device" message, so
 * that the submitter sees its bug at once; the bio is unchanged and still the caller's. There is
 * no stacking loop (a stacking driver calls {@link #genericMakeRequest} again itself).
 */
public final class BlockLayer {
    private BlockLayer() {
    }

    /**
     * {@code submit_bio(rw, bio)}: sets the direction and hands the bio to
     * {@link #genericMakeRequest}. The block layer owns the caller's reference until completion,
     * when {@code bi_end_io} receives it.
     *
     * @throws IllegalArgumentException as {@link #genericMakeRequest}
     */
    public static void submitBio(int rw, Bio bio) {
        bio.setRw(rw);
        genericMakeRequest(bio);
    }

    /**
     * {@code generic_make_request(bio)}: checks the bio against its device and passes it to the
     * device queue's make-request function.
     *
     * @throws IllegalArgumentException if the bio has no device, is empty, or reaches past the
     *         end of the device (nothing changes)
     * @throws IllegalStateException if the bio completed already, or the device is closed
     */
    public static void genericMakeRequest(Bio bio) {
        RamDisk dev = bio.dev;
        if (dev == null) {
            throw new IllegalArgumentException("generic_make_request: " + bio + " has no device");
        }
        if (bio.size <= 0 || bio.vcnt <= bio.idx) {
            throw new IllegalArgumentException("generic_make_request: " + bio + " carries no data");
        }
        long end = bio.sector + bio.sectors();
        if (bio.sector < 0 || end > dev.nrSectors()) {
            throw new IllegalArgumentException("attempt to access beyond end of device " + dev.name() + ": "
                    + bio + " wants sectors [" + bio.sector + ", " + end + "), limit " + dev.nrSectors());
        }
        if (bio.isEnded()) {
            throw new IllegalStateException("generic_make_request: " + bio + " has completed already");
        }
        RequestQueue q = dev.queue();
        q.makeRequestFn().makeRequest(q, bio);
    }
}
