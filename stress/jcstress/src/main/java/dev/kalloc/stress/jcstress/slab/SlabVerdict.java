// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.slab;

import dev.kalloc.slab.KmemCache;

/**
 * What an arbiter found at the quiescent point after the actors, as one int in the result: 0 when
 * every check passed, otherwise the first check that failed.
 *
 * <ol>
 *   <li>{@link #BROKEN_INVARIANT}: {@code SlabAllocator.checkInvariants()} or
 *       {@code Machine.checkInvariants()} threw: an object in two places, a slab on the wrong list
 *       for its {@code inuse}, an array cache holding a foreign or duplicate object, PG_slab pages
 *       not matching the caches' slabs, or buddy conservation broken.</li>
 *   <li>{@link #SAME_OBJECT_TWICE}: two actors hold the same object.</li>
 *   <li>{@link #NOT_ALLOCATED}: an object an actor holds is not allocated in its slab (it would be
 *       handed out again).</li>
 *   <li>{@link #LOST_OR_FOUND}: the cache counts a different number of allocated objects than the
 *       test handed out.</li>
 * </ol>
 */
final class SlabVerdict {
    static final int OK = 0;
    static final int BROKEN_INVARIANT = 1;
    static final int SAME_OBJECT_TWICE = 2;
    static final int NOT_ALLOCATED = 3;
    static final int LOST_OR_FOUND = 4;

    /** The text every test's catch-all FORBIDDEN outcome carries. */
    static final String FORBIDDEN_DESC = "Anything else, or a nonzero verdict (last field): 1 = invariants broken, "
            + "2 = one object handed out twice, 3 = a held object is not allocated, 4 = an object lost or conjured.";

    private SlabVerdict() {
    }

    /**
     * @param allocated objects the cache must count as handed out (setup's still held plus actors')
     * @param actorObjects objects the actors hold; 0 entries (failed allocations) are skipped
     */
    static int of(SlabFixture f, long allocated, long... actorObjects) {
        try {
            f.slab.checkInvariants();
            f.machine.checkInvariants();
        } catch (AssertionError | RuntimeException broken) {
            return BROKEN_INVARIANT;
        }
        for (int i = 0; i < actorObjects.length; i++) {
            for (int j = i + 1; j < actorObjects.length; j++) {
                if (actorObjects[i] != 0 && actorObjects[i] == actorObjects[j]) {
                    return SAME_OBJECT_TWICE;
                }
            }
        }
        KmemCache<?> c = f.cache;
        try {
            for (long p : actorObjects) {
                if (p != 0 && !c.isAllocated(p)) {
                    return NOT_ALLOCATED;
                }
            }
        } catch (RuntimeException notAnObject) {
            return NOT_ALLOCATED;
        }
        return c.allocatedObjects() == allocated ? OK : LOST_OR_FOUND;
    }
}
