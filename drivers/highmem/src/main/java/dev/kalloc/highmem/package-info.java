// SPDX-License-Identifier: GPL-2.0-only
/**
 * {@code mm/highmem.c} of Linux 2.5.1 on a simulated machine: {@link dev.kalloc.highmem.Highmem}
 * (kernel virtual addresses, persistent {@code kmap} over a window of {@code LAST_PKMAP} slots,
 * per-CPU {@code kmap_atomic}) and {@link dev.kalloc.highmem.Bounce} (bounce buffers for bios
 * whose pages a device cannot reach, hooked into the block layer's request queues, with pools
 * from any {@link dev.kalloc.bio.Guarantee}).
 */
package dev.kalloc.highmem;
