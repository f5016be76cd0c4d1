// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * Turns {@link InjectedBug}'s removed protection on for the schedule tests, which live outside
 * this package. In the page package of the test sources only, so nothing in the product can
 * reach the switch.
 */
public final class PageBugs {
    private PageBugs() {
    }

    /**
     * Puts the bug named {@code name} (an {@link InjectedBug} constant) in force until the returned
     * handle is closed. Call it before starting the threads that should see it.
     *
     * @throws IllegalArgumentException for an unknown name
     * @throws IllegalStateException if another bug is already in force
     */
    public static AutoCloseable inject(String name) {
        InjectedBug bug = InjectedBug.valueOf(name);
        if (InjectedBug.active != InjectedBug.NONE) {
            throw new IllegalStateException("page bug " + InjectedBug.active + " is already injected");
        }
        InjectedBug.active = bug;
        return () -> InjectedBug.active = InjectedBug.NONE;
    }
}
