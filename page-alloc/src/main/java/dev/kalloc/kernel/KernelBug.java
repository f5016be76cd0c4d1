// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

/**
 * What the kernel reports with {@code BUG()}: a caller broke a rule of the allocator (double free,
 * wrong order, a sleeping allocation from interrupt context, destroying a cache with objects
 * out). Thrown before anything is changed, so every structure is left exactly as it was.
 */
public class KernelBug extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public KernelBug(String message) {
        super("BUG: " + message);
    }
}
