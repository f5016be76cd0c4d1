// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import java.util.Map;

/**
 * The baseline ({@link Guarantees#none}): each source is the elements' allocator, called
 * directly, allowed to fail or stall. It sizes nothing: the description's counts are ignored.
 */
final class NoGuarantee implements Guarantee {
    @Override
    public GuaranteeKind kind() {
        return GuaranteeKind.NONE;
    }

    @Override
    public <E> ElementSource<E> source(String name, Elements<E> elements) {
        return new PlainSource<>(name, elements.alloc(), elements.free());
    }

    @Override
    public String toString() {
        return "none";
    }

    /** The bare allocator, counted. */
    private static final class PlainSource<E> extends CountedSource<E> {
        private final ElementAllocFn<E> alloc;
        private final ElementFreeFn<E> free;

        PlainSource(String name, ElementAllocFn<E> alloc, ElementFreeFn<E> free) {
            super(name, GuaranteeKind.NONE);
            this.alloc = alloc;
            this.free = free;
        }

        @Override
        public E alloc(int gfp) {
            return counted(alloc.alloc(gfp));
        }

        @Override
        public void free(E element) {
            if (element != null) {
                free.free(element);
                outstanding.decrementAndGet();
            }
        }

        @Override
        public void destroy() {
            checkIdle("source");
        }

        /**
         * {@code failures} only: the bare allocator has no levels and no reserve, and its
         * successful allocations are not counted (a counter on the baseline's fast path would
         * tax exactly the cost the comparison measures against).
         */
        @Override
        public Map<String, Long> counters() {
            return Map.of("failures", failures.get());
        }
    }
}
