#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Prints the after/before table of an ab.sh run: python3 ab.py OUT.

Each turn (one JMH run of one jar) gives a score per subject in ns/op. A subject's ratio is the
mean of its after-turns over the mean of its before-turns; its interval (95%) comes from the
spread of the turns themselves, by the delta method on the two means with Student's t on the
smaller number of turns minus one: JMH's own error covers the noise within a turn, the turns
cover the machine's drift between them, which is the larger here. "vs floor" divides the ratio
by the floor's ratio, the control that no build changes. "median" is the ratio of the median
turns: one disturbed turn (a JIT outcome, a burst of load) moves the mean and widens the
interval, and leaves the median where the other turns are. Standard library only.
"""
import glob
import json
import math
import os
import statistics
import sys

# Student's t, two-sided 95%, by degrees of freedom (the turns are few).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
       10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t95(df):
    if df < 1:
        return float("nan")
    best = max(k for k in T95 if k <= df)
    return T95[best]


def scores(folder, side):
    turns = []
    for path in sorted(glob.glob(os.path.join(folder, side + "-*.json"))):
        with open(path) as f:
            try:
                rows = json.load(f)
            except json.JSONDecodeError as e:
                sys.exit(f"ab.py: {path} is not JMH JSON ({e}); was the turn interrupted?")
        turn = {}
        for r in rows:
            try:
                unit, score = r["primaryMetric"]["scoreUnit"], r["primaryMetric"]["score"]
                subject = r["params"]["subject"]
            except (KeyError, TypeError):
                sys.exit(f"ab.py: {path} holds a result without a subject or a score: not FastPathBench's JSON")
            if unit != "ns/op":
                sys.exit(f"ab.py: {path}: unit {unit}, expected ns/op")
            if not isinstance(score, (int, float)) or math.isnan(score) or score <= 0:
                sys.exit(f"ab.py: {path}: {subject} has no usable score ({score!r}); was its run broken off?")
            turn[subject] = score
        turns.append(turn)
    return turns


def ratio(before, after):
    """Mean ratio and its 95% half-width from the turns' spread (delta method)."""
    mb, ma = statistics.mean(before), statistics.mean(after)
    r = ma / mb
    n = min(len(before), len(after))
    if n < 2:
        return r, float("nan")
    rel = math.sqrt(statistics.variance(after) / len(after) / ma ** 2
                    + statistics.variance(before) / len(before) / mb ** 2)
    return r, r * rel * t95(n - 1)


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: ab.py OUT  (the folder ab.sh wrote)")
    folder = sys.argv[1]
    b, a = scores(folder, "before"), scores(folder, "after")
    if not b or not a:
        sys.exit(f"ab.py: {folder} holds no before-*.json or no after-*.json")
    subjects = [s for s in b[0] if all(s in t for t in b + a)]
    missing = sorted(set().union(*b, *a) - set(subjects))
    floor = ratio([t["floor"] for t in b], [t["floor"] for t in a]) if "floor" in subjects else None
    print(f"Turns: {len(b)} before, {len(a)} after (one thread, ns per alloc+free, mean of turns).\n")
    print("| subject | before | after | after/before (95%) | vs floor | median after/before |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in subjects:
        bs, as_ = [t[s] for t in b], [t[s] for t in a]
        r, h = ratio(bs, as_)
        vs = "" if floor is None or s == "floor" else f"{r / floor[0]:.3f}"
        med = statistics.median(as_) / statistics.median(bs)
        interval = f"{r:.3f} ± {h:.3f}" if not math.isnan(h) else f"{r:.3f} (no interval: a side has one turn)"
        print(f"| {s} | {statistics.mean(bs):.1f} | {statistics.mean(as_):.1f} | {interval} | {vs} | {med:.3f} |")
    if missing:
        print(f"\nLeft out (not in every turn): {', '.join(missing)}")
    load = os.path.join(folder, "loadavg.txt")
    if not os.path.isfile(load):
        print(f"\nNo {load}: the load around the turns is unknown, so is whether the run was alone.")
        return
    with open(load) as f:
        print("\nLoad average (1, 5, 15 min) around the turns:\n")
        for line in f:
            print("    " + line.rstrip())


if __name__ == "__main__":
    main()
