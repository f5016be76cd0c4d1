// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

/**
 * The oops a kernel prints when it dereferences a kernel virtual address that maps nothing: here
 * an address outside every mapped area, a kmap address whose slot has been flushed, or one whose
 * slot has since been given to another page. Real hardware would often read the wrong page
 * silently in the last case; the port detects it through the address's tag (see {@link Pte}),
 * which is what makes "a mapping is never reused while in use" testable.
 */
public final class PageFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PageFault(long vaddr, String why) {
        super(String.format("unable to handle kernel paging request at virtual address %08x (tag %d): %s",
                vaddr & 0xFFFF_FFFFL, vaddr >>> 32, why));
    }
}
