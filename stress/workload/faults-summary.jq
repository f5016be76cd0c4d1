# SPDX-License-Identifier: GPL-2.0-only
# What fault injection did in a kalloc run, per scenario and guarantee, summed over the trials:
# jq -r -f stress/workload/faults-summary.jq DIR/summary.json | column -t
# null_to_sleeper: nulls returned to callers that may sleep (a guarantee's broken promise);
# mirror_errors: random errors raid1's MirrorErrorGate admitted (each costs the array a mirror);
# spared_last_copy: those it refused because the mirror was the last good in-sync copy.
(.settings | capture("seed=(?<s>[0-9-]+)").s) as $seed
| ["seed", "scenario", "guarantee", "runs", "deadlocked", "mismatches", "null_to_sleeper", "page_faults",
   "slab_faults", "disk_errors", "mirror_errors", "spared_last_copy"],
  (.runs | group_by(.scenario + " " + .guarantee) | sort_by(.[0].scenario, .[0].guarantee) | .[]
   | [$seed, .[0].scenario, .[0].guarantee, length, (map(select(.deadlocked)) | length), (map(.mismatches) | add),
      (map(.counters.guarantee_sleeping_alloc_failures) | add),
      (map(.counters["faults.page_alloc_injected"]) | add), (map(.counters["faults.slab_injected"]) | add),
      (map(.counters["faults.disk_io_errors"]) | add),
      (map(.counters.md_error_gate_admitted // .counters["raid1.md_error_gate_admitted"] // 0) | add),
      (map(.counters.md_error_gate_refused_last_copy // .counters["raid1.md_error_gate_refused_last_copy"] // 0)
       | add)])
| @tsv
