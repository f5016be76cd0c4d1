// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the three sources share: their name, their kind, and the count of elements out and of
 * allocations that returned null. The counts are statistics: atomics, read without locks, exact
 * at a quiescent point.
 *
 * @param <E> the element type
 */
abstract class CountedSource<E> implements ElementSource<E> {
    final String name;
    private final GuaranteeKind kind;
    final AtomicLong outstanding = new AtomicLong();
    final AtomicLong failures = new AtomicLong();

    CountedSource(String name, GuaranteeKind kind) {
        this.name = name;
        this.kind = kind;
    }

    /** Counts {@code e} as out, or a null as a failure; returns {@code e}. */
    final E counted(E e) {
        if (e == null) {
            failures.incrementAndGet();
        } else {
            outstanding.incrementAndGet();
        }
        return e;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final GuaranteeKind kind() {
        return kind;
    }

    @Override
    public final long outstanding() {
        return outstanding.get();
    }

    @Override
    public final long failures() {
        return failures.get();
    }

    /** Refuses a destroy while elements are out; {@code what} names the source in the message. */
    final void checkIdle(String what) {
        if (outstanding.get() != 0) {
            throw new IllegalStateException(what + " " + name + ": " + outstanding.get()
                    + " elements are still out; free them before destroying it");
        }
    }

    @Override
    public String toString() {
        return kind.design() + " source " + name;
    }
}
