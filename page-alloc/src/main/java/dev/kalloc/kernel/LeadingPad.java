// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

/**
 * The leading pad of every padded runtime structure ({@link PerCpuLock} and so every per-CPU
 * structure, {@link SpinLock}): 128 bytes that the JVM lays out ahead of the subclass's fields,
 * so that nothing the collector places before the object shares a cache line, or an
 * adjacent-line prefetch pair, with them. Why, and how the trailing side is padded: the package
 * comment, "Padding".
 *
 * <p>The {@code int} fills the 4-byte hole after a compressed object header, which the JVM would
 * otherwise give to the first subclass field, in front of the padding.
 */
@SuppressWarnings("unused")
abstract class LeadingPad {
    int p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
    long p09;
    long p10;
    long p11;
    long p12;
    long p13;
    long p14;
    long p15;
    long p16;
}
