// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a campaign ran on, recorded in its log so that a figure can be judged by the machine that
 * produced it: kalloc's version and commit, the JDK, the garbage collector and heap, the CPUs the
 * JVM saw, the load average when the campaign started and when it ended. Two campaigns are only
 * comparable on like machines; a load average near the CPU count says the trials shared their
 * cores with something else.
 *
 * <p>The commit comes from the system property {@code kalloc.commit}, which the {@code ./kalloc}
 * script sets from {@code git} (with {@code -dirty} when the tree has uncommitted changes); a jar
 * run by hand reports {@code unknown}.
 *
 * <p>Stored as one comment line of tab-separated {@code key=value} fields, escaped as
 * {@link RunResult} escapes its fields; unknown keys are kept, so an older reader does not choke
 * on a newer log.
 */
public record Environment(Map<String, String> fields) {
    /** The project version this command belongs to, recorded with every log and shown by --version. */
    public static final String VERSION = "0.1.0-SNAPSHOT";

    /** The comment line's first word. */
    static final String MARK = "kalloc-env";
    /** The key of the load average at the end, added when the campaign ends. */
    public static final String LOAD_END = "load_average_end";

    public Environment {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** The environment of this JVM, now. */
    static Environment capture() {
        Map<String, String> f = new LinkedHashMap<>();
        Package p = Environment.class.getPackage();
        String version = p == null ? null : p.getImplementationVersion();
        f.put("kalloc_version", version == null ? VERSION : version);
        f.put("commit", System.getProperty("kalloc.commit", "unknown"));
        f.put("jdk", System.getProperty("java.vm.vendor", "?") + " " + System.getProperty("java.runtime.version",
                System.getProperty("java.version", "?")));
        f.put("vm", System.getProperty("java.vm.name", "?"));
        List<String> gcs = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        f.put("gc", String.join(", ", gcs));
        f.put("max_heap", Text.bytes(Runtime.getRuntime().maxMemory()));
        f.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        f.put("os", System.getProperty("os.name", "?") + " " + System.getProperty("os.version", "?") + " "
                + System.getProperty("os.arch", "?"));
        f.put("load_average_start", loadAverage());
        return new Environment(f);
    }

    /** The one-minute load average now, or {@code unavailable}. */
    static String loadAverage() {
        double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? "unavailable" : String.format(Locale.ROOT, "%.2f", l);
    }

    /** This environment with {@code key} set to {@code value}. */
    Environment with(String key, String value) {
        Map<String, String> f = new LinkedHashMap<>(fields);
        f.put(key, value);
        return new Environment(f);
    }

    /** The comment line (without the log's leading {@code #}). */
    public String encode() {
        StringBuilder sb = new StringBuilder(MARK);
        fields.forEach((k, v) -> sb.append('\t').append(k).append('=').append(RunResult.escape(v)));
        return sb.toString();
    }

    /**
     * Parses a line made by {@link #encode()}.
     *
     * @throws IllegalArgumentException naming what is malformed
     */
    static Environment decode(String line) {
        String[] parts = line.split("\t");
        if (!parts[0].equals(MARK)) {
            throw new IllegalArgumentException("not a " + MARK + " line");
        }
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(MARK + " field without '=': field " + i);
            }
            f.put(parts[i].substring(0, eq), RunResult.unescape(parts[i].substring(eq + 1)));
        }
        return new Environment(f);
    }

    /** The value of {@code key}, or {@code ?}. */
    public String get(String key) {
        return fields.getOrDefault(key, "?");
    }
}
