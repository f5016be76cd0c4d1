// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.bio;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.Bio;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * The submitter and the completion each hold one reference to a bio ({@code bi_cnt} = 2) and put
 * it at the same time, as a submitter's {@code bio_put} after {@code submit_bio} races the
 * end-io's. Exactly one put may free it: the decrement is a CAS loop that refuses zero, and only
 * the one that moved 1 to 0 calls the destructor. (The reference count is not read afterwards:
 * the freed bio may already belong to another state's allocation.)
 */
@JCStressTest
@Description("bio_put from submitter and completion at once: the bio is freed exactly once.")
@Outcome(id = "true, false", expect = ACCEPTABLE, desc = "The submitter's put came second and freed it.")
@Outcome(id = "false, true", expect = ACCEPTABLE, desc = "The completion's put came second and freed it.")
@Outcome(id = "true, true", expect = FORBIDDEN, desc = "Both puts freed it: a double free.")
@Outcome(id = "false, false", expect = FORBIDDEN, desc = "Neither freed it: a lost update, the bio leaks.")
@State
public class ConcurrentPutTest {
    private final Bio bio = BioFixture.SET.bioAlloc(Gfp.GFP_KERNEL, 1).get();

    @Actor
    public void submitter(ZZ_Result r) {
        r.r1 = bio.put();
    }

    @Actor
    public void completion(ZZ_Result r) {
        r.r2 = bio.put();
    }
}
