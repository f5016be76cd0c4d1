// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.TinyMachines;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Interrupt context and the task ({@code current}): what may sleep, what may not, CPU binding. */
@SuppressWarnings("try") // irq scopes are opened for their effect, as try (var irq = ...irqEnter())
class InterruptContextTest {

    @ParameterizedTest
    @ValueSource(ints = {Gfp.GFP_KERNEL, Gfp.GFP_NOIO, Gfp.GFP_NOFS, Gfp.GFP_USER, Gfp.GFP_HIGHUSER,
        Gfp.__GFP_WAIT | Gfp.__GFP_DMA})
    void sleepingAllocationInInterruptContextIsABugAndChangesNothing(int gfp) {
        try (Machine m = TinyMachines.bootThreeZones()) {
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            MachineState before = MachineState.of(m);
            Task t = m.current();
            try (Task.IrqScope irq = t.irqEnter()) {
                assertThat(t.inInterrupt()).isTrue();
                assertThatThrownBy(() -> m.pageAlloc().allocPages(gfp, 0))
                        .isInstanceOf(KernelBug.class)
                        .hasMessageStartingWith("BUG: ")
                        .hasMessageContaining("interrupt context");
                assertThatThrownBy(() -> m.pageAlloc().getFreePages(gfp, 2)).isInstanceOf(KernelBug.class);
            }
            assertThat(t.inInterrupt()).isFalse();
            assertThat(MachineState.of(m)).isEqualTo(before);
            assertThat(m.pageAlloc().failPageAlloc().attr().failures()).as("fault injection not consulted").isZero();
            m.checkInvariants();
        }
    }

    @Test
    void atomicAllocationsAndFreesWorkInInterruptContext() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            Task t = m.current();
            Page kept;
            try (Task.IrqScope irq = t.irqEnter()) {
                Page p = m.pageAlloc().allocPage(Gfp.GFP_ATOMIC);
                assertThat(p).isNotNull();
                m.pageAlloc().freePage(p);
                kept = m.pageAlloc().allocPages(Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM, 3);
                assertThat(kept).isNotNull();
                assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)).isNotNull();
            }
            try (Task.IrqScope irq = t.irqEnter()) {
                m.pageAlloc().freePages(kept, 3);
            }
            m.checkInvariants();
        }
    }

    @Test
    void interruptScopesNestAndUnbalancedExitIsABug() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            Task t = m.current();
            Task.IrqScope outer = t.irqEnter();
            Task.IrqScope inner = t.irqEnter();
            inner.close();
            assertThat(t.inInterrupt()).isTrue();
            outer.close();
            assertThat(t.inInterrupt()).isFalse();
            assertThatThrownBy(outer::close).isInstanceOf(KernelBug.class);
            assertThat(t.inInterrupt()).isFalse();
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)).isNotNull();
        }
    }

    @Test
    void interruptContextIsPerThread() throws Exception {
        try (Machine m = TinyMachines.bootThreeZones()) {
            AtomicReference<Page> other = new AtomicReference<>();
            try (Task.IrqScope irq = m.current().irqEnter()) {
                Thread t = new Thread(() -> other.set(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)));
                t.start();
                t.join();
            }
            assertThat(other.get()).isNotNull();
        }
    }

    @Test
    void taskFlagsSaveAndRestore() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            Task t = m.current();
            int saved = t.setFlags(Task.PF_MEMALLOC);
            assertThat(saved).isZero();
            int saved2 = t.setFlags(Task.PF_MEMDIE);
            assertThat(saved2).isEqualTo(Task.PF_MEMALLOC);
            assertThat(t.flags()).isEqualTo(Task.PF_MEMALLOC | Task.PF_MEMDIE);
            t.restoreFlags(saved2);
            assertThat(t.flags()).isEqualTo(Task.PF_MEMALLOC);
            t.restoreFlags(saved);
            assertThat(t.flags()).isZero();
            PageReservation r = (gfp, order, zonelist) -> null;
            assertThat(t.set(PageReservation.SLOT, r)).isNull();
            assertThat(t.get(PageReservation.SLOT)).isSameAs(r);
            assertThat(t.set(PageReservation.SLOT, null)).isSameAs(r);
        }
    }

    @Test
    void threadsAreBoundToCpusRoundRobinUnlessTheyBindThemselves() throws Exception {
        try (Machine m = Machine.boot(TinyMachines.threeZones().cpus(3).build())) {
            int[] cpus = new int[4];
            for (int i = 0; i < 4; i++) {
                int idx = i;
                Thread t = new Thread(() -> cpus[idx] = m.current().cpu());
                t.start();
                t.join();
            }
            assertThat(cpus).containsExactly(0, 1, 2, 0);

            Task main = m.current();
            assertThat(m.current()).isSameAs(main);
            Task bound = m.bindCurrentThread(2);
            assertThat(bound.cpu()).isEqualTo(2);
            assertThat(m.current()).isSameAs(bound);
            assertThat(m.bindCurrentThread(2)).isSameAs(bound);
            assertThat(bound.name()).isEqualTo(Thread.currentThread().getName());

            assertThatThrownBy(() -> m.bindCurrentThread(3)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> m.bindCurrentThread(-1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aTaskInTheMiddleOfSomethingCannotMove() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().build())) {
            Task t = m.bindCurrentThread(0);
            int saved = t.setFlags(Task.PF_MEMALLOC);
            assertThatThrownBy(() -> m.bindCurrentThread(1)).isInstanceOf(IllegalStateException.class);
            t.restoreFlags(saved);
            try (Task.IrqScope irq = t.irqEnter()) {
                assertThatThrownBy(() -> m.bindCurrentThread(1)).isInstanceOf(IllegalStateException.class);
            }
            t.set(PageReservation.SLOT, (gfp, order, zonelist) -> null);
            assertThatThrownBy(() -> m.bindCurrentThread(1)).isInstanceOf(IllegalStateException.class);
            t.set(PageReservation.SLOT, null);
            assertThat(m.current()).isSameAs(t);
            assertThat(m.bindCurrentThread(1).cpu()).isEqualTo(1);
        }
    }

    @Test
    void tasksArePerMachine() {
        try (Machine a = TinyMachines.bootThreeZones(); Machine b = TinyMachines.bootThreeZones()) {
            a.current().setFlags(Task.PF_MEMALLOC);
            assertThat(b.current().flags()).isZero();
            assertThat(b.current()).isNotSameAs(a.current());
            a.current().restoreFlags(0);
        }
    }
}
