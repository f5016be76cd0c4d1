// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import org.openjdk.jmh.infra.Blackhole;

/**
 * A subject whose objects are Java references (pages, typed slab objects, Netty buffers, JVM
 * arrays and buffers). null means failure.
 *
 * @param <H> the handle type
 */
abstract class RefSubject<H> extends Subject {

    private final Object[] live = new Object[LIVE_SLOTS];
    private final Object[] burst = new Object[BURST];

    abstract H alloc();

    abstract void free(H h);

    @SuppressWarnings("unchecked")
    private static <H> H cast(Object o) {
        return (H) o;
    }

    @Override
    final void allocFree(Blackhole bh) {
        H h = alloc();
        if (h == null) {
            throw exhausted("alloc");
        }
        bh.consume(h);
        free(h);
    }

    @Override
    final void replace(int slot, Blackhole bh) {
        free(cast(live[slot]));
        H h = alloc();
        if (h == null) {
            throw exhausted("alloc");
        }
        live[slot] = h;
        bh.consume(h);
    }

    @Override
    final void burst(Blackhole bh) {
        Object[] b = burst;
        for (int i = 0; i < b.length; i++) {
            H h = alloc();
            if (h == null) {
                throw exhausted("alloc");
            }
            b[i] = h;
        }
        for (int i = 0; i < b.length; i++) {
            bh.consume(b[i]);
            free(cast(b[i]));
            b[i] = null;
        }
    }

    @Override
    final void fillLiveSet() {
        for (int i = 0; i < live.length; i++) {
            if (live[i] == null) {
                live[i] = alloc();
                if (live[i] == null) {
                    throw exhausted("fill");
                }
            }
        }
    }

    @Override
    final void freeAll() {
        for (int i = 0; i < live.length; i++) {
            if (live[i] != null) {
                free(cast(live[i]));
                live[i] = null;
            }
        }
    }
}
