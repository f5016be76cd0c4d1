// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.highmem;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.highmem.Highmem;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * {@code kmap} on a full window sleeps on {@code pkmap_map_wait} and is woken by {@code kunmap}.
 *
 * <p>Before: a window of one slot, held by page P. The actor's {@code kmap(Q)} finds no slot of
 * count 0 in a whole lap and sleeps (or, if the signal came first, finds P's slot at count 1,
 * flushes it and takes it). The signal is {@code kunmap(P)}: P's count drops to 1 and, under
 * {@code kmap_lock}, it sees the sleeper queued and wakes it; the sleeper starts over, the wrap
 * flushes P's slot and Q is mapped. The actor then reads Q's marker through the mapping.
 */
@JCStressTest(Mode.Termination)
@Description("kmap sleeping on a full pkmap window is woken by kunmap.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The sleeper woke, mapped Q and read it.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The sleeper still sleeps after kunmap: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the read through the new mapping reached another page or faulted.")
@State
public class KmapWokenByKunmapTest {
    private final Highmem hm = Highmem.boot(HighmemFixture.MACHINE, 1);

    public KmapWokenByKunmapTest() {
        hm.kmap(HighmemFixture.P);
    }

    @Actor
    public void kmap() {
        int verdict = HighmemFixture.kmapRead(hm, HighmemFixture.Q);
        if (verdict != HighmemFixture.READ_OK) {
            throw new IllegalStateException("kmap(Q) after the wake-up: read verdict " + verdict);
        }
    }

    @Signal
    public void kunmap() {
        hm.kunmap(HighmemFixture.P);
    }
}
