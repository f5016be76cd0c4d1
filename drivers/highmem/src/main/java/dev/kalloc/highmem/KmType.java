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
}
