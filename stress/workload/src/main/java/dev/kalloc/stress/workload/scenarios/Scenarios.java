// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.stress.workload.run.Scenario;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scenarios the command knows, by name, in the order the default campaign runs them. The
 * mixed scenario runs every other one at once, so it is built from this list.
 */
public final class Scenarios {
    private static final Map<String, Scenario> ALL;

    static {
        Map<String, Scenario> m = new LinkedHashMap<>();
        add(m, new WritebackScenario());
        add(m, new BounceScenario());
        add(m, new Raid1Scenario());
        List<Scenario> parts = new ArrayList<>(m.values());
        if (parts.size() > 1) {
            add(m, new MixedScenario(parts)); // with one part it would only repeat it
        }
        ALL = Collections.unmodifiableMap(m);
    }

    private Scenarios() {
    }

    private static void add(Map<String, Scenario> m, Scenario s) {
        m.put(s.name(), s);
    }

    /** Every scenario, in campaign order. */
    public static List<Scenario> all() {
        return List.copyOf(ALL.values());
    }

    /** The names, comma-separated, for help and messages. */
    public static String names() {
        return String.join(", ", ALL.keySet());
    }

    /**
     * The scenario called {@code name}.
     *
     * @throws IllegalArgumentException naming the known scenarios
     */
    public static Scenario byName(String name) {
        Scenario s = ALL.get(name.trim().toLowerCase(java.util.Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown scenario '" + name + "'; choose from " + names());
        }
        return s;
    }
}
