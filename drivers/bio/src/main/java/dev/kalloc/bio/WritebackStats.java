// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * A snapshot of one {@link BioWriteback}'s counters, as {@link BioWriteback#stats()} takes it.
 * Each counter is exact; taken while writebacks are in flight, the set may mix moments
 * ({@code started} may exceed the sum of the ends by the writebacks still under way).
 *
 * @param started {@code writepage} calls
 * @param completed pages written successfully
 * @param ioErrors pages whose write failed on the device
 * @param allocFailures writebacks failed for want of a bio (or a page past the device)
 */
public record WritebackStats(long started, long completed, long ioErrors, long allocFailures) {
}
