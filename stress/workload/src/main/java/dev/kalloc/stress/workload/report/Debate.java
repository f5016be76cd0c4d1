// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.Text;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The 2001 debate answered from one campaign: each claim of the thread "[patch]
 * mempool-2.5.1-D2" (linux-kernel, 14-18 December 2001; Ingo Molnar for mempool, Ben LaHaise for
 * page reservations), paraphrased, with the measurement that tests it, the figure with its
 * interval or its count, a verdict, and the command that reproduces it. The claims and what
 * tests each are listed in the project's DEBATE.md; this class is their executable form.
 *
 * <h2>Verdicts</h2>
 * {@link Status#SUPPORTED} or {@link Status#CONTRADICTED} only from what this campaign (and the
 * JMH results folded in) measured; a claim the run cannot test is {@link Status#NOT_SHOWN} and
 * names the run that would test it (another OOM policy, a JMH run, a source count). The rules are
 * stated row by row in {@link #rows}: a claim about "never" is contradicted by one counter-example
 * and supported by none over every trial; a claim about cost is supported when the difference the
 * claim predicts exceeds the benchmarks' combined 99.9% error (JMH's own) and contradicted when
 * it is within it or the other way round.
 *
 * <h2>Inputs</h2>
 * The campaign's {@link Analysis} (its trials, counters and statistics), the JMH results if any
 * ({@code FastPathBench} and {@code CallSiteBench} from {@code stress/jmh/run.sh}), and, for the
 * source count of claim M5, the repository root when the command runs from one (the
 * {@code ./kalloc} script passes it as {@code kalloc.root}).
 */
final class Debate {
    /** What a row concludes. */
    enum Status {
        SUPPORTED("supported"), CONTRADICTED("contradicted"), NOT_SHOWN("not shown by this run");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        String text() {
            return text;
        }
    }

    /**
     * One claim of the debate and what this run says of it.
     *
     * @param id {@code M1}..{@code M6} (Molnar), {@code L1}..{@code L7} (LaHaise), as in DEBATE.md
     * @param who who made the claim
     * @param claim the claim, paraphrased
     * @param measurement what tests it here
     * @param figure what was measured, with its interval or counts
     * @param status the verdict
     * @param note why that verdict, or which run would decide it
     * @param command the command that reproduces the figure
     */
    record Row(String id, String who, String claim, String measurement, String figure, Status status, String note,
            String command) {
    }

    private static final String JMH_COMMAND = "stress/jmh/debate.sh, then ./kalloc report DIR --jmh"
            + " stress/jmh/target/results-t1.json --jmh stress/jmh/target/results-t2.json";
    private static final String FAST_PATH = "FastPathBench.allocFree";
    /** A cost below this share of the operation it is added to, error included, counts as none. */
    static final int NEGLIGIBLE_PERCENT = 5;
    private static final String CALL_SITE = "CallSiteBench.allocFree";

    private final Analysis a;
    private final JmhResults jmh;
    private final Path root;
    private final String command;

    private Debate(Analysis a, JmhResults jmh, Path root) {
        this.a = a;
        this.jmh = jmh;
        this.root = root;
        this.command = runCommand(a.log());
    }

    /**
     * The rows of the debate for {@code analysis}.
     *
     * @param jmh JMH results, or null when none were given
     * @param root the repository root for the source count, or null
     */
    static List<Row> rows(Analysis analysis, JmhResults jmh, Path root) {
        Debate d = new Debate(analysis, jmh, root);
        return List.of(d.m1(), d.m2(), d.m3(), d.m4(), d.m5(), d.m6(), d.l1(), d.l2(), d.l3(), d.l4(), d.l5(), d.l6(),
                d.l7());
    }

    /** The command line that repeats this campaign, rebuilt from its settings. */
    public static String runCommand(RunLog log) {
        StringBuilder sb = new StringBuilder("./kalloc run");
        String trials = log.setting("trials");
        if (trials != null) {
            sb.append(" --trials ").append(trials);
        }
        append(sb, "-d", log.setting("duration"));
        String rate = log.setting("rate");
        append(sb, "-r", rate == null ? null : rate.replace("/s", ""));
        String memory = log.setting("memory");
        append(sb, "-m", memory == null ? null : memory.replace("MiB", ""));
        append(sb, "--seed", log.setting("seed"));
        append(sb, "--oom", log.setting("oom"));
        String scenarios = log.setting("scenarios");
        if (scenarios != null && !scenarios.equals(String.join(",", Scenarios.all().stream().map(Scenario::name).toList()))) {
            sb.append(" -s ").append(scenarios);
        }
        String guarantees = log.setting("guarantees");
        if (guarantees != null && !guarantees.equals(String.join(",",
                Stream.of(GuaranteeKind.values()).map(GuaranteeKind::label).toList()))) {
            sb.append(" -g ").append(guarantees);
        }
        String pageFail = log.setting("page-fail");
        if (pageFail != null && !pageFail.startsWith("0%")) {
            int pct = pageFail.indexOf('%');
            sb.append(" --page-fail-percent ").append(pageFail, 0, pct);
            unlessDefault(sb, "--page-fail-interval", pageFail.substring(pct + 2), "1");
        }
        String slabFail = log.setting("slab-fail");
        if (slabFail != null && !slabFail.equals("0%")) {
            sb.append(" --slab-fail-percent ").append(slabFail.replace("%", ""));
        }
        unlessDefault(sb, "--cpus", log.setting("cpus"), "2");
        unlessDefault(sb, "--disk-error-rate", log.setting("disk-error-rate"), "0.0");
        unlessDefault(sb, "--workers", log.setting("workers"), "4");
        unlessDefault(sb, "--watchdog", log.setting("watchdog"), "2s");
        unlessDefault(sb, "--stall-threshold", log.setting("stall-threshold"), "100ms");
        unlessDefault(sb, "--service-time", log.setting("service-time"), "100us");
        unlessDefault(sb, "--warmup", log.setting("warmup"), "200ms");
        String free = log.setting("free");
        unlessDefault(sb, "--free", free == null ? null : free.replace("%", ""), "0");
        if ("true".equals(log.setting("kswapd"))) {
            sb.append(" --kswapd");
        }
        return sb.toString();
    }

    /** Appends {@code option value} when the campaign ran with other than the command's default. */
    private static void unlessDefault(StringBuilder sb, String option, String value, String dflt) {
        if (value != null && !value.equals(dflt)) {
            append(sb, option, value);
        }
    }

    private static void append(StringBuilder sb, String option, String value) {
        if (value != null) {
            sb.append(' ').append(option).append(' ').append(value);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Molnar
    // ---------------------------------------------------------------------------------------

    private Row m1() {
        String claim = "mempool lets allocators other than the slab serve: highmem's bounce pool takes lowmem pages"
                + " from the page allocator, raid1's pool stacks an r1bio with a bio per mirror";
        String measurement = "bounce and raid1 on both mempool orders: every trial to the end, data verified";
        List<CellStats> cells = cells(c -> isMempool(c) && (c.cell().scenario().equals("bounce")
                || c.cell().scenario().equals("raid1")));
        if (cells.isEmpty()) {
            return row("M1", claim, measurement, "-", Status.NOT_SHOWN,
                    "this run had no bounce or raid1 cell on a mempool", "./kalloc run -s bounce,raid1");
        }
        return ranToTheEnd("M1", claim, measurement, cells);
    }

    private Row m2() {
        String claim = "mempool_alloc from process context never fails, which simplifies the I/O paths";
        String measurement = "null returns to the drivers from every mempool, both orders, every scenario and trial"
                + " that ran to the end, where the allocator under the pools refused them (memory full, or fault"
                + " injection): the pools' level counters say how often";
        List<CellStats> cells = cells(Debate::isMempool);
        if (cells.isEmpty()) {
            return row("M2", claim, measurement, "-", Status.NOT_SHOWN, "no mempool cell in this run",
                    "./kalloc run -g mempool-2.5.1,mempool-modern");
        }
        long nulls = sleepingNulls(cells);
        long allocations = sumSuffix(cells, ".served_nowait") + sumSuffix(cells, ".served_half_full")
                + sumSuffix(cells, ".served_full_gfp") + sumSuffix(cells, ".served_nonempty")
                + sumSuffix(cells, ".served_waited");
        String figure = String.format(Locale.ROOT, "%d null returns to sleeping callers in %d allocations (%d trials"
                + " that ran to the end)", nulls, allocations, completedTrials(cells));
        if (nulls > 0) {
            return row("M2", claim, measurement, figure, Status.CONTRADICTED, "a pool returned null", command);
        }
        long pastFirst = allocations - sumSuffix(cells, ".served_nowait");
        if (pastFirst == 0) {
            return row("M2", claim, measurement, figure, Status.NOT_SHOWN, "the allocator under the pools never refused"
                    + " their first attempt, so the promise was never put to the test", command);
        }
        return row("M2", claim, measurement, figure + String.format(Locale.ROOT, "; %d of them served past the"
                + " first attempt, the allocator under the pool having refused it", pastFirst), Status.SUPPORTED,
                "none returned null although the allocator under the pools refused their first attempt "
                        + pastFirst + " times" + (faultInjected() ? " (memory full, fault injection on)" : " (memory full)"),
                command);
    }

    private Row m3() {
        String claim = "the five-level order (atomic allocation, pool if at least half full, blocking allocation, pool"
                + " if not empty, wait) is deadlock-aware";
        return halfFullRule("M3", claim, false);
    }

    private Row m4() {
        String claim = "in the normal case mempool costs no more than the allocator under it, and scales as well";
        String measurement = "JMH: one alloc+free through a mempool whose allocator succeeds against the same"
                + " allocation without the pool (CallSiteBench kernel vs direct: pools that count nothing on the"
                + " fast path, as the kernel's; mono, the port's counted pools, when kernel was not run), 1 and 2 threads";
        if (jmh == null) {
            return row("M4", claim, measurement, "-", Status.NOT_SHOWN, "needs JMH results", JMH_COMMAND);
        }
        List<String> figures = new ArrayList<>();
        Status status = null;
        boolean anyPair = false;
        for (int t : new int[] {1, 2}) {
            String poolMode = poolMode(t);
            Optional<JmhResults.Score> pool = score(CALL_SITE, t, "mode", poolMode);
            Optional<JmhResults.Score> bare = score(CALL_SITE, t, "mode", "direct");
            if (pool.isEmpty() || bare.isEmpty()) {
                continue;
            }
            anyPair = true;
            figures.add(diff(pool.get(), bare.get(), t + " thread" + (t == 1 ? "" : "s") + ", pool mode " + poolMode));
            double err = combinedError(pool.get(), bare.get());
            if (Double.isNaN(err)) {
                continue; // JMH gave no interval (fewer than 3 iterations): no verdict from it
            }
            Status s = costVerdict(pool.get().score() - bare.get().score(), err, bare.get().score(), false);
            status = status == null ? s : worst(status, s);
        }
        Optional<JmhResults.Score> pool1 = score(CALL_SITE, 1, "mode", poolMode(1));
        Optional<JmhResults.Score> pool2 = score(CALL_SITE, 2, "mode", poolMode(2));
        Optional<JmhResults.Score> bare1 = score(CALL_SITE, 1, "mode", "direct");
        Optional<JmhResults.Score> bare2 = score(CALL_SITE, 2, "mode", "direct");
        if (pool1.isPresent() && pool2.isPresent() && bare1.isPresent() && bare2.isPresent()) {
            // Scaling, for the figure: the time per operation of one thread with two running,
            // against one alone (JMH's avgt is per thread); 1.00 is perfect scaling.
            figures.add(String.format(Locale.ROOT, "2 threads against 1: pool %.2fx, bare allocation %.2fx",
                    pool2.get().score() / pool1.get().score(), bare2.get().score() / bare1.get().score()));
        }
        Optional<JmhResults.Score> counted1 = score(CALL_SITE, 1, "mode", "mono");
        if (anyPair && poolMode(1).equals("kernel") && counted1.isPresent() && pool1.isPresent()) {
            figures.add(diff(counted1.get(), pool1.get(), "the port's counters (mono vs kernel, 1 thread)"));
        }
        if (status == null) {
            return row("M4", claim, measurement, figures.isEmpty() ? "-" : String.join("; ", figures),
                    Status.NOT_SHOWN, !anyPair ? "the JMH results have no thread count with both CallSiteBench's direct"
                            + " mode and a pool mode (kernel, or mono)"
                            : "JMH gave no error for these scores (fewer than 3 iterations)", JMH_COMMAND);
        }
        return row("M4", claim, measurement, String.join("; ", figures), status,
                status == Status.SUPPORTED ? "the pool adds less than " + NEGLIGIBLE_PERCENT + "% of the bare allocation,"
                        + " error included"
                        : status == Status.CONTRADICTED ? "the pool adds more than the benchmarks' error"
                        : "the pool's cost is within the errors but not shown to be below " + NEGLIGIBLE_PERCENT
                                + "% of the bare allocation", JMH_COMMAND);
    }

    private Row m5() {
        String claim = "mempool adds reservation without making the allocators under it more complex";
        String measurement = "lines of Java each guarantee adds, inside the page and slab allocators and beside them";
        String count = "wc -l mempool/src/main/java/dev/kalloc/mempool/*.java"
                + " page-alloc/src/main/java/dev/kalloc/page/*Reserv*.java reservation/src/main/java/dev/kalloc/reservation/*.java";
        if (root == null || !Files.isDirectory(root.resolve("mempool")) || !Files.isDirectory(root.resolve("page-alloc"))) {
            return row("M5", claim, measurement, "-", Status.NOT_SHOWN,
                    "a property of the sources, not of a run; run ./kalloc from the repository, or count", count);
        }
        try {
            long mempoolBeside = lines(root.resolve("mempool/src/main/java"), p -> true);
            long mempoolInside = lines(root.resolve("page-alloc/src/main/java"), p -> name(p).contains("Mempool"))
                    + lines(root.resolve("slab/src/main/java"), p -> name(p).contains("Mempool"));
            long rsvInside = lines(root.resolve("page-alloc/src/main/java"), p -> name(p).contains("Reserv"));
            long rsvBeside = lines(root.resolve("reservation/src/main/java"), p -> true);
            String figure = String.format(Locale.ROOT, "mempool: %d lines beside the allocators, %d in files of its own inside"
                    + " them; reservation: %d lines in files of its own inside page-alloc, %d beside", mempoolBeside,
                    mempoolInside, rsvInside, rsvBeside);
            return row("M5", claim, measurement, figure,
                    mempoolInside == 0 ? Status.SUPPORTED : Status.CONTRADICTED,
                    "counted by file (whole files whose names say whose they are); the reservation's hooks in the"
                            + " allocation and free paths of PageAllocator, Zone and PageCache are not counted",
                    count);
        } catch (IOException e) {
            return row("M5", claim, measurement, "-", Status.NOT_SHOWN,
                    "the sources could not be read: " + e.getMessage(), count);
        }
    }

    private Row m6() {
        String claim = "a reserve must be a closed circuit outsiders cannot drain: elements come back after the I/O"
                + " latency";
        String measurement = "sleeps on the pools' wait queues and how long they lasted (pool counters), and whether"
                + " every sleeper got an element back";
        List<CellStats> cells = cells(Debate::isMempool);
        long waits = sumSuffix(cells, ".waits");
        long waitNs = sumSuffix(cells, ".wait_ns");
        long stuck = 0;
        for (CellStats c : cells) {
            for (RunResult r : c.cell().trials()) {
                if (r.deadlocked() && r.waitSites().stream().anyMatch(w -> w.contains("a mempool's wait queue"))) {
                    stuck++;
                }
            }
        }
        if (cells.isEmpty() || waits == 0 && stuck == 0) {
            return row("M6", claim, measurement, cells.isEmpty() ? "-" : "0 sleeps", Status.NOT_SHOWN,
                    "no pool ran dry in this run; a higher --rate or less --memory makes them", command);
        }
        String figure = String.format(Locale.ROOT, "%d sleeps, %.2f ms on average; %d trials stuck in a pool's wait"
                + " queue", waits, waits == 0 ? 0 : waitNs / 1e6 / waits, stuck);
        return row("M6", claim, measurement, figure, stuck == 0 ? Status.SUPPORTED : Status.CONTRADICTED,
                stuck == 0 ? "every sleeper was woken by an element coming back"
                        : "a trial ended with threads asleep in a pool that nothing refilled", command);
    }

    // ---------------------------------------------------------------------------------------
    // LaHaise
    // ---------------------------------------------------------------------------------------

    private Row l1() {
        String claim = "drivers bringing their own allocators is of dubious value: the slab and page allocators are"
                + " enough";
        String measurement = "every driver on reservation, which uses only the slab and page allocators: every trial"
                + " to the end, data verified";
        List<CellStats> cells = cells(c -> c.cell().guarantee().equals(GuaranteeKind.RESERVATION.label()));
        if (cells.isEmpty()) {
            return row("L1", claim, measurement, "-", Status.NOT_SHOWN, "no reservation cell in this run",
                    "./kalloc run -g reservation");
        }
        return ranToTheEnd("L1", claim, measurement, cells);
    }

    private Row l2() {
        String claim = "calling allocators through function pointers is costly on modern CPUs";
        String measurement = "JMH: one Mempool call site over four allocator types (megamorphic, as raid1's pools)"
                + " against one type, and against the reservation path (a direct call and a branch): CallSiteBench"
                + " mega, mono, reservation, 1 thread";
        if (jmh == null) {
            return row("L2", claim, measurement, "-", Status.NOT_SHOWN, "needs JMH results", JMH_COMMAND);
        }
        Optional<JmhResults.Score> mega = score(CALL_SITE, 1, "mode", "mega");
        Optional<JmhResults.Score> mono = score(CALL_SITE, 1, "mode", "mono");
        Optional<JmhResults.Score> rsv = score(CALL_SITE, 1, "mode", "reservation");
        if (mega.isEmpty() || mono.isEmpty() || rsv.isEmpty()) {
            return row("L2", claim, measurement, "-", Status.NOT_SHOWN,
                    "the JMH results lack CallSiteBench modes mega, mono and reservation", JMH_COMMAND);
        }
        String figure = diff(mega.get(), mono.get(), "four allocator types against one") + "; "
                + diff(mega.get(), rsv.get(), "against the reservation path");
        double err = combinedError(mega.get(), mono.get());
        if (Double.isNaN(err)) {
            return row("L2", claim, measurement, figure, Status.NOT_SHOWN,
                    "JMH gave no error for these scores (fewer than 3 iterations)", JMH_COMMAND);
        }
        Status s = costVerdict(mega.get().score() - mono.get().score(), err, mono.get().score(), true);
        String note = s == Status.SUPPORTED ? "the megamorphic call costs more than the benchmarks' error"
                : s == Status.CONTRADICTED ? "four allocator types behind one call site cost less than "
                        + NEGLIGIBLE_PERCENT + "% of the operation over one, error included"
                : "the megamorphic call's cost is within the errors, which do not rule out " + NEGLIGIBLE_PERCENT
                        + "% of the operation";
        return row("L2", claim, measurement, figure, s,
                note + String.format(Locale.ROOT, " (%+.1f ± %.1f ns)", mega.get().score() - mono.get().score(), err),
                JMH_COMMAND);
    }

    /**
     * The CallSiteBench mode that stands for the kernel's mempool at {@code threads}: {@code
     * kernel} (pools that count nothing on the fast path, as mempool_alloc does not) when the
     * results have it there with an error; otherwise {@code mono}, the port's counted pools
     * (results from before the kernel mode existed), and the figures name the mode used.
     */
    private String poolMode(int threads) {
        Optional<JmhResults.Score> kernel = score(CALL_SITE, threads, "mode", "kernel");
        return kernel.isPresent() && !Double.isNaN(kernel.get().error()) ? "kernel" : "mono";
    }

    private Row l3() {
        String claim = "a reservation adds one branch, to the uncommon case only: far cheaper than mempool's layer";
        String measurement = "JMH: an order-0 page inside an entered reservation against outside (FastPathBench"
                + " page0-rsv vs page0-pcp), against what a mempool adds (CallSiteBench kernel, or mono without it,"
                + " vs direct), 1 thread";
        if (jmh == null) {
            return row("L3", claim, measurement, "-", Status.NOT_SHOWN, "needs JMH results", JMH_COMMAND);
        }
        Optional<JmhResults.Score> rsv = score(FAST_PATH, 1, "subject", "page0-rsv");
        Optional<JmhResults.Score> pcp = score(FAST_PATH, 1, "subject", "page0-pcp");
        String poolMode = poolMode(1);
        Optional<JmhResults.Score> mono = score(CALL_SITE, 1, "mode", poolMode);
        Optional<JmhResults.Score> direct = score(CALL_SITE, 1, "mode", "direct");
        if (rsv.isEmpty() || pcp.isEmpty()) {
            return row("L3", claim, measurement, "-", Status.NOT_SHOWN,
                    "the JMH results lack FastPathBench subjects page0-rsv and page0-pcp", JMH_COMMAND);
        }
        String figure = diff(rsv.get(), pcp.get(), "reservation entered");
        double rsvCost = rsv.get().score() - pcp.get().score();
        if (Double.isNaN(combinedError(rsv.get(), pcp.get()))) {
            return row("L3", claim, measurement, figure, Status.NOT_SHOWN,
                    "JMH gave no error for these scores (fewer than 3 iterations)", JMH_COMMAND);
        }
        if (mono.isEmpty() || direct.isEmpty() || Double.isNaN(combinedError(mono.get(), direct.get()))) {
            return row("L3", claim, measurement, figure, Status.NOT_SHOWN, "the claim compares with mempool's layer,"
                    + " which these results do not measure (CallSiteBench modes " + poolMode + " and direct)", JMH_COMMAND);
        }
        double poolCost = mono.get().score() - direct.get().score();
        figure += "; " + diff(mono.get(), direct.get(), "mempool's layer (" + poolMode + ")");
        double e1 = combinedError(rsv.get(), pcp.get());
        double e2 = combinedError(mono.get(), direct.get());
        double err = Math.sqrt(e1 * e1 + e2 * e2);
        if (poolCost - rsvCost > err) {
            return row("L3", claim, measurement, figure, Status.SUPPORTED, String.format(Locale.ROOT,
                    "the reservation's cost is below mempool's by %.1f ns, more than the errors (%.1f)",
                    poolCost - rsvCost, err), JMH_COMMAND);
        }
        if (rsvCost - poolCost > err) {
            return row("L3", claim, measurement, figure, Status.CONTRADICTED, String.format(Locale.ROOT,
                    "the reservation's cost is above mempool's by %.1f ns, more than the errors (%.1f)",
                    rsvCost - poolCost, err), JMH_COMMAND);
        }
        return row("L3", claim, measurement, figure, Status.NOT_SHOWN, String.format(Locale.ROOT,
                "the two costs differ by %.1f ns, within the errors (%.1f): more forks would narrow them",
                poolCost - rsvCost, err), JMH_COMMAND);
    }

    private Row l4() {
        String claim = "reserved memory is not wasted: clean, immediately reclaimable page-cache pages occupy it until"
                + " it is needed";
        String measurement = "per zone, unused reserved pages R and clean page-cache pages C sampled every 100 ms;"
                + " held = R, price = max(0, R - C), time-averaged, median over trials; the mempools' idle elements"
                + " beside them";
        List<CellStats> cells = cells(c -> c.cell().guarantee().equals(GuaranteeKind.RESERVATION.label()));
        if (cells.isEmpty()) {
            return row("L4", claim, measurement, "-", Status.NOT_SHOWN, "no reservation cell in this run",
                    "./kalloc run -g reservation");
        }
        List<String> parts = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        List<String> notShown = new ArrayList<>();
        for (CellStats c : cells) {
            CellStats.Figure held = c.figure(Metric.HELD);
            CellStats.Figure price = c.figure(Metric.PRICE);
            if (!held.present() || !price.present()) {
                continue;
            }
            String s = c.cell().scenario();
            CellStats pool = a.cell(s, GuaranteeKind.MEMPOOL_MODERN.label());
            String poolPrice = pool == null || !pool.figure(Metric.PRICE).present() ? ""
                    : ", mempool-modern " + pool.figure(Metric.PRICE).text() + " KiB";
            parts.add(s + ": held " + held.text() + " KiB, price " + price.text() + " KiB" + poolPrice);
            if (price.estimate().hi() < held.estimate().lo()) {
                shown.add(s);
            } else if (held.estimate().median() > 0) {
                notShown.add(s);
            }
        }
        if (parts.isEmpty()) {
            return row("L4", claim, measurement, "-", Status.NOT_SHOWN,
                    "no reservation trial ran to the end", command);
        }
        long afterDrop = sumSuffix(cells, ".served_after_drop");
        parts.add(afterDrop + " reserved allocations served by dropping a clean page");
        // Supported only where clean pages covered R and the reservation could take them back:
        // max(0, R - C) <= R always, so a lower price alone shows only that clean pages existed.
        Status status = !shown.isEmpty() && afterDrop > 0 ? Status.SUPPORTED : Status.NOT_SHOWN;
        String note = (shown.isEmpty() ? "no scenario had clean page cache covering its reservation"
                : "clean pages covered reserved memory in " + String.join(", ", shown)
                        + " (price interval below the held one)" + (afterDrop > 0
                                ? ", and the reservation took such pages back when it needed them"
                                : ", but no reserved allocation had to take one back"))
                + (notShown.isEmpty() ? "" : "; in " + String.join(", ", notShown) + " the price equals what is held:"
                        + " no clean page covered it there");
        return row("L4", claim, measurement, String.join("; ", parts), status, note, command);
    }

    private Row l5() {
        String claim = "with a reservation in hand, an allocation from it never fails";
        String measurement = "null returns to the drivers from reservation sources, every scenario and trial that ran"
                + " to the end, memory full: allocations the ordinary paths refused and the reservation served";
        List<CellStats> cells = cells(c -> c.cell().guarantee().equals(GuaranteeKind.RESERVATION.label()));
        if (cells.isEmpty()) {
            return row("L5", claim, measurement, "-", Status.NOT_SHOWN, "no reservation cell in this run",
                    "./kalloc run -g reservation");
        }
        long nulls = sleepingNulls(cells);
        long fromFree = sumSuffix(cells, ".served_free");
        long afterDrop = sumSuffix(cells, ".served_after_drop");
        String figure = String.format(Locale.ROOT, "%d null returns to sleeping callers (%d trials that ran to the"
                + " end); %d pages served"
                + " from reserved free pages, %d after dropping a clean page", nulls, completedTrials(cells), fromFree,
                afterDrop);
        if (nulls > 0) {
            return row("L5", claim, measurement, figure, Status.CONTRADICTED, "an allocation returned null", command);
        }
        if (fromFree + afterDrop == 0) {
            return row("L5", claim, measurement, figure, Status.NOT_SHOWN, "the ordinary allocation paths never failed,"
                    + " so no allocation had to come from the reservation", command);
        }
        return row("L5", claim, measurement, figure, Status.SUPPORTED, "none returned null although "
                + (fromFree + afterDrop) + " allocations had to come from the reservation, the ordinary paths having"
                + " refused them", command);
    }

    private Row l6() {
        String claim = "the system can decide deterministically at allocation time: yes now, or wait for a free;"
                + " overcommit is the real bug";
        String measurement = "the reservations' admissions (granted, waited, refused) in this run; determinism and no"
                + " overcommit are properties the reservation module's admission tests check";
        List<CellStats> cells = cells(c -> c.cell().guarantee().equals(GuaranteeKind.RESERVATION.label()));
        String figure = cells.isEmpty() ? "-" : String.format(Locale.ROOT, "%d granted, %d waited, %d refused, %d timed"
                + " out", sum(cells, "guarantee.reservations.granted"), sum(cells, "guarantee.reservations.waited"),
                sum(cells, "guarantee.reservations.refused"), sum(cells, "guarantee.reservations.timed_out"));
        return row("L6", claim, measurement, figure, Status.NOT_SHOWN,
                "a load run cannot show determinism; the admission tests test grant, wait (debt) and atomic refusal",
                "./mvnw -B -pl reservation -am test");
    }

    private Row l7() {
        String claim = "the arbitrary half-full rule may deadlock some driver; mempool is one more VM policy to keep in"
                + " sync";
        return halfFullRule("L7", claim, true);
    }

    // ---------------------------------------------------------------------------------------
    // Shared
    // ---------------------------------------------------------------------------------------

    /**
     * M3 and L7, one experiment read from two sides: writeback (alone and in mixed) on the 2.5.1
     * order and the modern one. Only when the page allocator never gives up ({@code --oom wait})
     * can 2.5.1's level 3, a blocking allocation with the caller's full mask below half full,
     * block for good.
     */
    private Row halfFullRule(String id, String claim, boolean lahaise) {
        String measurement = "writeback (alone and in mixed) on the 2.5.1 order against the modern order: trials that"
                + " deadlocked, with where they waited";
        List<CellStats> old = cells(c -> c.cell().guarantee().equals(GuaranteeKind.MEMPOOL_2_5_1.label())
                && c.cell().scenario().matches("writeback|mixed"));
        List<CellStats> modern = cells(c -> c.cell().guarantee().equals(GuaranteeKind.MEMPOOL_MODERN.label())
                && c.cell().scenario().matches("writeback|mixed"));
        if (old.isEmpty()) {
            return row(id, claim, measurement, "-", Status.NOT_SHOWN, "no writeback or mixed cell on"
                    + " mempool-2.5.1 in this run", "./kalloc run --oom wait -s writeback");
        }
        long oldStuck = deadlocks(old);
        long modernStuck = deadlocks(modern);
        String figure = String.format(Locale.ROOT, "deadlocked: mempool-2.5.1 in %d of %d trials, mempool-modern in %d"
                + " of %d (--oom %s)", oldStuck, trials(old), modernStuck, trials(modern), a.log().setting("oom"));
        boolean waits = "wait".equals(a.log().setting("oom"));
        if (!waits && oldStuck == 0) {
            return row(id, claim, measurement, figure, Status.NOT_SHOWN, "with --oom fail the page allocator"
                    + " gives up after 8 rounds, so level 3's blocking call returns; the run that tests it lets it wait",
                    "./kalloc run --oom wait -s writeback");
        }
        if (oldStuck == 0) {
            return row(id, claim, measurement, figure, lahaise ? Status.NOT_SHOWN : Status.SUPPORTED,
                    "the 2.5.1 order never deadlocked, even with an allocator that never gives up", command);
        }
        if (trials(modern) == 0) {
            return row(id, claim, measurement, figure, Status.NOT_SHOWN, "the 2.5.1 order deadlocked, but the modern"
                    + " order did not run beside it, so the half-full rule is not singled out",
                    "./kalloc run --oom wait -s writeback -g mempool-2.5.1,mempool-modern");
        }
        if (modernStuck > 0) {
            return row(id, claim, measurement, figure, Status.NOT_SHOWN,
                    "both orders deadlocked: the half-full rule alone is not shown to be the cause", command);
        }
        String where = whereStuck(old);
        if (lahaise) {
            return row(id, claim, measurement, figure, Status.SUPPORTED, "the 2.5.1 order deadlocked where the modern"
                    + " one, which passes __GFP_NORETRY down (the kernel's fix in 2.6), did not: " + where, command);
        }
        return row(id, claim, measurement, figure, Status.CONTRADICTED, "the 2.5.1 order deadlocked where the modern"
                + " order did not: " + where, command);
    }

    /**
     * Where the deadlocked trials of {@code cells} waited, from the watchdog's wait sites: the
     * 2.5.1 signature (a pool's allocation asleep in the page allocator, not on the pool's own
     * queue) when every stuck trial shows it, else the first site recorded.
     */
    private static String whereStuck(List<CellStats> cells) {
        long stuck = 0;
        long inAllocator = 0;
        String first = null;
        for (CellStats c : cells) {
            for (RunResult r : c.cell().trials()) {
                if (!r.deadlocked()) {
                    continue;
                }
                stuck++;
                boolean sig = r.waitSites().stream().anyMatch(w -> w.contains("the page allocator's wait queue")
                        && w.contains("allocating from"));
                if (sig) {
                    inAllocator++;
                }
                if (first == null && r.waitSites().size() > 1) {
                    first = r.waitSites().get(1);
                }
            }
        }
        if (stuck > 0 && inAllocator == stuck) {
            return "in every stuck trial the watchdog found a pool's allocation asleep in the page allocator's wait"
                    + " queue: below half full, level 3 calls the allocator with the caller's full mask, and it never"
                    + " reaches the pool's own queue, where a returning element would wake it";
        }
        return "the watchdog found: " + (first == null ? "no wait site" : first);
    }

    private Row ranToTheEnd(String id, String claim, String measurement, List<CellStats> cells) {
        List<String> parts = new ArrayList<>();
        boolean all = true;
        for (CellStats c : cells) {
            Cell cell = c.cell();
            long bad = cell.trials().stream().filter(r -> r.deadlocked() || r.mismatches() > 0 || !r.error().isEmpty())
                    .count();
            long verified = cell.trials().stream().mapToLong(RunResult::bytesVerified).sum();
            all &= bad == 0 && verified > 0;
            parts.add(String.format(Locale.ROOT, "%s: %d of %d trials, %s verified", cell.id(), cell.trials().size() - bad,
                    cell.trials().size(), Text.bytes(verified)));
        }
        return row(id, claim, measurement, String.join("; ", parts), all ? Status.SUPPORTED : Status.CONTRADICTED,
                all ? "every trial ran to the end and read back what it wrote"
                        : "some trial deadlocked, lost data or broke", command);
    }

    /** A row of claim {@code id}: {@code M} claims are Molnar's, {@code L} claims LaHaise's. */
    private static Row row(String id, String claim, String measurement, String figure, Status status, String note,
            String command) {
        return new Row(id, id.startsWith("M") ? "Molnar" : "LaHaise", claim, measurement, figure, status, note, command);
    }

    /**
     * A cost claim judged by its interval {@code diff ± err}: a cost is shown when the interval
     * lies above 0, and shown negligible when it lies below {@link #NEGLIGIBLE_PERCENT} of the
     * {@code base} operation; in between nothing is shown. {@code claimsCost}: the claim is that
     * there is a cost (supported when shown), else that there is none (supported when negligible).
     */
    private static Status costVerdict(double diff, double err, double base, boolean claimsCost) {
        if (diff - err > 0) {
            return claimsCost ? Status.SUPPORTED : Status.CONTRADICTED;
        }
        if (diff + err < base * NEGLIGIBLE_PERCENT / 100.0) {
            return claimsCost ? Status.CONTRADICTED : Status.SUPPORTED;
        }
        return Status.NOT_SHOWN;
    }

    /** The less favourable of two verdicts on one claim: contradicted, then not shown, then supported. */
    private static Status worst(Status a, Status b) {
        if (a == Status.CONTRADICTED || b == Status.CONTRADICTED) {
            return Status.CONTRADICTED;
        }
        return a == Status.NOT_SHOWN || b == Status.NOT_SHOWN ? Status.NOT_SHOWN : Status.SUPPORTED;
    }

    private boolean faultInjected() {
        String page = a.log().setting("page-fail");
        String slab = a.log().setting("slab-fail");
        return page != null && !page.startsWith("0%") || slab != null && !slab.equals("0%");
    }

    /**
     * Nulls returned to callers that may sleep, over the trials that ran to the end. A log
     * written before that counter existed has only the count of every null, atomic callers'
     * included: that one is used then, which can only overstate the nulls.
     */
    private static long sleepingNulls(List<CellStats> cells) {
        long n = 0;
        for (CellStats c : cells) {
            for (RunResult r : c.counted()) {
                Long sleeping = r.counters().get("guarantee_sleeping_alloc_failures");
                n += sleeping != null ? sleeping : r.counters().getOrDefault("guarantee_alloc_failures", 0L);
            }
        }
        return n;
    }

    private static long completedTrials(List<CellStats> cells) {
        return cells.stream().mapToLong(c -> c.counted().size()).sum();
    }

    private List<CellStats> cells(Predicate<CellStats> which) {
        return a.cells().stream().filter(which).toList();
    }

    private static boolean isMempool(CellStats c) {
        String g = c.cell().guarantee();
        return g.equals(GuaranteeKind.MEMPOOL_2_5_1.label()) || g.equals(GuaranteeKind.MEMPOOL_MODERN.label());
    }

    private static long trials(List<CellStats> cells) {
        return cells.stream().mapToLong(c -> c.cell().trials().size()).sum();
    }

    private static long deadlocks(List<CellStats> cells) {
        return cells.stream().mapToLong(c -> c.cell().deadlocks()).sum();
    }

    /** The sum of counter {@code name} over every trial of {@code cells}. */
    private static long sum(List<CellStats> cells, String name) {
        long n = 0;
        for (CellStats c : cells) {
            for (RunResult r : c.cell().trials()) {
                n += r.counters().getOrDefault(name, 0L);
            }
        }
        return n;
    }

    /** The sum of every guarantee counter ending in {@code suffix} over every trial of {@code cells}. */
    private static long sumSuffix(List<CellStats> cells, String suffix) {
        long n = 0;
        for (CellStats c : cells) {
            for (RunResult r : c.cell().trials()) {
                for (Map.Entry<String, Long> e : r.counters().entrySet()) {
                    if (e.getKey().startsWith("guarantee.") && e.getKey().endsWith(suffix)) {
                        n += e.getValue();
                    }
                }
            }
        }
        return n;
    }

    private Optional<JmhResults.Score> score(String benchmark, int threads, String param, String value) {
        try {
            return jmh.find(benchmark, threads, Map.of(param, value));
        } catch (IllegalArgumentException ambiguous) {
            return Optional.empty();
        }
    }

    /**
     * JMH's 99.9% errors of two scores, combined as for a difference of independent estimates;
     * NaN when JMH gave either score no error (fewer than three iterations), since then nothing
     * can be decided from them.
     */
    private static double combinedError(JmhResults.Score x, JmhResults.Score y) {
        return Math.sqrt(x.error() * x.error() + y.error() * y.error());
    }

    /** {@code what: 24.1 ± 0.3 vs 20.2 ± 0.2 ns/op (+3.9 ± 0.4)}, with {@code ?} for a missing error. */
    private static String diff(JmhResults.Score x, JmhResults.Score y, String what) {
        return String.format(Locale.ROOT, "%s: %.1f ± %s vs %.1f ± %s %s (%+.1f ± %s)", what, x.score(), err(x.error()),
                y.score(), err(y.error()), x.unit(), x.score() - y.score(), err(combinedError(x, y)));
    }

    private static String err(double e) {
        return Double.isNaN(e) ? "?" : String.format(Locale.ROOT, "%.1f", e);
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }

    /** Lines of the {@code .java} files below {@code dir} that {@code which} accepts. */
    private static long lines(Path dir, Predicate<Path> which) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long n = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(f -> name(f).endsWith(".java")).filter(which)::iterator) {
                try (Stream<String> l = Files.lines(p)) {
                    n += l.count();
                }
            }
        }
        return n;
    }
}
