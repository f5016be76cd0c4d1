// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import java.util.zip.CRC32;

/**
 * The data every scenario writes: a page of pseudo-random bytes determined by a seed, a block
 * number and a version, so that the verifier knows what each block must hold without keeping
 * the bytes, only their CRC32. The generator is SplitMix64 (a fixed, documented mix), so the
 * pattern is the same on every JVM.
 */
final class Pattern {
    private Pattern() {
    }

    /** Fills {@code buf[0, len)} with the pattern of ({@code seed}, {@code block}, {@code version}). */
    static void fill(byte[] buf, int len, long seed, long block, long version) {
        long x = seed ^ (block * 0xBF58476D1CE4E5B9L) ^ (version * 0x94D049BB133111EBL);
        for (int i = 0; i < len; i += 8) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int b = 0; b < 8 && i + b < len; b++) {
                buf[i + b] = (byte) (z >>> (8 * b));
            }
        }
    }

    /** CRC32 of {@code buf[0, len)}. */
    static long crc(byte[] buf, int len) {
        CRC32 c = new CRC32();
        c.update(buf, 0, len);
        return c.getValue();
    }
}
