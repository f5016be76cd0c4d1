// SPDX-License-Identifier: GPL-2.0-only
/**
 * {@code fs/bio.c} of Linux 2.5.1 and the block layer beneath it: {@link dev.kalloc.bio.Bio} and
 * {@link dev.kalloc.bio.BioSet} ({@code bio_alloc}, {@code bio_put}, {@code bio_clone},
 * {@code bio_endio}); the {@link dev.kalloc.bio.Guarantee} every driver allocates through
 * (mempool, reservation, none), a seam that speaks only of elements
 * ({@link dev.kalloc.bio.Elements}) so that drivers above it name no mempool or reservation
 * type; request queues with a dispatcher and interrupt-context
 * completion, a {@link dev.kalloc.bio.RamDisk} with fault injection; and page-cache writeback
 * through bios ({@link dev.kalloc.bio.BioWriteback}), the path where reclaim needs I/O and I/O
 * needs memory.
 */
package dev.kalloc.bio;
