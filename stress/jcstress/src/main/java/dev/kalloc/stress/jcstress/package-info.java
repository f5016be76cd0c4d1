// SPDX-License-Identifier: GPL-2.0-only
/**
 * kalloc's jcstress suite: concurrency tests of every shared structure, one package per
 * structure, all packaged in one runnable jar.
 *
 * <h2>Running</h2>
 * <pre>{@code
 * ./mvnw -q -DskipTests package -pl stress/jcstress -am       # builds stress/jcstress/target/jcstress.jar
 * java -jar stress/jcstress/target/jcstress.jar -m quick       # every test, a couple of minutes each
 * java -jar stress/jcstress/target/jcstress.jar -m sanity      # smoke run, seconds per test
 * java -jar stress/jcstress/target/jcstress.jar -l             # list the tests
 * java -jar stress/jcstress/target/jcstress.jar -t 'page\.Pcp' -m quick -v   # a regex selects tests;
 *                                                              # -v prints every outcome's count
 * }</pre>
 * The exit status is 0 when every test passed and 1 when any test observed a FORBIDDEN outcome or
 * threw. On a 2-core machine {@code -m quick} took 32 minutes for the 14 {@code page} tests and
 * {@code -m sanity} under 2 minutes. The HTML report and the result blob go to a new folder
 * {@code jcstress-results/<date>-<time>/} (or {@code -r DIR}): see {@link Main}. Longer runs:
 * {@code -m default}, {@code -m tough}, {@code -m stress}. {@code -jvmArgsPrepend -ea} turns on
 * the allocators' own {@code assert}s in the forked JVMs.
 *
 * <p>Mind {@code -m sanity}: it runs each test for 0 ms, which still gives the {@code Continuous}
 * tests a few samples but gives {@code Mode.Termination} tests none at all (they report no
 * outcome and pass). To smoke-test the termination tests too, give them time:
 * {@code -m sanity -time 20}.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Tests live in {@code src/main/java}: jcstress-core's annotation processor generates the
 *       harness of each {@code @JCStressTest} and {@code META-INF/TestList}, which the shaded
 *       jar merges.</li>
 *   <li>Every {@code @Outcome} description names the interleaving that produces it. The
 *       ACCEPTABLE outcomes are listed exactly; a catch-all FORBIDDEN outcome covers everything
 *       else, so an unforeseen result fails the run instead of passing unnoticed.</li>
 *   <li>An {@code @Arbiter} runs at a quiescent point: it calls the structure's
 *       {@code checkInvariants()} and encodes pass or fail as the last field of the result
 *       (see {@code page.Verdict}); only verdict 0 is acceptable.</li>
 *   <li>Every blocking path has a {@code Mode.Termination} test whose STALE outcome (the actor
 *       never returned after the signal: a lost wake-up) is FORBIDDEN.</li>
 *   <li>State objects are cheap: jcstress builds thousands. A test machine is 16 frames; its
 *       physical memory is allocated only if touched.</li>
 * </ul>
 *
 * <h2>{@code page}: the buddy allocator, per-CPU lists and the allocator's wait queue</h2>
 * <dl>
 *   <dt>{@code LastPageMemallocTest}</dt>
 *   <dd>Two {@code PF_MEMALLOC} allocations race for the zone's only free page: exactly one
 *       gets it, nothing is lost.</dd>
 *   <dt>{@code LastPagesAtomicTest}</dt>
 *   <dd>Two GFP_ATOMIC allocations race for the last two pages: the unlocked watermark test
 *       lets one or both succeed (both is the kernel's own race), never the same page twice,
 *       never neither.</dd>
 *   <dt>{@code LastBlockSplitRaceTest}</dt>
 *   <dd>An order-1 and an order-0 allocation race for the only free block (order 1): exactly
 *       one wins; a split and a whole-block take never overlap.</dd>
 *   <dt>{@code BuddyPairFreeTest}</dt>
 *   <dd>Concurrent frees of the two halves of a buddy pair merge exactly once, cascading to
 *       order 2; the order-0 list keeps neither half.</dd>
 *   <dt>{@code BuddyCascadeFreeTest}</dt>
 *   <dd>Two frees in different pairs whose order-1 results are buddies meet in one order-2
 *       block.</dd>
 *   <dt>{@code PcpRefillVsFreeTest}</dt>
 *   <dd>Same-CPU allocation at the per-CPU {@code low} mark ({@code rmqueue_bulk} refill) against
 *       a free: two exact outcomes, pages conserved.</dd>
 *   <dt>{@code PcpDrainAtHighVsAllocTest}</dt>
 *   <dd>Same-CPU free at the per-CPU {@code high} mark ({@code free_pages_bulk} drain) against an
 *       allocation: two exact outcomes, pages conserved.</dd>
 *   <dt>{@code PcpDrainAllVsAllocTest}</dt>
 *   <dd>{@code drainAllPages()} against an allocation from the list it drains.</dd>
 *   <dt>{@code PcpSameCpuAllocTest}, {@code PcpSameCpuFreeTest}</dt>
 *   <dd>Two allocations, or two frees, on one CPU's list at once (the CPU-id collision the port
 *       allows): distinct pages, exactly one refill or drain.</dd>
 *   <dt>{@code SleepingAllocWokenByFreeTest} (termination)</dt>
 *   <dd>A GFP_KERNEL allocation on an exhausted zone ({@code OomPolicy.waitForFree()}) sleeps
 *       and is woken by a free; it returns a page either way the race goes.</dd>
 *   <dt>{@code SleepingAllocRemoteFreeTest} (termination)</dt>
 *   <dd>The same with per-CPU lists: the free lands on another CPU's list, and the sleeper's
 *       drain before re-testing finds it.</dd>
 *   <dt>{@code WaitQueueExclusiveWakeTest} (termination)</dt>
 *   <dd>An exclusive sleeper (prepareToWait, re-test, schedule) is woken by
 *       {@code flag = true; wakeUp()}.</dd>
 *   <dt>{@code WaitQueueActiveCheckTest} (termination)</dt>
 *   <dd>{@code waitEvent} is woken by a waker that calls {@code wakeUp()} only if
 *       {@code active()}: the lock-free Dekker pair every page free relies on.</dd>
 *   <dt>{@code SpinLockExclusionTest}, {@code SpinLockParkingExclusionTest}</dt>
 *   <dd>Two plain read-modify-writes under {@code SpinLock} never interleave and each
 *       sees the other's, with the default spins and with none (every contended acquisition
 *       parks).</dd>
 *   <dt>{@code SpinLockParkedWaiterWokenTest} (termination)</dt>
 *   <dd>A waiter queued and parked in {@code lock()} is woken by the holder's unlock.</dd>
 * </dl>
 */
package dev.kalloc.stress.jcstress;
