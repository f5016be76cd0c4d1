package dev.kalloc.stress.jcstress.bio;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Task;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * A bio allocation on an exhausted MEMPOOL guarantee: the source (a 2.5.1 mempool of one element
 * over an allocator that fails once the prefill is made) has its only element out, held by an
 * in-flight bio. {@code bio_alloc(GFP_NOIO)} sleeps; the signal is that bio's completion, which
 * runs in interrupt context and gives the element back, as {@code bio_put}'s destructor does.
 * The sleeper must wake and receive exactly that element.
 *
 * <p>This drives the guarantee's source directly, with a token element, rather than a whole
 * {@code BioSet}: a set per state would create seven slab caches per state on the shared machine.
 * {@code BioSet.bioAlloc} calls exactly this source for its bio.
 */
@JCStressTest(Mode.Termination)
@Description("A sleeping allocation on an exhausted mempool guarantee is woken by a completing bio.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The allocation returned the element the completion freed.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation still sleeps after the completion: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned something other than the freed element.")
@State
public class SleepingAllocWokenByCompletionTest {
    private final Object token = new Object();
    private boolean made;
    private final ElementSource<Object> bios = Guarantees.mempool(BioFixture.MACHINE, MempoolPolicy.LINUX_2_5_1)
            .source("jcs-bio", 1, 0, gfp -> {
                if (made) {
                    return null;
                }
                made = true;
                return token;
            }, e -> { });
    private final Object inFlight = bios.alloc(Gfp.GFP_ATOMIC);

    @Actor
    public void bioAlloc() {
        Object got = bios.alloc(Gfp.GFP_NOIO);
        if (got != inFlight) {
            throw new IllegalStateException("the sleeping allocation returned " + got + ", not " + inFlight);
        }
    }

    @Signal
    public void completion() {
        try (Task.IrqScope irq = BioFixture.MACHINE.current().irqEnter()) {
            bios.free(inFlight);
        }
    }
}
