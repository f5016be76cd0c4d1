// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.PerCpuLock;

/**
 * {@code struct per_cpu_pages} (2.5.45, akpm's hot-n-cold pages): a per-CPU, per-zone stash of
 * free order-0 pages in front of the buddy lists, refilled and drained {@code batch} pages at a
 * time so that the zone lock is taken once per batch rather than once per page.
 *
 * <p>Invariants: {@code 0 <= count <} the ring's capacity; the {@code count} entries from
 * {@code head} name distinct pages of the zone, each in state {@link Page#STATE_PCP} and on no
 * {@link PageList} ({@code page.listId == 0}); none of them is counted in
 * {@code zone.free_pages}; no other page is in that state.
 *
 * <p>Where it differs from the kernel: the kernel guards a CPU's list by disabling interrupts,
 * which is enough because only that CPU touches it. Here two threads may be bound to the same CPU
 * id, so each list is a {@link PerCpuLock}: one CAS to take, a release store to drop when
 * uncontended, correct under the collision. Drains from other CPUs ({@code drain_all_pages})
 * take the same lock. 128 bytes of padding on each side (the lock's ahead, this class's behind)
 * keep two CPUs' lists off each other's cache lines: FastPathBench showed the need, order-0
 * alloc+free with two threads on two CPUs cost twice the one-thread time when they shared lines.
 */
final class PerCpuPages extends PerCpuPagesFields {
    // The trailing pad, and nothing else: see dev.kalloc.kernel's package comment, "Padding".
    long q00;
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;
    long q09;
    long q10;
    long q11;
    long q12;
    long q13;
    long q14;
    long q15;

    PerCpuPages(Page[] memMap, int startPfn, int low, int high, int batch) {
        super(memMap, startPfn, low, high, batch);
    }
}

/** The fields of {@link PerCpuPages}, between its two paddings. */
abstract class PerCpuPagesFields extends PerCpuLock {
    /** Slack at each end of {@link #ring}, so that another object's hot fields never share its lines. */
    static final int RING_PAD = 32;

    /** The zone's {@code mem_map}: ring entries are indexes into it. */
    final Page[] memMap;
    final int startPfn;
    /**
     * The list, head (hot end) first, as a ring of {@code mem_map} indexes from
     * {@code ring[RING_PAD + head]}: a push or pop is an {@code int} store, where a linked list
     * stores references into two {@code Page} objects and the list, each with a garbage-collector
     * write barrier (under G1, a fence for every store between regions); FastPathBench measured
     * the linked list at 7 ns of an order-0 alloc+free.
     */
    final int[] ring;
    final int mask;
    int head;
    int count;
    final int low;
    final int high;
    final int batch;

    PerCpuPagesFields(Page[] memMap, int startPfn, int low, int high, int batch) {
        this.memMap = memMap;
        this.startPfn = startPfn;
        this.low = low;
        this.high = high;
        this.batch = batch;
        // A refill adds a batch at count <= low, a free at count >= high first drains one: the
        // count never passes max(low + batch, high); the ring has room for more than that.
        int capacity = Integer.highestOneBit(Math.max(low + batch, high) + batch) << 1;
        this.ring = new int[capacity + 2 * RING_PAD];
        this.mask = capacity - 1;
    }

    /** {@code list_del} of the head (hot) page, or null if the list is empty. */
    final Page removeFirst() {
        if (count == 0) {
            return null;
        }
        Page page = memMap[ring[RING_PAD + head]];
        head = (head + 1) & mask;
        count--;
        return page;
    }

    /** {@code list_add}: the page becomes the head (it will be reused first). */
    final void addFirst(Page page) {
        checkRoom();
        head = (head - 1) & mask;
        ring[RING_PAD + head] = page.pfn() - startPfn;
        count++;
    }

    /** {@code list_add_tail}: the page goes to the cold end. */
    final void addLast(Page page) {
        checkRoom();
        ring[RING_PAD + ((head + count) & mask)] = page.pfn() - startPfn;
        count++;
    }

    /** Removes the page at the cold end, or returns null if the list is empty. */
    final Page removeLast() {
        if (count == 0) {
            return null;
        }
        count--;
        return memMap[ring[RING_PAD + ((head + count) & mask)]];
    }

    /** The {@code i}-th page from the head, {@code 0 <= i < count}. */
    final Page get(int i) {
        return memMap[ring[RING_PAD + ((head + i) & mask)]];
    }

    /** True if {@code page} is on this list. O(count), for checks and tests. */
    final boolean contains(Page page) {
        for (int i = 0; i < count; i++) {
            if (get(i) == page) {
                return true;
            }
        }
        return false;
    }

    private void checkRoom() {
        if (count > mask) {
            throw new AssertionError("per-cpu list overflows its " + (mask + 1) + " slots (low " + low + ", high "
                    + high + ", batch " + batch + ")");
        }
    }
}
