// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import org.junit.jupiter.api.Test;

/**
 * {@link Task.Slot}: the typed pointers mm code keeps in a task. A slot starts unset on every
 * task, holds what was set until it is set again, refuses a value of another type without
 * changing, and a set slot pins the task to its CPU.
 */
class TaskSlotTest {
    /** Declared once per JVM, as mm code does: slots are few and never freed. */
    private static final Task.Slot<String> NOTE = Task.Slot.declare(String.class, "test-note");

    private static Machine boot() {
        return Machine.boot(MachineConfig.builder().memory(4 * MachineConfig.MiB).cpus(2).kswapd(false).build());
    }

    @Test
    void setReturnsThePreviousValueAndGetReadsIt() {
        try (Machine m = boot()) {
            Task t = m.current();
            assertThat(t.get(NOTE)).isNull();
            assertThat(t.hasSlotSet()).isFalse();
            assertThat(t.set(NOTE, "a")).isNull();
            assertThat(t.set(NOTE, "b")).isEqualTo("a");
            assertThat(t.get(NOTE)).isEqualTo("b");
            assertThat(t.hasSlotSet()).isTrue();
            assertThat(t.set(NOTE, null)).isEqualTo("b");
            assertThat(t.hasSlotSet()).isFalse();
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aValueOfAnotherTypeIsRefusedAndTheSlotKeepsItsValue() {
        try (Machine m = boot()) {
            Task t = m.current();
            t.set(NOTE, "kept");
            Task.Slot raw = NOTE;
            assertThatThrownBy(() -> t.set(raw, 42)).isInstanceOf(ClassCastException.class);
            assertThat(t.get(NOTE)).isEqualTo("kept");
            t.set(NOTE, null);
        }
    }

    @Test
    void aTaskWithASlotSetCannotChangeCpu() {
        try (Machine m = boot()) {
            Task t = m.bindCurrentThread(0);
            t.set(NOTE, "inside");
            try {
                assertThatThrownBy(() -> m.bindCurrentThread(1))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot move to cpu 1");
                assertThat(m.current()).isSameAs(t);
            } finally {
                t.set(NOTE, null);
            }
            assertThat(m.bindCurrentThread(1).cpu()).isEqualTo(1);
        }
    }

    @Test
    void slotsAreOnePerTaskNotShared() throws InterruptedException {
        try (Machine m = boot()) {
            m.current().set(NOTE, "mine");
            String[] seen = new String[1];
            Thread other = new Thread(() -> seen[0] = m.current().get(NOTE));
            other.start();
            other.join();
            assertThat(seen[0]).isNull();
            m.current().set(NOTE, null);
        }
    }
}
