// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;


/**
 * Where a scenario gets the operation types it records. The mixed scenario hands each of its
 * parts a view that prefixes the part's name, so that {@code write} of the writeback part is
 * recorded as {@code writeback.write}.
 */
public interface OpRegistry {
    /** The operation type {@code name}, created on first use. */
    RunMetrics.OpType opType(String name);

    /** A view whose names are prefixed by {@code prefix + "."}. */
    default OpRegistry prefixed(String prefix) {
        OpRegistry outer = this;
        return name -> outer.opType(prefix + "." + name);
    }
}
