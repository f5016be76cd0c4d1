// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

/**
 * The waiting half of {@code kthread_stop()}: once a daemon (a request queue's completer,
 * raid1d, raid1syncd) has been told to stop, its stopper waits for it to exit, and the wait is
 * uninterruptible, as the kernel's is. In Java an interrupt of the stopper must not cut the
 * wait short (the daemon would outlive the structures it works on); it is remembered and
 * re-asserted once the daemon has exited, so the stopper's caller still sees it.
 */
public final class KThreads {
    private KThreads() {
    }

    /**
     * Waits until {@code thread} has exited, ignoring interrupts meanwhile; the calling thread's
     * interrupt status is set again afterwards if one arrived. A null or never-started thread
     * returns at once.
     */
    public static void joinUninterruptibly(Thread thread) {
        if (thread == null) {
            return;
        }
        boolean interrupted = false;
        for (;;) {
            try {
                thread.join();
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
