// SPDX-License-Identifier: GPL-2.0-only
/**
 * {@code drivers/md/raid1.c} of Linux 2.5.1 over the bio layer: a {@link dev.kalloc.raid1.Raid1Array}
 * is an md device mirroring N RAM disks. Every request takes an {@link dev.kalloc.raid1.R1Bio}
 * from {@code r1bio_pool}, whose allocate function is itself several allocations (the r1bio and
 * one bio per mirror); writes go to every working mirror and the master completes once, when the
 * last has answered; reads go to the mirror read balancing picks and are retried on another by
 * raid1d when they fail; a failing mirror is marked faulty and the array runs degraded; a
 * hot-added replacement is resynced by raid1syncd through its own pool of resync buffers,
 * throttled against normal I/O by the five-region window. Every pool comes from a
 * {@link dev.kalloc.bio.Guarantee}: mempool, reservation or none.
 */
package dev.kalloc.raid1;
