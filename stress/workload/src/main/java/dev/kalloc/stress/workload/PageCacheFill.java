package dev.kalloc.stress.workload;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;

/**
 * Fills a machine with clean page-cache pages of a mapping that cannot write back, allocating
 * without sleeping ({@link WritebackScenario#HOG_GFP}) until the allocator refuses: the memory
 * pressure a big file read leaves behind, which reclaim can drop at once.
 */
final class PageCacheFill {
    private PageCacheFill() {
    }

    /** Fills {@code m}; returns the pages added. */
    static long fill(Machine m, String name) {
        PageCache cache = m.pageCache();
        AddressSpace mapping = new AddressSpace(name, null);
        long n = 0;
        for (;;) {
            Page p = cache.addNewPage(mapping, n, WritebackScenario.HOG_GFP);
            if (p == null) {
                return n;
            }
            n++;
        }
    }
}
