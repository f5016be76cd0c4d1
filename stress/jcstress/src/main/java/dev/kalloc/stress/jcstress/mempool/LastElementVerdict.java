// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

/**
 * The verdict of the last-element races, read by their arbiters: 0 if every element is in exactly
 * one place and the counts agree, 1 if the pool's invariants are broken, 2 if a count disagrees
 * or an element went to two callers.
 */
final class LastElementVerdict {
    private LastElementVerdict() {
    }

    /**
     * @param outside elements still out with the test state itself (not with the actors)
     * @param ids the element ids the actors ended up holding, 0 for none
     */
    static int of(PoolFixture f, int outside, int... ids) {
        if (f.invariants() != 0) {
            return 1;
        }
        int holding = outside;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 0) {
                continue;
            }
            holding++;
            for (int j = i + 1; j < ids.length; j++) {
                if (ids[j] == ids[i]) {
                    return 2;
                }
            }
        }
        boolean countsAgree = f.pool.nrOut() == holding && f.pool.currNr() == f.allocator.made() - holding
                && f.allocator.frees() == 0;
        return countsAgree ? 0 : 2;
    }
}
