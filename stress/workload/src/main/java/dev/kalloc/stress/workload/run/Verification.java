// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.util.List;

/**
 * The end-to-end data check of a run: how many bytes were read back and found equal to what was
 * written, and which checks failed (the first few, described).
 *
 * @param bytesVerified bytes compared and equal
 * @param mismatches checks that failed
 * @param examples descriptions of the first failing checks
 */
public record Verification(long bytesVerified, long mismatches, List<String> examples) {
    /** Failing checks described at most, so a broken run does not fill the log. */
    public static final int MAX_EXAMPLES = 5;

    /** Combines two verifications (the mixed scenario's parts). */
    public Verification plus(Verification o) {
        List<String> ex = new java.util.ArrayList<>(examples);
        for (String e : o.examples) {
            if (ex.size() < MAX_EXAMPLES) {
                ex.add(e);
            }
        }
        return new Verification(bytesVerified + o.bytesVerified, mismatches + o.mismatches, List.copyOf(ex));
    }

    /** Collects checks as they are made. */
    public static final class Builder {
        private long bytes;
        private long mismatches;
        private final List<String> examples = new java.util.ArrayList<>();

        public void ok(long n) {
            bytes += n;
        }

        public void mismatch(String what) {
            mismatches++;
            if (examples.size() < MAX_EXAMPLES) {
                examples.add(what);
            }
        }

        public Verification build() {
            return new Verification(bytes, mismatches, List.copyOf(examples));
        }
    }
}
