// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * {@code bio_end_io_t} of 2.5.1: {@code int (*)(struct bio *, int nr_sectors)}, called by
 * {@link BioSet#bioEndio} when the I/O is done.
 *
 * <p>Context: interrupt context when the block layer completes a bio (see {@link RequestQueue}):
 * the callback may not sleep, and may only allocate atomically.
 */
@FunctionalInterface
public interface BioEndIo {
    /**
     * @param bio the bio that completed; {@link Bio#BIO_UPTODATE} says whether it succeeded
     * @param nrSectors sectors completed
     * @return the callback's status, returned by {@link BioSet#bioEndio} (0 by convention)
     */
    int endIo(Bio bio, int nrSectors);
}
