// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * A snapshot of one bio set's counters, as {@link BioSet#stats()} takes it: the numbers
 * {@code bioinfo} prints ({@link BioInfo}), in one value a caller can keep, compare and print
 * without reading each counter of a live set. Each counter is exact; taken while bios are in
 * flight, the set of them may mix moments (each is a separate atomic), as the kernel's statistics do.
 *
 * @param allocs bios allocated, clones included
 * @param allocFailures {@code bio_alloc} calls that returned null
 * @param frees bios freed at their last reference
 * @param clones bios made by {@code bio_clone}
 * @param endios {@code bio_endio} calls
 * @param errors completions without {@code BIO_UPTODATE}
 */
public record BioSetStats(long allocs, long allocFailures, long frees, long clones, long endios, long errors) {
    /** Bios allocated and not yet freed, as {@link BioSet#inUse()} counts them. */
    public long inUse() {
        return allocs - frees;
    }
}
