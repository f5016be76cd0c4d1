package dev.kalloc.page;

/**
 * A doubly linked list of pages threaded through the pages themselves: the kernel's
 * {@code list_head} as used by free lists, per-CPU lists and LRU lists. No node is ever
 * allocated, so adding and removing are O(1) and garbage-free.
 *
 * <p>A page is on at most one list at a time ({@code page.list} names it, which lets misuse be
 * caught by assertions). The list is not thread-safe: its owner's lock guards it.
 */
final class PageList {
    private Page head;
    private Page tail;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return head == null;
    }

    Page first() {
        return head;
    }

    Page last() {
        return tail;
    }

    /** {@code list_add}: insert at the head. */
    void addFirst(Page p) {
        assert p.list == null : p + " is already on a list";
        p.prev = null;
        p.next = head;
        if (head != null) {
            head.prev = p;
        } else {
            tail = p;
        }
        head = p;
        p.list = this;
        size++;
    }

    /** {@code list_add_tail}: insert at the tail. */
    void addLast(Page p) {
        assert p.list == null : p + " is already on a list";
        p.next = null;
        p.prev = tail;
        if (tail != null) {
            tail.next = p;
        } else {
            head = p;
        }
        tail = p;
        p.list = this;
        size++;
    }

    /** {@code list_del}. */
    void remove(Page p) {
        assert p.list == this : p + " is not on this list";
        if (p.prev != null) {
            p.prev.next = p.next;
        } else {
            head = p.next;
        }
        if (p.next != null) {
            p.next.prev = p.prev;
        } else {
            tail = p.prev;
        }
        p.next = null;
        p.prev = null;
        p.list = null;
        size--;
    }

    Page removeFirst() {
        Page p = head;
        if (p != null) {
            remove(p);
        }
        return p;
    }

    Page removeLast() {
        Page p = tail;
        if (p != null) {
            remove(p);
        }
        return p;
    }

    boolean contains(Page p) {
        return p.list == this;
    }
}
