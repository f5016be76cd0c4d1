// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

/**
 * {@code enum km_type} of {@code include/asm-i386/kmap_types.h}: which of a CPU's fixed
 * {@code kmap_atomic} slots a caller uses. Each context that may nest on one CPU (process,
 * bottom half, interrupt) has its own type, so that an interrupt arriving inside a process's
 * atomic mapping does not overwrite it.
 *
 * <p>Only the types with a user in kalloc are kept: bounce-buffer read completion, the two
 * process-context slots, and bio copying in interrupt context. {@code KM_TYPE_NR} is
 * {@code values().length}.
 */
public enum KmType {
    /** {@code KM_BOUNCE_READ}: copying a completed bounce read back, in interrupt context. */
    KM_BOUNCE_READ,
    /** {@code KM_USER0}: process context, first page. */
    KM_USER0,
    /** {@code KM_USER1}: process context, second page (page-to-page copies). */
    KM_USER1,
    /** {@code KM_BIO_IRQ}: bio data copied in interrupt context. */
    KM_BIO_IRQ;

    /** {@code KM_TYPE_NR}. */
    public static final int KM_TYPE_NR = values().length;

    /**
     * Where this type stands in the nesting order one context must follow (see {@link Fixmap}):
     * a slot may be taken only while every slot the thread holds has a lower rank. Process types
     * come first, {@code KM_USER0} before {@code KM_USER1} (the order of {@code copy_highpage}),
     * then the interrupt types, which the kernel takes on top of a process's mappings when an
     * interrupt arrives, never the reverse. Independent of the ordinal, which fixes the slot's
     * address.
     */
    int nesting() {
        switch (this) {
            case KM_USER0:
                return 0;
            case KM_USER1:
                return 1;
            case KM_BOUNCE_READ:
                return 2;
            default:
                return 3;
        }
    }
}
