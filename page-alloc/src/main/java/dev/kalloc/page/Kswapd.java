// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.Task;
import dev.kalloc.kernel.WaitQueue;

/**
 * kswapd (mm/vmscan.c): the daemon that balances zones in the background. Allocators that fall
 * under a zone's low watermark set {@code need_balance} and wake it; it reclaims with
 * {@code GFP_KSWAPD} until each such zone is above {@code pages_high}, or until a round frees
 * nothing, and then sleeps until the next wake-up. It runs with {@code PF_MEMALLOC}, as the
 * kernel's does, so its own allocations (writeback) are not throttled.
 *
 * <p>Sleep protocol: queue on {@code kswapd_wait}, re-test {@code need_balance}, sleep. Wakers
 * set {@code need_balance} (volatile) before testing for sleepers, so a request is never lost.
 */
final class Kswapd implements Runnable {
    private final Machine machine;
    private final WaitQueue kswapdWait = new WaitQueue();
    private final Thread thread;
    private volatile boolean stopping;

    Kswapd(Machine machine) {
        this.machine = machine;
        this.thread = new Thread(this, "kswapd0");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** {@code wake_up_interruptible(&kswapd_wait)} if kswapd sleeps. Cheap when it is awake. */
    void wake() {
        if (kswapdWait.active()) {
            kswapdWait.wakeUp();
        }
    }

    void stop() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        machine.current().setFlags(Task.PF_MEMALLOC);
        while (!stopping) {
            // Queued before balancing: a wake-up that arrives meanwhile makes the sleep return.
            WaitQueue.Entry wait = kswapdWait.prepareToWait(false);
            try {
                boolean progress = balancePgdat();
                if (!stopping && !(progress && anyNeedBalance())) {
                    kswapdWait.scheduleInterruptible(wait);
                }
            } finally {
                kswapdWait.finishWait(wait);
            }
        }
    }

    /** {@code kswapd_balance_pgdat}: one pass over the zones asking for balance. */
    private boolean balancePgdat() {
        boolean progress = false;
        for (Zone z : machine.zones()) {
            if (!z.needBalance || stopping) {
                continue;
            }
            while (z.freeUnreserved() <= z.pagesHigh && !stopping) {
                int freed = machine.reclaim().tryToFreePages(z, Gfp.GFP_KSWAPD, 0);
                if (freed == 0) {
                    break;
                }
                progress = true;
            }
            if (z.freeUnreserved() > z.pagesHigh) {
                z.needBalance = false;
            }
        }
        return progress;
    }

    private boolean anyNeedBalance() {
        for (Zone z : machine.zones()) {
            if (z.needBalance) {
                return true;
            }
        }
        return false;
    }
}
