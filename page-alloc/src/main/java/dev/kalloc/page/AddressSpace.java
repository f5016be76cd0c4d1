// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code struct address_space}: one file's (or block device's) pages in the page cache, with
 * the {@code writepage} operation that cleans a dirty page. Its page index is guarded by the
 * page cache's lock.
 */
public final class AddressSpace {
    /** {@code address_space_operations}, cut down to what reclaim calls. */
    @FunctionalInterface
    public interface Ops {
        /**
         * {@code writepage}: starts writing {@code page} back. The page is already marked
         * {@code PG_writeback} and no longer dirty. The implementation must call
         * {@link PageCache#endPageWriteback(Page, boolean)} exactly once when the write is done,
         * from any thread, possibly before this method returns.
         *
         * <p>Context: process context, possibly inside reclaim with {@code PF_MEMALLOC} set; it
         * must allocate with {@code GFP_NOIO} or weaker, since reclaim may already hold I/O.
         */
        void writepage(Page page);
    }

    private final String name;
    private final Ops ops;
    final Map<Long, Page> pages = new HashMap<>();

    /**
     * @param name for messages and /proc views
     * @param ops writeback; null for a mapping whose dirty pages cannot be written (they stay
     *        until the owner cleans or removes them)
     */
    public AddressSpace(String name, Ops ops) {
        this.name = name;
        this.ops = ops;
    }

    public String name() {
        return name;
    }

    Ops ops() {
        return ops;
    }

    @Override
    public String toString() {
        return "mapping " + name;
    }
}
