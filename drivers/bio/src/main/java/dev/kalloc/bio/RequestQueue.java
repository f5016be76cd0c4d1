// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.kernel.KThreads;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code request_queue_t} of one device, cut down to what a RAM disk needs: a FIFO of bios
 * linked through {@code bi_next}, a dispatcher thread that services them one at a time, and a
 * completion thread that ends them in interrupt context, as a disk's interrupt handler would.
 * It also keeps the queue's bounce limit ({@code q->bounce_pfn}, {@code q->bounce_gfp}) for the
 * highmem driver, and its {@link MakeRequestFn}.
 *
 * <h2>Threads and locks</h2>
 * <ul>
 *   <li>{@code lock} guards both lists ({@code head/tail} pending, {@code doneHead/doneTail}
 *       serviced), {@code closeRequested}, {@code closing} and {@code submitting};
 *       {@code work}, {@code done} and {@code submitsDone} are its conditions. Nothing else is
 *       called with it held.</li>
 *   <li>The bounce set-up ({@code q->bounce_pfn}, {@code q->bounce_gfp} and the
 *       {@link BounceFn}) is one immutable {@link BounceSetup} behind one volatile field, read
 *       once per {@link #enqueue}: a submitter never sees the limit of one set-up with the mask
 *       or the function of another. Writers serialise on {@code setupLock}, which guards
 *       nothing else.</li>
 *   <li>The dispatcher ({@code kblockd-<dev>}) takes the oldest pending bio, has the device
 *       service it (copy, service time, fault decision) without the lock, and appends it to the
 *       serviced list.</li>
 *   <li>The completion thread ({@code irq-<dev>}) takes serviced bios and, inside
 *       {@link Task#irqEnter()}, calls {@link BioSet#bioEndio}: end-io handlers run in interrupt
 *       context and may allocate only atomically (a sleeping allocation there is a
 *       {@link dev.kalloc.kernel.KernelBug}, which is caught, counted and kept for
 *       {@link #completionErrors()}, and the thread goes on).</li>
 * </ul>
 * The queue is drained on {@link #close()}: new submissions are refused at once, submissions
 * already inside their bounce function are waited for (each queues what it built), pending bios
 * are serviced and completed, then both threads stop and are joined.
 *
 * <h2>Invariants</h2>
 * A bio is on at most one list; {@code bi_next} is null except while it is on a list. No node is
 * allocated per bio. A submission that got past the open check is always queued (or completed
 * with an error by its bounce function): {@code closing} is set only when {@code submitting} is
 * 0, so a bounce bio and its pages are never built and then dropped.
 *
 * <h2>Differences from 2.5.1</h2>
 * No elevator, no request merging and no plugging: a RAM disk gains nothing from them, and every
 * bio is its own request. {@code unplug} is therefore a no-op.
 */
public final class RequestQueue {
    /** {@code BLK_BOUNCE_ANY} meaning "no limit": the device reaches every pfn. */
    public static final long BOUNCE_ANY = Long.MAX_VALUE;

    private final RamDisk disk;
    private final Machine machine;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition done = lock.newCondition();
    private Bio head;
    private Bio tail;
    private Bio doneHead;
    private Bio doneTail;
    private int pending;
    private boolean closeRequested;
    private boolean closing;
    private int submitting;
    private final Condition submitsDone = lock.newCondition();
    private final Thread dispatcher;
    private final Thread completer;
    private volatile MakeRequestFn makeRequestFn = RequestQueue::enqueueDefault;
    private final Object setupLock = new Object();
    private volatile BounceSetup bounceSetup = new BounceSetup(BOUNCE_ANY, Gfp.GFP_NOHIGHIO, null);
    private volatile Throwable firstCompletionError;
    private volatile long completionErrors;

    RequestQueue(RamDisk disk, Machine machine) {
        this.disk = disk;
        this.machine = machine;
        this.dispatcher = new Thread(this::dispatchLoop, "kblockd-" + disk.name());
        this.completer = new Thread(this::completeLoop, "irq-" + disk.name());
        dispatcher.setDaemon(true);
        completer.setDaemon(true);
    }

    void start() {
        dispatcher.start();
        completer.start();
    }

    private static void enqueueDefault(RequestQueue q, Bio bio) {
        q.enqueue(bio);
    }

    /** The device this queue feeds. */
    public RamDisk disk() {
        return disk;
    }

    /** {@code blk_queue_make_request}: installs a make-request function (a stacking driver's). */
    public void setMakeRequestFn(MakeRequestFn fn) {
        if (fn == null) {
            throw new IllegalArgumentException("make_request_fn must not be null");
        }
        this.makeRequestFn = fn;
    }

    public MakeRequestFn makeRequestFn() {
        return makeRequestFn;
    }

    /**
     * {@code blk_queue_bounce_limit(q, dma_addr)}: the device reaches physical addresses below
     * {@code dmaAddr} directly; pages at or above {@code dmaAddr >> PAGE_SHIFT} must be bounced.
     * A limit at or below 16 MiB ({@code BLK_BOUNCE_ISA}) makes the bounce mask
     * {@code GFP_NOIO | GFP_DMA}, any other {@code GFP_NOHIGHIO}, as 2.5.1 does.
     */
    public void setBounceLimit(long dmaAddr) {
        if (dmaAddr <= 0) {
            throw new IllegalArgumentException("bounce limit " + dmaAddr + ": must be positive");
        }
        int gfp = dmaAddr <= (16L << 20) ? Gfp.GFP_NOIO | Gfp.GFP_DMA : Gfp.GFP_NOHIGHIO;
        synchronized (setupLock) {
            bounceSetup = new BounceSetup(toPfn(dmaAddr), gfp, bounceSetup.fn());
        }
    }

    /**
     * Sets the bounce limit with the mask chosen by the caller: the highmem driver decides
     * ISA-or-not against the machine's end of low memory (2.5.3's rule), which a tiny test machine
     * needs, where the 16 MiB threshold of {@link #setBounceLimit(long)} covers all of RAM.
     */
    public void setBounceLimit(long dmaAddr, int gfp) {
        checkLimit(dmaAddr, gfp);
        synchronized (setupLock) {
            bounceSetup = new BounceSetup(toPfn(dmaAddr), gfp, bounceSetup.fn());
        }
    }

    /**
     * Installs the {@link BounceFn} that {@link #enqueue} calls first ({@code blk_queue_bounce});
     * null removes it. The limit and mask stay as they are.
     */
    public void setBounceFn(BounceFn fn) {
        synchronized (setupLock) {
            bounceSetup = new BounceSetup(bounceSetup.pfn(), bounceSetup.gfp(), fn);
        }
    }

    /**
     * Sets the limit, the mask and the bounce function at once ({@code blk_queue_bounce_limit}
     * as the highmem driver calls it): a concurrent {@link #enqueue} sees all three old or all
     * three new, never a new limit with no function to bounce for it.
     *
     * @throws IllegalArgumentException as {@link #setBounceLimit(long, int)} (nothing changes)
     */
    public void setBounce(long dmaAddr, int gfp, BounceFn fn) {
        checkLimit(dmaAddr, gfp);
        synchronized (setupLock) {
            bounceSetup = new BounceSetup(toPfn(dmaAddr), gfp, fn);
        }
    }

    private static void checkLimit(long dmaAddr, int gfp) {
        if (dmaAddr <= 0) {
            throw new IllegalArgumentException("bounce limit " + dmaAddr + ": must be positive");
        }
        if ((gfp & ~Gfp.GFP_VALID_MASK) != 0 || (gfp & Gfp.__GFP_HIGHMEM) != 0) {
            throw new IllegalArgumentException("bounce gfp " + Gfp.toString(gfp) + ": bounce pages must be low memory");
        }
    }

    private static long toPfn(long dmaAddr) {
        return dmaAddr == BOUNCE_ANY ? BOUNCE_ANY : dmaAddr >>> 12;
    }

    public BounceFn bounceFn() {
        return bounceSetup.fn();
    }

    /** {@code q->bounce_pfn}: the first pfn the device cannot reach; {@link #BOUNCE_ANY} for none. */
    public long bouncePfn() {
        return bounceSetup.pfn();
    }

    /** {@code q->bounce_gfp}: the mask bounce pages are allocated with. */
    public int bounceGfp() {
        return bounceSetup.gfp();
    }

    /**
     * The queue's bounce set-up as one snapshot: read this once, rather than {@link #bouncePfn()}
     * and {@link #bounceGfp()} one after the other, when the two must belong together.
     */
    public BounceSetup bounceSetup() {
        return bounceSetup;
    }

    /**
     * {@code q->bounce_pfn}, {@code q->bounce_gfp} and the bounce function, published together.
     *
     * @param pfn the first pfn the device cannot reach; {@link #BOUNCE_ANY} for none
     * @param gfp the mask bounce pages are allocated with
     * @param fn the bounce function, or null for none
     */
    public record BounceSetup(long pfn, int gfp, BounceFn fn) {
    }

    /**
     * The default make-request function ({@code __make_request}): passes {@code bio} to the
     * installed {@link BounceFn}, if any, then appends what it returns to the pending list and
     * wakes the dispatcher. Never sleeps without a bounce function; with one it may (in process
     * context), as the bounce pages are allocated.
     *
     * <p>The bounce set-up is read once. A submission with a bounce function counts itself in
     * {@code submitting} when it passes the open check and queues what the function returns even
     * if a close began meanwhile: {@link #close()} waits for it, so the bounce bio (and its pool
     * pages) it built always reaches the device and completes the original.
     *
     * @throws IllegalStateException if the queue is closed or closing, or its device is stacked (it
     *         has no storage; its make-request function must remap the bio); nothing changes
     */
    public void enqueue(Bio bio) {
        if (disk.isStacked()) {
            throw new IllegalStateException(disk.name() + " is a stacked device: its make_request function must "
                    + "remap " + bio + " onto a real device");
        }
        BounceSetup setup = bounceSetup;
        BounceFn fn = setup.fn();
        if (fn == null) {
            lock.lock();
            try {
                checkOpen(bio);
                append(bio);
            } finally {
                lock.unlock();
            }
            return;
        }
        lock.lock();
        try {
            checkOpen(bio);
            submitting++;
        } finally {
            lock.unlock();
        }
        Bio out = null;
        try {
            out = fn.bounce(this, bio, setup.pfn(), setup.gfp());
        } finally {
            // Runs also when the bounce function throws (its contract: nothing held then).
            lock.lock();
            try {
                if (out != null) {
                    append(out); // no closing check: close() waits for submitting == 0
                }
                if (--submitting == 0) {
                    submitsDone.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
        // out == null: the bounce failed and completed the bio with an error
    }

    /** Refuses a new submission once a close has begun; lock held. */
    private void checkOpen(Bio bio) {
        if (closeRequested || closing) {
            throw new IllegalStateException("queue of " + disk.name() + " is closed; " + bio + " not queued");
        }
    }

    /** Appends {@code bio} to the pending list and wakes the dispatcher; lock held. */
    private void append(Bio bio) {
        bio.next = null;
        bio.queuedNanos = System.nanoTime();
        if (tail == null) {
            head = bio;
        } else {
            tail.next = bio;
        }
        tail = bio;
        pending++;
        disk.noteQueued(pending);
        work.signal();
    }

    private Bio takePending() throws InterruptedException {
        lock.lock();
        try {
            while (head == null) {
                if (closing) {
                    return null;
                }
                work.await();
            }
            Bio b = head;
            head = b.next;
            if (head == null) {
                tail = null;
            }
            b.next = null;
            return b;
        } finally {
            lock.unlock();
        }
    }

    private void dispatchLoop() {
        try {
            for (;;) {
                Bio b = takePending();
                if (b == null) {
                    break;
                }
                boolean ok = disk.service(b);
                if (!ok) {
                    b.clearFlag(Bio.BIO_UPTODATE);
                } else {
                    b.setFlag(Bio.BIO_UPTODATE);
                }
                addDone(b);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.lock();
            try {
                closing = true;
                done.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void addDone(Bio b) {
        lock.lock();
        try {
            if (doneTail == null) {
                doneHead = b;
            } else {
                doneTail.next = b;
            }
            doneTail = b;
            done.signal();
        } finally {
            lock.unlock();
        }
    }

    private Bio takeDone() throws InterruptedException {
        lock.lock();
        try {
            while (doneHead == null) {
                if (closing && pending == 0) {
                    return null;
                }
                done.await();
            }
            Bio b = doneHead;
            doneHead = b.next;
            if (doneHead == null) {
                doneTail = null;
            }
            b.next = null;
            return b;
        } finally {
            lock.unlock();
        }
    }

    private void completeLoop() {
        Task task = machine.current();
        try {
            for (;;) {
                Bio b = takeDone();
                if (b == null) {
                    break;
                }
                boolean ok = b.testFlag(Bio.BIO_UPTODATE);
                int sectors = b.sectors();
                lock.lock();
                try {
                    pending--;
                    if (pending == 0) {
                        done.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
                disk.noteCompleted();
                try (Task.IrqScope irq = task.irqEnter()) {
                    b.set().bioEndio(b, ok, sectors);
                } catch (RuntimeException | AssertionError e) {
                    if (firstCompletionError == null) {
                        firstCompletionError = e;
                    }
                    completionErrors++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Bios queued or in service and not yet completed. */
    public int pending() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }

    /** End-io handlers that threw (the bio's completion was lost). */
    public long completionErrors() {
        return completionErrors;
    }

    /** The first end-io handler failure, or null. */
    public Throwable firstCompletionError() {
        return firstCompletionError;
    }

    /**
     * Refuses new submissions, waits for those already inside their bounce function (they queue
     * what they built), services and completes every pending bio, then stops and joins both
     * threads. The wait is on {@code submitsDone}, signalled by the last such submission; the
     * dispatcher and completion threads keep running meanwhile, so a submission sleeping for
     * pool pages that this queue's completions free still finishes.
     */
    void close() {
        lock.lock();
        try {
            closeRequested = true;
            Runnable hook = closeWaitHook;
            if (submitting > 0 && hook != null) {
                hook.run();
            }
            while (submitting > 0) {
                submitsDone.awaitUninterruptibly();
            }
            closing = true;
            work.signalAll();
            done.signalAll();
        } finally {
            lock.unlock();
        }
        KThreads.joinUninterruptibly(dispatcher);
        lock.lock();
        try {
            done.signalAll();
        } finally {
            lock.unlock();
        }
        KThreads.joinUninterruptibly(completer);
    }

    /**
     * Tests only: run (under the queue lock, so it must not block) when {@link #close()} is about
     * to wait for submissions in progress, after new ones are refused. Lets a test release a
     * bounce function it holds exactly when the close has begun, without polling.
     */
    volatile Runnable closeWaitHook;
}
