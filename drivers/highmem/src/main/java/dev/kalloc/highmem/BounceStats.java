// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

/**
 * A snapshot of the bounce layer's counters ({@code mm/highmem.c} of 2.5.1 keeps none; these are
 * kalloc's), as {@link Bounce#stats()} takes it. Each counter is exact; taken while bios are in
 * flight, the set may mix moments.
 *
 * @param biosBounced bios replaced by a bounce bio
 * @param pagesBounced segments given a bounce page
 * @param pagesCopiedBack segments of successful reads copied back into the original pages
 * @param failures bios failed because the guarantee refused a bounce page or the bounce bio
 * @param pagesInUse bounce pages out at the snapshot, both pools
 */
public record BounceStats(long biosBounced, long pagesBounced, long pagesCopiedBack, long failures,
        long pagesInUse) {
}
