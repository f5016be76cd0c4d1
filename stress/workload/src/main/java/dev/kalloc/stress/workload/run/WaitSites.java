// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the threads of a stuck run wait, in the project's words: which wait queue, pool or
 * reservation, read from each thread's stack (the innermost kalloc frame that sleeps, and who
 * called it) plus what {@link TrackedGuarantee} noted the thread was allocating from.
 *
 * <p>The names come from the public classes' method names, so this keeps working as long as
 * those names stay: an unknown frame is reported as {@code Class.method}, never dropped.
 */
final class WaitSites {
    private WaitSites() {
    }

    /** One line per thread: {@code name [STATE] waits in <site>; allocating from <source>}. */
    static List<String> describe(Map<Thread, StackTraceElement[]> stacks, TrackedGuarantee guarantee) {
        List<String> lines = new ArrayList<>();
        List<Map.Entry<Thread, StackTraceElement[]>> entries = new ArrayList<>(stacks.entrySet());
        entries.sort(Comparator.comparing(e -> e.getKey().getName()));
        for (Map.Entry<Thread, StackTraceElement[]> e : entries) {
            Thread t = e.getKey();
            StringBuilder sb = new StringBuilder();
            sb.append(t.getName()).append(" [").append(t.getState()).append("] ").append(site(e.getValue()));
            String source = guarantee == null ? null : guarantee.allocatingIn(t);
            if (source != null) {
                sb.append("; allocating from ").append(source);
            }
            lines.add(sb.toString());
        }
        return lines;
    }

    /** The wait site of one stack, innermost first. */
    static String site(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            StackTraceElement f = stack[i];
            String cls = f.getClassName();
            if (!cls.startsWith("dev.kalloc.")) {
                continue;
            }
            String caller = i + 1 < stack.length ? simple(stack[i + 1]) : "";
            String here = simple(f);
            if (cls.equals("dev.kalloc.kernel.WaitQueue")) {
                return "a wait queue, called from " + caller + " (" + queueName(stack, i + 1) + ")";
            }
            if (cls.startsWith(OpenLoop.class.getName())) {
                return "the open loop's pacing sleep (idle)";
            }
            if (cls.startsWith("dev.kalloc.bio.RequestQueue")) {
                return "its request queue, idle (" + here + ")";
            }
            if (cls.startsWith("dev.kalloc.bio.BioWriteback") && f.getMethodName().equals("awaitIdle")) {
                return "BioWriteback.awaitIdle: writebacks still in flight";
            }
            if (cls.startsWith("dev.kalloc.stress.workload.") && f.getMethodName().contains("flush")) {
                return "the flusher's queue, idle (" + here + ")";
            }
            return "at " + here + " (" + f.getFileName() + ":" + f.getLineNumber() + ")";
        }
        if (stack.length > 0) {
            return "outside kalloc, at " + simple(stack[0]);
        }
        return "no stack (not started or finished)";
    }

    /** Names the wait queue a {@code WaitQueue} sleep belongs to, from the frames that called it. */
    private static String queueName(StackTraceElement[] stack, int from) {
        for (int i = from; i < stack.length; i++) {
            String cls = stack[i].getClassName();
            String m = stack[i].getMethodName();
            if (cls.equals("dev.kalloc.mempool.Mempool")) {
                return "a mempool's wait queue: the pool is empty, waiting for an element to be freed";
            }
            // The reservation guarantee's sources live in ReservationGuarantee (nested classes
            // included) since the seam took the element description; Guarantees before that.
            if (cls.startsWith("dev.kalloc.bio.ReservationGuarantee") || cls.startsWith("dev.kalloc.bio.Guarantees")) {
                return "a reservation source's in-flight limit: waiting for an element to be freed";
            }
            // LaHaise's primitives sleep in ReservePrimitives, called from PageAllocator: name them
            // before the PageAllocator frame below them is read as an out-of-memory sleep.
            if (cls.equals("dev.kalloc.page.ReservePrimitives")) {
                return m.equals("waitForBacking")
                        ? "a reserved allocation: waiting for a reserved page to come free or be written back"
                        : "a reservation's admission: waiting for pages to reserve";
            }
            if (cls.equals("dev.kalloc.page.PageCache") && m.toLowerCase(Locale.ROOT).contains("throttle")) {
                return "the dirty throttle: reserved pages need clean backing";
            }
            if (cls.equals("dev.kalloc.page.PageAllocator")) {
                return "the page allocator's wait queue: out of memory, waiting for pages to be freed";
            }
            if (cls.startsWith("dev.kalloc.reservation.") || cls.equals("dev.kalloc.page.ReserveAccount")) {
                return "a reservation's admission: waiting for pages to reserve";
            }
            if (cls.equals("dev.kalloc.page.Kswapd")) {
                return "kswapd's wait queue, idle";
            }
            if (!cls.equals("dev.kalloc.kernel.WaitQueue") && cls.startsWith("dev.kalloc.")) {
                return "wait queue of " + simple(stack[i]);
            }
        }
        return "an unnamed wait queue";
    }

    private static String simple(StackTraceElement f) {
        String cls = f.getClassName();
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + f.getMethodName();
    }
}
