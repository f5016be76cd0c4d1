#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns JMH's JSON results (-rf json) of the kalloc suite into Markdown tables of ratios.

Usage: python3 ratios.py [--load LOADFILE] results-t1.json [results-t2.json ...] > table.md

A run with one and two threads is two halves measured minutes apart; whatever else the machine
did in between shows in the subjects that share nothing: the floor (a thread-owned stack) and
Netty (thread caches). If either moved by more than 20% per operation between the halves, the
halves were not measured on the same machine in any useful sense: the "2 threads / 1 thread"
column is replaced by "disturbed", a banner says which subject moved and by how much, and the
exit status is 3. If neither was in the run the column says "unchecked". --load prints the
load averages run.sh recorded around each half.

Standard library only. Results are keyed by (benchmark method, subject, threads), where the
subject is the `subject` @Param, or CallSiteBench's `mode`, so files from runs with -t 1 and -t 2
merge. Every ratio divides two scores of the same run and thread count:
compare ratios, not absolute times, on a noisy machine.
"""
import json
import sys

FAST = "FastPathBench.allocFree"
LIVE = "PatternBench.randomLiveSet"
FIFO = "PatternBench.fifoBurst"
CALL = "CallSiteBench.allocFree"

# CallSiteBench's modes (LaHaise L2), in the order they are printed.
CALL_MODES = [
    ("mono", "4 pools, 1 allocator class"),
    ("mega", "4 pools, 4 allocator classes"),
    ("kernel", "4 pools, 1 allocator class, fast path uncounted (the kernel's)"),
    ("reservation", "direct calls in an entered reservation"),
    ("direct", "direct calls"),
]

# PiecesBench's methods: the parts the fast paths are made of, in the order they are printed.
PIECES = [
    ("baseline", "the harness: a call and a Blackhole"),
    ("taskLookup", "Machine.current(): the caller's task"),
    ("taskCount", "the task and +1 in its own counter cell (mempool now)"),
    ("longAdder", "LongAdder.increment(), one adder for all threads (mempool before)"),
    ("perCpuLockPair", "per-CPU lock pair, the thread's own: CAS + release store"),
    ("spinLockOwn", "SpinLock pair, the thread's own lock: CAS + CAS"),
    ("spinLockShared", "SpinLock pair, one lock for all threads (zone, pool, slab cache)"),
    ("reentrantLockShared", "ReentrantLock pair, one lock for all threads (before)"),
]

# (operation, benchmark, kalloc subject, Netty peer, new byte[] peer)
ROWS = [
    ("page order-0, per-CPU list hit", FAST, "page0-pcp", "netty-8192", "bytes-4096"),
    ("page order-0, per-CPU lists off (split+merge)", FAST, "page0-buddy", "netty-8192", "bytes-4096"),
    ("page order-0, per-CPU lists off, one order-0 block held: no split", FAST, "page0-split-0", "netty-8192",
     "bytes-4096"),
    ("page order-0, per-CPU lists off, split and merge 3 levels", FAST, "page0-split-3", "netty-8192", "bytes-4096"),
    ("page order-0, per-CPU lists off, split and merge 6 levels", FAST, "page0-split-6", "netty-8192", "bytes-4096"),
    ("page order-3", FAST, "page3", "netty-32768", None),
    ("page order-0 inside an entered reservation", FAST, "page0-rsv", "netty-8192", "bytes-4096"),
    ("slab 64 B (kmem_cache_alloc+free)", FAST, "slab-64", "netty-64", "bytes-64"),
    ("slab 256 B", FAST, "slab-256", "netty-256", "bytes-256"),
    ("slab 1 KiB", FAST, "slab-1024", "netty-1024", "bytes-1024"),
    ("kmalloc(64)+kfree", FAST, "kmalloc-64", "netty-64", "bytes-64"),
    ("typed slab 64 B (allocObject+freeObject)", FAST, "slabobj-64", "netty-64", "bytes-64"),
    ("mempool 64 B, underlying succeeds", FAST, "mempool-64", "netty-64", "bytes-64"),
    ("mempool 64 B, underlying succeeds, fast path uncounted (the kernel's)", FAST, "mempool-uncounted-64",
     "netty-64", "bytes-64"),
    ("mempool 64 B, from the reserve", FAST, "mempool-reserve-64", "netty-64", "bytes-64"),
    ("random live set, page order-0", LIVE, "page0-pcp", "netty-4096", None),
    ("random live set, slab 64 B", LIVE, "slab-64", "netty-64", "bytes-64"),
    ("FIFO burst of 64, page order-0", FIFO, "page0-pcp", "netty-4096", None),
    ("FIFO burst of 64, slab 64 B", FIFO, "slab-64", "netty-64", "bytes-64"),
]

# (what, benchmark, numerator subject, denominator subject): kalloc against kalloc.
INTERNAL = [
    ("kmalloc(64) / slab 64 B", FAST, "kmalloc-64", "slab-64"),
    ("mempool 64 B / typed slab 64 B", FAST, "mempool-64", "slabobj-64"),
    ("mempool 64 B uncounted / typed slab 64 B", FAST, "mempool-uncounted-64", "slabobj-64"),
    ("mempool 64 B counted / uncounted (its counters)", FAST, "mempool-64", "mempool-uncounted-64"),
    ("page in reservation / outside", FAST, "page0-rsv", "page0-pcp"),
    ("page per-CPU lists off / on", FAST, "page0-buddy", "page0-pcp"),
    ("one call site: 4 allocator classes / 1 (mega / mono)", CALL, "mega", "mono"),
    ("one call site: kernel-like pool / direct calls (kernel / direct)", CALL, "kernel", "direct"),
    ("one call site: the pool's counters (mono / kernel)", CALL, "mono", "kernel"),
    ("one call site: pool / reservation (mono / reservation)", CALL, "mono", "reservation"),
    ("reservation / direct calls", CALL, "reservation", "direct"),
]


# The buddy's depth experiment: subjects and how many levels each splits and merges per pair.
# page0-buddy splits a top-order block (MAX_ORDER - 1 = 9 levels, the benchmark machine's default).
SPLIT_LEVELS = [("page0-split-0", 0), ("page0-split-3", 3), ("page0-split-6", 6), ("page0-buddy", 9)]


def split_fit(scores, t):
    """(intercept, slope, points) of a least-squares line ns/op = a + b * levels, or None."""
    pts = [(levels, scores[(FAST, subj, t)]["ns"]) for subj, levels in SPLIT_LEVELS if (FAST, subj, t) in scores]
    if len(pts) < 2 or len({x for x, _ in pts}) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    b = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    return my - b * mx, b, pts


def load(paths):
    scores = {}
    for path in paths:
        with open(path) as f:
            for r in json.load(f):
                bench = ".".join(r["benchmark"].split(".")[-2:])
                params = r.get("params", {})
                subject = params.get("subject", params.get("mode"))
                pm = r["primaryMetric"]
                gc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
                scores[(bench, subject, r["threads"])] = {
                    "ns": pm["score"],
                    "err": pm.get("scoreError"),
                    "bop": gc["score"] if gc else None,
                }
    return scores


def fmt(x, digits=1):
    if isinstance(x, str):
        x = float(x) if x.replace(".", "", 1).isdigit() else None
    if x is None or x != x:
        return "-"
    return f"{x:.{digits}f}"


def ratio(scores, bench, a, b, t):
    ra, rb = scores.get((bench, a, t)), scores.get((bench, b, t)) if b else None
    if not ra or not rb or not rb["ns"]:
        return None
    return ra["ns"] / rb["ns"]


# Subjects that share nothing between threads: their time per operation must not move between
# the one-thread and the two-thread half of a run. (benchmark, subject)
STABLE = [(FAST, "floor"), (FAST, "netty-64"), (FAST, "netty-8192")]
# Largest move of a STABLE subject between the halves that still counts as one machine.
MAX_MOVE = 0.20


def stability(scores, threads):
    """(verdict, lines): verdict is "ok", "disturbed" or "unchecked"."""
    if len(threads) < 2:
        return "ok", []
    lo, hi = threads[0], threads[-1]
    lines, checked, worst = [], 0, None
    for bench, subj in STABLE:
        a, b = scores.get((bench, subj, lo)), scores.get((bench, subj, hi))
        if not a or not b or not a["ns"]:
            continue
        checked += 1
        move = b["ns"] / a["ns"] - 1
        lines.append(f"| {subj} | {fmt(a['ns'], 2)} | {fmt(b['ns'], 2)} | {move * 100:+.0f}% |")
        if abs(move) > MAX_MOVE and (worst is None or abs(move) > abs(worst[1])):
            worst = (subj, move)
    if not checked:
        return "unchecked", ["Stability not checked: neither the floor nor Netty 64 B / 8 KiB was in this run, "
                             "so the \"2 threads / 1 thread\" column is marked \"unchecked\"."]
    head = [f"Stability between the halves ({lo} and {hi} threads; more than {MAX_MOVE * 100:.0f}% "
            "in either means the machine changed under the run):", "",
            f"| subject | {lo} thread ns/op | {hi} threads ns/op | moved |", "|---|---|---|---|"]
    if worst:
        banner = [f"**DISTURBED RUN: {worst[0]} moved {worst[1] * 100:+.0f}% between the halves.** Ratios "
                  "across thread counts are not evidence; rerun on a quiet machine. Ratios within one "
                  "half are printed, but check the load lines.", ""]
        return "disturbed", banner + head + lines
    return "ok", head + lines


def read_load(path):
    with open(path) as f:
        return ["Load averages recorded by run.sh:", ""] + ["    " + line.rstrip() for line in f if line.strip()]


def main(argv):
    load_path = None
    if argv and argv[0] == "--load":
        if len(argv) < 2:
            sys.exit("--load needs a file")
        load_path, argv = argv[1], argv[2:]
    if not argv:
        sys.exit(__doc__)
    scores = load(argv)
    threads = sorted({k[2] for k in scores})
    verdict, notes = stability(scores, threads)
    out = []
    if load_path:
        out += read_load(load_path) + [""]
    out += notes + [""] if notes else []
    out.append("| operation | threads | kalloc ns/op | B/op | Netty peer | Netty ns/op | kalloc / Netty "
               "| kalloc / new byte[] | kalloc / floor | kalloc / floor-tl | 2 threads / 1 thread |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for op, bench, subj, netty, arr in ROWS:
        for t in threads:
            k = scores.get((bench, subj, t))
            if not k:
                continue
            n = scores.get((bench, netty, t))
            one = scores.get((bench, subj, 1))
            scale = k["ns"] / one["ns"] if t != 1 and one else None
            if t != 1 and verdict != "ok":
                scale = verdict
            out.append("| {} | {} | {} ± {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                op, t, fmt(k["ns"]), fmt(k["err"]), fmt(k["bop"], 2), netty, fmt(n["ns"]) if n else "-",
                fmt(ratio(scores, bench, subj, netty, t), 2), fmt(ratio(scores, bench, subj, arr, t), 2),
                fmt(ratio(scores, bench, subj, "floor", t), 1), fmt(ratio(scores, bench, subj, "floor-tl", t), 1),
                scale if isinstance(scale, str) else fmt(scale, 2)))
    out.append("")
    out.append("| one call site (CallSiteBench) | mode | threads | ns/op | B/op | / direct | / mono |")
    out.append("|---|---|---|---|---|---|---|")
    for t in threads:
        for mode, what in CALL_MODES:
            k = scores.get((CALL, mode, t))
            if k:
                out.append("| {} | {} | {} | {} ± {} | {} | {} | {} |".format(
                    what, mode, t, fmt(k["ns"]), fmt(k["err"]), fmt(k["bop"], 2),
                    fmt(ratio(scores, CALL, mode, "direct", t), 2), fmt(ratio(scores, CALL, mode, "mono", t), 2)))
    out.append("")
    pieces = [(name, what) for name, what in PIECES if any(("PiecesBench." + name, None, t) in scores for t in threads)]
    if pieces:
        out.append("| piece (PiecesBench) | method | threads | ns/op | B/op | 2 threads / 1 thread |")
        out.append("|---|---|---|---|---|---|")
        for t in threads:
            for name, what in pieces:
                k = scores.get(("PiecesBench." + name, None, t))
                one = scores.get(("PiecesBench." + name, None, 1))
                if not k:
                    continue
                scale = "-" if t == 1 or not one else (verdict if verdict != "ok" else fmt(k["ns"] / one["ns"], 2))
                out.append(f"| {what} | {name} | {t} | {fmt(k['ns'])} ± {fmt(k['err'])} | {fmt(k['bop'], 2)} | {scale} |")
        out.append("")
    # One thread only: with two, the second thread takes the order-0 buddy the first one's split
    # left free, so a pair no longer splits and merges K levels.
    fits = [(t, split_fit(scores, t)) for t in threads if t == 1]
    fits = [(t, f) for t, f in fits if f]
    if fits:
        out.append("| buddy depth (page0-split-K, page0-buddy = 9 levels) | threads | points (levels: ns/op) "
                   "| fixed ns/op | ns/op per level split and merged | largest residual ns/op |")
        out.append("|---|---|---|---|---|---|")
        for t, (a, b, pts) in fits:
            worst = max((y - (a + b * x) for x, y in pts), key=abs)
            out.append(f"| least squares, ns/op = fixed + per level x levels | {t} | "
                       + ", ".join(f"{x}: {fmt(y)}" for x, y in pts) + f" | {fmt(a)} | {fmt(b)} | {worst:+.1f} |")
        out.append("")
    out.append("| kalloc against kalloc | threads | ratio | difference ns/op |")
    out.append("|---|---|---|---|")
    for what, bench, a, b in INTERNAL:
        for t in threads:
            ra, rb = scores.get((bench, a, t)), scores.get((bench, b, t))
            if ra and rb:
                out.append(f"| {what} | {t} | {fmt(ra['ns'] / rb['ns'], 2)} | {fmt(ra['ns'] - rb['ns'])} |")
    out.append("")
    out.append("All results:")
    out.append("")
    out.append("| benchmark | subject or mode | threads | ns/op | ± | B/op |")
    out.append("|---|---|---|---|---|---|")
    for (bench, subj, t), r in sorted(scores.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1] or "")):
        out.append(f"| {bench} | {subj} | {t} | {fmt(r['ns'])} | {fmt(r['err'])} | {fmt(r['bop'], 2)} |")
    print("\n".join(out))
    return 3 if verdict == "disturbed" else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)  # the reader (e.g. head) stopped reading: nothing to report
    except OSError as e:
        sys.exit(f"ratios.py: cannot read {e.filename}: {e.strerror}")
    except (ValueError, KeyError, TypeError) as e:
        # json.JSONDecodeError is a ValueError; a JSON file that is not JMH's -rf json output
        # lacks the keys load() reads.
        sys.exit(f"ratios.py: not a JMH JSON result file (-rf json): {type(e).__name__}: {e}")
