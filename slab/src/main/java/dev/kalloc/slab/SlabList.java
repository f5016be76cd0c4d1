// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

/**
 * One of a cache's three slab lists ({@code slabs_full}, {@code slabs_partial},
 * {@code slabs_free}): a doubly linked list threaded through the slabs themselves, like the
 * kernel's {@code list_head}, so that moving a slab between lists is O(1) and allocates nothing.
 * Guarded by the owning cache's spinlock.
 */
final class SlabList {
    final String name;
    private Slab head;
    private Slab tail;
    private int size;

    SlabList(String name) {
        this.name = name;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return head == null;
    }

    Slab first() {
        return head;
    }

    Slab last() {
        return tail;
    }

    /** {@code list_add}. */
    void addFirst(Slab s) {
        assert s.list == null : s + " is already on " + s.list.name;
        s.prev = null;
        s.next = head;
        if (head != null) {
            head.prev = s;
        } else {
            tail = s;
        }
        head = s;
        s.list = this;
        size++;
    }

    /** {@code list_add_tail}. */
    void addLast(Slab s) {
        assert s.list == null : s + " is already on " + s.list.name;
        s.next = null;
        s.prev = tail;
        if (tail != null) {
            tail.next = s;
        } else {
            head = s;
        }
        tail = s;
        s.list = this;
        size++;
    }

    /** {@code list_del}. */
    void remove(Slab s) {
        assert s.list == this : s + " is not on " + name;
        if (s.prev != null) {
            s.prev.next = s.next;
        } else {
            head = s.next;
        }
        if (s.next != null) {
            s.next.prev = s.prev;
        } else {
            tail = s.prev;
        }
        s.next = null;
        s.prev = null;
        s.list = null;
        size--;
    }

    /** {@code list_del} + {@code list_add} onto {@code to}. */
    void moveFirst(Slab s, SlabList to) {
        remove(s);
        to.addFirst(s);
    }
}
