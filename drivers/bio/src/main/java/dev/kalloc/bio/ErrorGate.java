// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * The last word on a random error a {@link RamDisk} has drawn for a bio
 * ({@link RamDisk#injectErrors(double, long, ErrorGate)}): a stacking driver that knows which of
 * its members it can afford to lose (md's raid1 and its last in-sync mirror) says whether the
 * error happens. No kernel counterpart: the kernel's fault injection (fail_make_request) fails
 * bios blindly; a test of a driver's error handling that must not be a test of double faults
 * needs the driver's view.
 *
 * <p>Context: the device's dispatcher thread, before it services the bio, with no lock of the
 * device held. An implementation must not sleep and must not submit I/O; it may take the
 * driver's short locks.
 */
@FunctionalInterface
public interface ErrorGate {
    /**
     * @param disk the device that drew the error
     * @param bio the bio it would fail
     * @return true to fail the bio (no data moves), false to service it normally
     */
    boolean admit(RamDisk disk, Bio bio);
}
