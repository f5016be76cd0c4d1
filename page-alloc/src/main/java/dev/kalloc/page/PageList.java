// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A doubly linked list of pages threaded through the pages themselves: the kernel's
 * {@code list_head} as used by the buddy free lists and the LRU lists. No node is ever
 * allocated, so adding and removing are O(1) and garbage-free.
 *
 * <p>The links are {@code mem_map} indexes ({@code int}s in {@link Page}), not references: a
 * reference store into an old {@code Page} from another heap region costs a G1 write barrier
 * with a fence, and a buddy split or merge makes several such stores at every order it passes.
 * All pages of a list belong to one zone, whose {@code mem_map} the list resolves indexes with.
 *
 * <p>A page is on at most one list at a time: {@code page.listId} names it (0 for none), which
 * lets misuse be caught by assertions. The list is not thread-safe: its owner's lock guards it.
 */
final class PageList {
    /** No page: the end of a list, or a page on none. */
    static final int NONE = -1;

    private static final AtomicInteger IDS = new AtomicInteger();

    /** This list's name in {@code page.listId}: unique, never 0. */
    private final int id = IDS.incrementAndGet();
    private final Page[] memMap;
    private final int startPfn;
    private int head = NONE;
    private int tail = NONE;
    private int size;

    /** An empty list of pages of the zone whose {@code mem_map} starts at {@code startPfn}. */
    PageList(Page[] memMap, int startPfn) {
        this.memMap = memMap;
        this.startPfn = startPfn;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return head == NONE;
    }

    Page first() {
        return head == NONE ? null : memMap[head];
    }

    Page last() {
        return tail == NONE ? null : memMap[tail];
    }

    /** The page after {@code p} on this list (towards the tail), or null. */
    Page next(Page p) {
        assert p.listId == id : p + " is not on this list";
        return p.nextIdx == NONE ? null : memMap[p.nextIdx];
    }

    /** The page before {@code p} on this list (towards the head), or null. */
    Page prev(Page p) {
        assert p.listId == id : p + " is not on this list";
        return p.prevIdx == NONE ? null : memMap[p.prevIdx];
    }

    /** {@code list_add}: insert at the head. */
    void addFirst(Page p) {
        assert p.listId == 0 : p + " is already on a list";
        int i = p.pfn() - startPfn;
        p.prevIdx = NONE;
        p.nextIdx = head;
        if (head != NONE) {
            memMap[head].prevIdx = i;
        } else {
            tail = i;
        }
        head = i;
        p.listId = id;
        size++;
    }

    /** {@code list_add_tail}: insert at the tail. */
    void addLast(Page p) {
        assert p.listId == 0 : p + " is already on a list";
        int i = p.pfn() - startPfn;
        p.nextIdx = NONE;
        p.prevIdx = tail;
        if (tail != NONE) {
            memMap[tail].nextIdx = i;
        } else {
            head = i;
        }
        tail = i;
        p.listId = id;
        size++;
    }

    /** {@code list_del}. */
    void remove(Page p) {
        assert p.listId == id : p + " is not on this list";
        int next = p.nextIdx;
        int prev = p.prevIdx;
        if (prev != NONE) {
            memMap[prev].nextIdx = next;
        } else {
            head = next;
        }
        if (next != NONE) {
            memMap[next].prevIdx = prev;
        } else {
            tail = prev;
        }
        p.nextIdx = NONE;
        p.prevIdx = NONE;
        p.listId = 0;
        size--;
    }

    Page removeFirst() {
        Page p = first();
        if (p != null) {
            remove(p);
        }
        return p;
    }

    Page removeLast() {
        Page p = last();
        if (p != null) {
            remove(p);
        }
        return p;
    }

    boolean contains(Page p) {
        return p.listId == id;
    }
}
