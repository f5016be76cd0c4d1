// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.Page;
import java.util.HashSet;
import java.util.Set;

/**
 * The full invariant check of one {@link KmemCache}: every invariant of its class comment,
 * object by object, in the spirit of 2.6 mm/slab.c's {@code check_slabp} (one slab's bufctl
 * chain against its {@code inuse}) widened to the whole cache, the per-CPU array caches and the
 * page back-pointers. The kernel checks one slab when it touches it; a Java port can afford to
 * check everything at a quiescent point, and the tests and jcstress arbiters do.
 *
 * <h2>What it checks</h2>
 * <ol>
 *   <li>Each object is in exactly one place: on its slab's bufctl chain ({@link Slab#OBJ_FREE}),
 *       in exactly one array cache ({@link Slab#OBJ_CPU}), or allocated ({@link Slab#OBJ_ALLOC}).</li>
 *   <li>Each slab is on the list its {@code inuse} says, the lists' counts match their links,
 *       and {@code numActive} is the sum of {@code inuse}.</li>
 *   <li>Each page of each slab has {@code PG_slab} and points back to its cache and slab; the
 *       head page is an allocated block of {@code gfporder}.</li>
 *   <li>Array caches: {@code avail <= limit}, slot arrays of {@code limit}, {@code batchcount}
 *       as the cache was tuned, and each entry's slab and index those of its address.</li>
 * </ol>
 * The O(1) parts of 2 and 4 are {@link KmemCache#slabListedLocked} and
 * {@link KmemCache#arrayHoldsLocked}, which the cache also asserts where they change.
 *
 * <h2>Concurrency</h2>
 * O(objects), and it allocates: never on an allocation path. The caller holds every array cache
 * lock and the cache spinlock ({@link KmemCache#checkInvariants()} takes them), so it reads the
 * cache's fields directly and sees no operation half done. One instance per check.
 */
final class KmemCacheCheck {
    private final KmemCache<?> cache;
    private final int num;

    KmemCacheCheck(KmemCache<?> cache) {
        this.cache = cache;
        this.num = cache.num();
    }

    /**
     * Runs every check; all array cache locks and the spinlock are held.
     *
     * @throws AssertionError naming the first broken invariant
     */
    void checkLocked() {
        long active = checkList(cache.slabsFull) + checkList(cache.slabsPartial) + checkList(cache.slabsFree);
        if (active != cache.numActive) {
            throw broken("numActive is " + cache.numActive + " but the slabs' inuse add up to " + active);
        }
        long inCpuState = 0;
        for (SlabList l : new SlabList[] {cache.slabsFull, cache.slabsPartial, cache.slabsFree}) {
            for (Slab s = l.first(); s != null; s = s.next) {
                for (int i = 0; i < num; i++) {
                    if (s.state(i) == Slab.OBJ_CPU) {
                        inCpuState++;
                    }
                }
            }
        }
        Set<Long> seen = new HashSet<>();
        for (ArrayCache cc : cache.cpudata) {
            checkArray(cc, seen);
        }
        if (seen.size() != inCpuState) {
            throw broken(inCpuState + " objects are marked as held by array caches, the arrays hold " + seen.size());
        }
        if (cache.dead && (active != 0 || !cache.slabsFree.isEmpty())) {
            throw broken("destroyed but still holds slabs");
        }
    }

    private void checkArray(ArrayCache cc, Set<Long> seen) {
        String where = "cpu " + cc.cpu + "'s array cache: ";
        cache.arrayHoldsLocked(cc);
        if (cc.limit != cache.limit || cc.batchcount != cache.batchcount) {
            throw broken(where + "tuned " + cc.limit + "/" + cc.batchcount + " but the cache says " + cache.limit
                    + "/" + cache.batchcount);
        }
        for (int i = 0; i < cc.avail; i++) {
            checkArrayEntry(cc, i, seen, where);
        }
    }

    private void checkArrayEntry(ArrayCache cc, int i, Set<Long> seen, String where) {
        long objp = cc.entry[i];
        if (!seen.add(objp)) {
            throw broken(where + String.format("0x%x is in array caches twice", objp));
        }
        Page page = cache.allocator().pageOf(objp);
        if (page == null || page.slabCache() != cache) {
            throw broken(where + String.format("0x%x is not an object of this cache", objp));
        }
        Slab s = (Slab) page.slab();
        if (s.list != cache.slabsFull && s.list != cache.slabsPartial) {
            throw broken(where + String.format("0x%x belongs to %s, which is not full or partial", objp, s));
        }
        long off = objp - cache.objAddr(s, 0);
        if (off < 0 || off % cache.objsize() != 0 || off / cache.objsize() >= num) {
            throw broken(where + String.format("0x%x is not an object start", objp));
        }
        int idx = cache.indexOf(s, objp);
        if (cc.entrySlab[i] != s || cc.entryIdx[i] != idx) {
            throw broken(where + String.format("slot %d holds 0x%x (%s, index %d) but says %s, index %d", i, objp,
                    s, idx, cc.entrySlab[i], cc.entryIdx[i]));
        }
        if (s.state(idx) != Slab.OBJ_CPU) {
            throw broken(where + String.format("0x%x is %s", objp, Slab.stateName(s.state(idx))));
        }
    }

    /** Checks one slab list; returns the sum of its slabs' inuse. */
    private long checkList(SlabList list) {
        long active = 0;
        int count = 0;
        for (Slab s = list.first(); s != null; s = s.next) {
            count++;
            if (s.list != list) {
                throw broken(s + " is linked into " + list.name + " but says it is on "
                        + (s.list == null ? "no list" : s.list.name));
            }
            cache.slabListedLocked(s);
            checkSlab(s);
            active += s.inuse;
        }
        if (count != list.size()) {
            throw broken(list.name + " counts " + list.size() + " slabs but links " + count);
        }
        return active;
    }

    /** {@code check_slabp}, and the pages and typed objects of the slab. */
    private void checkSlab(Slab s) {
        int gfporder = cache.gfporder();
        if (!s.page.isAllocated() || s.page.order() != gfporder) {
            throw broken(s + ": its head page is not an allocated block of order " + gfporder);
        }
        for (int i = 0; i < 1 << gfporder; i++) {
            Page p = cache.allocator().page(s.page.pfn() + i);
            if (!p.testFlag(Page.PG_slab) || p.slabCache() != cache || p.slab() != s) {
                throw broken(s + ": " + p + " lacks PG_slab or its back-pointers");
            }
        }
        boolean[] onFreeList = new boolean[num];
        int free = 0;
        for (int i = s.free; i != Slab.BUFCTL_END; i = s.bufctl[i]) {
            if (i < 0 || i >= num || onFreeList[i]) {
                throw broken(s + ": bufctl chain has index " + i + " out of range or twice");
            }
            onFreeList[i] = true;
            free++;
        }
        if (free != num - s.inuse) {
            throw broken(s + ": bufctl chain has " + free + " objects, expected " + (num - s.inuse));
        }
        for (int i = 0; i < num; i++) {
            byte st = s.state(i);
            if (onFreeList[i] != (st == Slab.OBJ_FREE)) {
                throw broken(s + ": object " + i + " is " + Slab.stateName(st)
                        + (onFreeList[i] ? " but on the bufctl chain" : " but not on the bufctl chain"));
            }
            if (cache.isTyped() && (s.objects[i] == null || s.objects[i].address() != cache.objAddr(s, i))) {
                throw broken(s + ": typed object " + i + " is missing or bound to another slot");
            }
        }
    }

    private AssertionError broken(String what) {
        return new AssertionError("cache " + cache.name() + ": " + what);
    }
}
