package dev.kalloc.bio;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Task;
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
 *       serviced) and {@code closing}; {@code work} and {@code done} are its conditions. Nothing
 *       else is called with it held.</li>
 *   <li>The dispatcher ({@code kblockd-<dev>}) takes the oldest pending bio, has the device
 *       service it (copy, service time, fault decision) without the lock, and appends it to the
 *       serviced list.</li>
 *   <li>The completion thread ({@code irq-<dev>}) takes serviced bios and, inside
 *       {@link Task#irqEnter()}, calls {@link BioSet#bioEndio}: end-io handlers run in interrupt
 *       context and may allocate only atomically (a sleeping allocation there is a
 *       {@link dev.kalloc.page.KernelBug}, which is caught, counted and kept for
 *       {@link #completionErrors()}, and the thread goes on).</li>
 * </ul>
 * The queue is drained on {@link #close()}: pending bios are serviced and completed, then both
 * threads stop and are joined.
 *
 * <h2>Invariants</h2>
 * A bio is on at most one list; {@code bi_next} is null except while it is on a list. No node is
 * allocated per bio.
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
    private boolean closing;
    private final Thread dispatcher;
    private final Thread completer;
    private volatile MakeRequestFn makeRequestFn = RequestQueue::enqueueDefault;
    private volatile long bouncePfn = BOUNCE_ANY;
    private volatile int bounceGfp = Gfp.GFP_NOHIGHIO;
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
        bouncePfn = dmaAddr == BOUNCE_ANY ? BOUNCE_ANY : dmaAddr >>> 12;
        bounceGfp = dmaAddr <= (16L << 20) ? Gfp.GFP_NOIO | Gfp.GFP_DMA : Gfp.GFP_NOHIGHIO;
    }

    /** {@code q->bounce_pfn}: the first pfn the device cannot reach; {@link #BOUNCE_ANY} for none. */
    public long bouncePfn() {
        return bouncePfn;
    }

    /** {@code q->bounce_gfp}: the mask bounce pages are allocated with. */
    public int bounceGfp() {
        return bounceGfp;
    }

    /**
     * The default make-request function: appends {@code bio} to the pending list and wakes the
     * dispatcher. Never sleeps.
     *
     * @throws IllegalStateException if the queue is closed, or its device is stacked (it has no
     *         storage; its make-request function must remap the bio); nothing changes
     */
    public void enqueue(Bio bio) {
        if (disk.isStacked()) {
            throw new IllegalStateException(disk.name() + " is a stacked device: its make_request function must "
                    + "remap " + bio + " onto a real device");
        }
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("queue of " + disk.name() + " is closed; " + bio + " not queued");
            }
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
        } finally {
            lock.unlock();
        }
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

    /** Services and completes every pending bio, then stops and joins both threads. */
    void close() {
        lock.lock();
        try {
            closing = true;
            work.signalAll();
            done.signalAll();
        } finally {
            lock.unlock();
        }
        joinQuietly(dispatcher);
        lock.lock();
        try {
            done.signalAll();
        } finally {
            lock.unlock();
        }
        joinQuietly(completer);
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        for (;;) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
