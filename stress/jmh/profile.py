#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Splits each fast path's time per operation among the kalloc functions it ran in.

Usage: python3 profile.py DIR

DIR is what profile.sh wrote: JMH's results.json and, per benchmark, async-profiler's
collapsed stacks (collapsed-cpu.csv: one line per distinct stack, frames from the thread's
root to the leaf separated by ';', then the number of samples). Each sample is charged to the
innermost frame of kalloc's own code (dev/kalloc/..., not the benchmark's stress/jmh classes),
so the JDK frames under it (VarHandle CAS, Thread.getId) count for the kalloc function that
called them; inlined frames are separate frames in async-profiler's stacks, so an inlined
function keeps its own time. Samples with no kalloc frame are the harness (the benchmark loop,
the Blackhole, the subject's own stack). A function's ns/op is its share of the samples times
the benchmark's score from the same run.

The functions are then summed into what they are there for (GROUPS, first match wins): the
port's per-CPU and shared locks, the task lookup, the misuse checks DESIGN.md requires, the
fault-injection hooks, the buddy's split and merge, the mempool's layer, and the rest, the
allocator's own work.

Sampling profiles skid: a sample lands a few instructions after the one that stalled, so an
expensive load or CAS can be charged to the next function. Read shares of a few per cent as
"about", and compare subjects from the same run.

Standard library only.
"""
import json
import os
import sys

KALLOC = "dev/kalloc/"

# (group, prefixes of the short function names it holds); first match wins, the rest is "own work".
GROUPS = [
    ("locks: per-CPU (DESIGN: two threads may share a CPU id) and shared (zone, slab, pool)",
     ("PerCpuLock.", "SpinLock.")),
    ("the mempool's counters (TaskCounters cells, the port's; the kernel counts nothing)",
     ("Task.count", "TaskCounters.")),
    ("the caller's task (smp_processor_id, and the interrupt-context check DESIGN asks for)",
     ("Machine.current", "Task.")),
    ("object lookup and state: address to page to slab to index, the state byte (the misuse checks DESIGN asks "
     "for: a double free or wrong cache caught, nothing changed; and the typed API finding its object)",
     ("KmemCache.lookup", "KmemCache.divide", "KmemCache.slabOf", "KmemCache.indexOf", "KmemCache.requireTyped",
      "SlabAllocator.pageOf", "Page.slab", "Page.testFlag", "Page.flags", "Slab.",
      "SlabObject.cache", "PageAllocator.checkFreeable", "PageAllocator.freePagesOk", "PageAllocator.checkOrder")),
    ("fault-injection hooks (should_failslab, should_fail_alloc_page)",
     ("FaultAttr.", "FailSlab.", "FailPageAlloc.", "SlabAllocator.failslab")),
    ("the buddy lists and bitmaps (expand, __free_pages_ok's loop, rmqueue's take: the split and merge, and the "
     "list and bitmap work a pair does even with nothing to split)",
     ("Zone.expand", "Zone.freeOneLocked", "Zone.takeBlockLocked", "Zone.rmqueueLocked", "FreeArea.", "PageList.")),
    ("the mempool's layer (mempool_alloc/mempool_free, its gfp check, its allocator and owner-check glue)",
     ("Mempool.", "Gfp.check", "SlabMempools")),
]
OWN = "the allocator's own work (the per-CPU array or list, the rest of the call)"
HARNESS_ROW = "(harness: benchmark loop, Blackhole, subject)"
HARNESS = "dev/kalloc/stress/"
# Subjects' glue in stress/jmh that is part of what a subject measures but not kalloc: shown as
# the harness.
TOP = 14


def frames_charge(stack):
    """The frame a sample is charged to: the innermost kalloc frame outside the harness."""
    charged = None
    for frame in stack.split(";"):
        if frame.startswith(KALLOC) and not frame.startswith(HARNESS):
            charged = frame
    return charged


def short(frame):
    """dev/kalloc/slab/KmemCache.alloc_[j] -> KmemCache.alloc"""
    name = frame.rsplit("/", 1)[-1]
    if "$$Lambda" in name:
        # dev/kalloc/mempool/SlabMempools$$Lambda$123.0x...alloc -> SlabMempools.lambda.alloc
        owner, _, rest = name.partition("$$Lambda")
        name = owner + ".lambda." + rest.rsplit(".", 1)[-1]
    for suffix in ("_[j]", "_[i]", "_[0]", "_[1]", "_[k]"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_collapsed(path):
    per, total = {}, 0
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                raise ValueError(f"{path} line {number}: not 'frames count'")
            n = int(count)
            total += n
            charged = frames_charge(stack)
            key = short(charged) if charged else HARNESS_ROW
            per[key] = per.get(key, 0) + n
    return per, total


def group_of(name):
    if name == HARNESS_ROW:
        return "the harness (benchmark loop, Blackhole, the subject's glue)"
    for group, prefixes in GROUPS:
        if name.startswith(prefixes):
            return group
    return OWN


def read_scores(path):
    scores = {}
    with open(path) as f:
        for r in json.load(f):
            params = r.get("params", {})
            subject = params.get("subject", params.get("mode", ""))
            bench = r["benchmark"].rsplit(".", 2)
            pm = r["primaryMetric"]
            if pm.get("scoreUnit") != "ns/op":
                raise ValueError(f"{path}: scores in {pm.get('scoreUnit')}, not ns/op (run without -bm or -tu)")
            err = pm.get("scoreError")
            err = err if isinstance(err, (int, float)) and err == err else float("nan")
            scores[(".".join(bench[-2:]), subject, r["threads"])] = (pm["score"], err)
    return scores


def label(dirname):
    """JMH's folder name -> (benchmark, subject, threads): ...FastPathBench.allocFree-AverageTime-subject-slab-64."""
    head, _, rest = dirname.partition("-AverageTime")
    bench = ".".join(head.split(".")[-2:])
    subject, threads = "", None
    parts = rest.lstrip("-").split("-")
    for key in ("subject", "mode"):
        if key in parts:
            subject = "-".join(parts[parts.index(key) + 1:])
    return bench, subject, threads


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__)
    root = argv[0]
    results = os.path.join(root, "results.json")
    if not os.path.isfile(results):
        sys.exit(f"profile.py: {results} is missing: run profile.sh first")
    scores = read_scores(results)
    found = 0
    for dirname in sorted(os.listdir(root)):
        path = os.path.join(root, dirname, "collapsed-cpu.csv")
        if not os.path.isfile(path):
            continue
        bench, subject, _ = label(dirname)
        score = next((v for (b, s, _t), v in scores.items() if b == bench and s == subject), None)
        if score is None:
            # A folder left by an earlier run into the same OUT: its samples are not of this run.
            print(f"(skipped {dirname}: not in this run's results.json)", file=sys.stderr)
            continue
        found += 1
        per, total = read_collapsed(path)
        ns = score[0] if score else None
        err = score[1] if score else None
        print(f"### {bench} {subject}: {ns:.1f} ± {err:.1f} ns/op, {total} samples".replace("± nan", "± ?")
              if ns is not None
              else f"### {bench} {subject}: no score in results.json, {total} samples")
        print()
        print("| function (with the JDK code it called) | samples | share | ns/op |")
        print("|---|---|---|---|")
        rows = sorted(per.items(), key=lambda kv: -kv[1])
        shown = rows[:TOP]
        rest = sum(n for _, n in rows[TOP:])
        for name, n in shown:
            share = n / total if total else 0
            print(f"| {name} | {n} | {share * 100:.1f}% | {ns * share:.1f} |" if ns is not None
                  else f"| {name} | {n} | {share * 100:.1f}% | - |")
        if rest:
            share = rest / total
            print(f"| {len(rows) - TOP} others | {rest} | {share * 100:.1f}% | "
                  + (f"{ns * share:.1f} |" if ns is not None else "- |"))
        print()
        groups = {}
        for name, n in rows:
            g = group_of(name)
            groups[g] = groups.get(g, 0) + n
        print("| what for (every function above and the others, summed) | share | ns/op |")
        print("|---|---|---|")
        for g, n in sorted(groups.items(), key=lambda kv: -kv[1]):
            share = n / total if total else 0
            print(f"| {g} | {share * 100:.1f}% | " + (f"{ns * share:.1f} |" if ns is not None else "- |"))
        print()
    if not found:
        sys.exit(f"profile.py: no collapsed-cpu.csv under {root}: did the profiler run (JMH -prof async)?")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)
    except OSError as e:
        sys.exit(f"profile.py: cannot read {e.filename}: {e.strerror}")
    except (ValueError, KeyError, TypeError) as e:
        sys.exit(f"profile.py: a file is not what profile.sh writes: {type(e).__name__}: {e}")
