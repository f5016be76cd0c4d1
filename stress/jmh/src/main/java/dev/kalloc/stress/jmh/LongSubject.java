// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import org.openjdk.jmh.infra.Blackhole;

/**
 * A subject whose objects are {@code long} addresses (slab caches, kmalloc, the floor): the live
 * handles stay in primitive arrays, so nothing is boxed and a fast path that allocates nothing
 * shows 0 B/op under {@code -prof gc}. 0 means failure, as in the kernel.
 */
abstract class LongSubject extends Subject {

    private final long[] live = new long[LIVE_SLOTS];
    private final long[] burst = new long[BURST];

    abstract long alloc();

    abstract void free(long addr);

    @Override
    final void allocFree(Blackhole bh) {
        long a = alloc();
        if (a == 0) {
            throw exhausted("alloc");
        }
        free(a);
        bh.consume(a);
    }

    @Override
    final void replace(int slot, Blackhole bh) {
        free(live[slot]);
        long a = alloc();
        if (a == 0) {
            throw exhausted("alloc");
        }
        live[slot] = a;
        bh.consume(a);
    }

    @Override
    final void burst(Blackhole bh) {
        long[] b = burst;
        for (int i = 0; i < b.length; i++) {
            long a = alloc();
            if (a == 0) {
                throw exhausted("alloc");
            }
            b[i] = a;
        }
        for (int i = 0; i < b.length; i++) {
            bh.consume(b[i]);
            free(b[i]);
        }
    }

    @Override
    final void fillLiveSet() {
        for (int i = 0; i < live.length; i++) {
            if (live[i] == 0) {
                live[i] = alloc();
                if (live[i] == 0) {
                    throw exhausted("fill");
                }
            }
        }
    }

    @Override
    final void freeAll() {
        for (int i = 0; i < live.length; i++) {
            if (live[i] != 0) {
                free(live[i]);
                live[i] = 0;
            }
        }
    }
}
