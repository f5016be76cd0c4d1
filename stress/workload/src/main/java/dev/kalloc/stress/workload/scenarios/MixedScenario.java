// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.stress.workload.run.OpRegistry;
import dev.kalloc.stress.workload.run.Rig;
import dev.kalloc.stress.workload.run.RunMetrics;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.Verification;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every other scenario at once, on one machine and one guarantee: the operations of the open loop
 * go to the parts in turn (operation {@code i} to part {@code i mod n}), so the offered rate is
 * shared among them, and each part's operation types are recorded under its own name
 * ({@code writeback.write}, ...).
 *
 * <p>Set-up order matters: every part is prepared first (pools and buffers while memory is
 * plentiful), then each applies its pressure in reverse order, each of the later parts taking
 * only a share, and the first part (writeback, whose hog is the pressure that matters most)
 * taking whatever is left.
 */
final class MixedScenario implements Scenario {
    static final String NAME = "mixed";
    private final List<Scenario> parts;

    MixedScenario(List<Scenario> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("the mixed scenario needs at least one part");
        }
        this.parts = List.copyOf(parts);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        StringBuilder sb = new StringBuilder("all of the above at once (");
        for (int i = 0; i < parts.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(parts.get(i).name());
        }
        return sb.append(") on one machine, sharing the offered rate").toString();
    }

    @Override
    public Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics) {
        List<Prepared> prepared = new ArrayList<>();
        for (Scenario s : parts) {
            prepared.add(s.prepare(rig, ops.prefixed(s.name()), metrics));
        }
        return new Shared(parts, prepared);
    }

    /**
     * The parts prepared on one rig, run as one scenario: operation {@code i} goes to part
     * {@code i mod n} as that part's operation {@code i / n}; pressure is applied last part first
     * (only the first may take all that is left); the verification and the counters are the
     * parts' together, each counter under its part's name.
     */
    private static final class Shared implements Prepared {
        private final List<Scenario> parts;
        /** The parts' prepared scenarios, in the order of {@link #parts}. */
        private final List<Prepared> prepared;

        Shared(List<Scenario> parts, List<Prepared> prepared) {
            this.parts = parts;
            this.prepared = List.copyOf(prepared);
        }

        @Override
        public void applyPressure(boolean takeAll) {
            for (int i = prepared.size() - 1; i >= 0; i--) {
                prepared.get(i).applyPressure(takeAll && i == 0);
            }
        }

        @Override
        public void startHelpers() {
            for (Prepared p : prepared) {
                p.startHelpers();
            }
        }

        @Override
        public void issue(long index, long intendedNanos) throws InterruptedException {
            int n = prepared.size();
            prepared.get((int) (index % n)).issue(index / n, intendedNanos);
        }

        @Override
        public void abandon(long index, long intendedNanos) {
            int n = prepared.size();
            prepared.get((int) (index % n)).abandon(index / n, intendedNanos);
        }

        @Override
        public Verification finish() throws InterruptedException {
            Verification v = new Verification(0, 0, List.of());
            for (Prepared p : prepared) {
                v = v.plus(p.finish());
            }
            return v;
        }

        @Override
        public Map<String, Long> counters() {
            Map<String, Long> c = new LinkedHashMap<>();
            for (int i = 0; i < prepared.size(); i++) {
                String prefix = parts.get(i).name() + ".";
                prepared.get(i).counters().forEach((k, v) -> c.put(prefix + k, v));
            }
            return c;
        }
    }
}
