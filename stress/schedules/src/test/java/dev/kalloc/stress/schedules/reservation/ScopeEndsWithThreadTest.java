// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageReservation;
import dev.kalloc.page.Zone;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.ReservationScope;
import dev.kalloc.reservation.Reservations;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * A thread that ends inside a {@link ReservationScope}, as the patch's {@code do_exit} drops
 * {@code current->page_reservations}: the scope ends with its thread, found dead by whoever
 * looks next ({@link Reservation#destroy()}, {@link Reservation#scopes()},
 * {@link Reservation#reapExited()}), while other threads destroy the reservation or wait for
 * admission to it.
 *
 * <p>Invariant, for every schedule: once the dying thread is joined, no scope count stays raised
 * by it ({@code scopes() == 0}, its scope ended exactly once, its task pointing at no
 * reservation); the reservation can be destroyed (a destroy refused while the thread was alive
 * and in its scope succeeds afterwards); an admission waiting meanwhile completes once frees
 * repay it (Fray reports one left asleep as a deadlock); the reservation invariants hold at the
 * quiescent point; and when every page is freed the zone has every page back and nothing
 * reserved (no page or quota lost).
 *
 * <p>Each schedule boots its own 16-frame machine (one zone, watermarks 0). Schedules explored:
 * 200 + 200 (the {@code iterations} below).
 */
@ExtendWith(FrayTestExtension.class)
class ScopeEndsWithThreadTest {
    private static final int FRAMES = 16;
    /** Free pages after boot: every frame but pfn 0. */
    private static final int FREE_AT_BOOT = FRAMES - 1;

    /**
     * A thread enters the reservation, allocates a page and terminates by an exception, never
     * closing its scope; meanwhile the owner destroys the reservation. The destroy comes before
     * the enter (which is then refused, and the thread dies holding nothing), or while the scope
     * is open on a live thread (refused), or after the thread died (its scope is ended first). If
     * it was refused, the same destroy must succeed once the thread is joined.
     */
    @ConcurrencyTest(iterations = 200)
    void destroyRacesAThreadDyingInItsScope() throws InterruptedException {
        World w = new World();
        Reservation r = w.rs.create("r", Gfp.GFP_KERNEL, Reservation.RSV_MULTISHOT);
        assertThat(r.reserve(Gfp.GFP_ATOMIC, 2)).isTrue();
        Dier dier = new Dier(w, r);
        dier.thread.start();
        boolean destroyedFirst;
        try {
            r.destroy();
            destroyedFirst = true;
        } catch (IllegalStateException refused) {
            destroyedFirst = false;
        }
        dier.thread.join();
        assertThat(dier.died).as("the thread ended by its exception").isTrue();
        if (!destroyedFirst) {
            assertThat(dier.scope).as("a destroy refused: the thread held a scope").isNotNull();
            r.destroy();
        }
        assertThat(r.isDestroyed()).isTrue();
        if (dier.scope != null) {
            assertThat(dier.page).as("the page allocated in the scope").isNotNull();
            assertThat(dier.scope.endedWithThread()).as("the dead thread's scope, ended with it").isTrue();
            assertThat(r.scopesEndedWithThread()).as("scopes ended with their thread").isEqualTo(1);
        } else {
            assertThat(dier.refused).as("enter after destroy").isInstanceOf(IllegalStateException.class);
        }
        assertThat(dier.task.get(PageReservation.SLOT)).as("the dead task's page_reservations").isNull();
        assertThat(w.rs.outstanding()).isZero();
        w.freeAll(dier.page == null ? List.of() : List.of(dier.page));
    }

    /**
     * A thread enters the reservation, allocates a page and returns without closing its scope;
     * another waits for an admission of two more pages to the same reservation, more than the
     * zone can grant at first; the owner frees two of its pages (which repay the admission) and
     * asks the reservation to end the scopes of dead threads, while both run. After the joins the
     * admission has been granted, the scope has ended exactly once whoever found the thread dead,
     * and the reservation is destroyed without refusal.
     */
    @ConcurrencyTest(iterations = 200)
    void threadDiesInItsScopeWhileAnAdmissionWaits() throws InterruptedException {
        World w = new World();
        Reservation r = w.rs.create("r", Gfp.GFP_KERNEL, Reservation.RSV_MULTISHOT);
        assertThat(r.reserve(Gfp.GFP_ATOMIC, 2)).isTrue();
        Dier dier = new Dier(w, r, false);
        boolean[] granted = new boolean[1];
        Thread admission = new Thread(() -> granted[0] = r.reserve(Gfp.GFP_KERNEL, 2));
        dier.thread.start();
        admission.start();
        w.machine.pageAlloc().freePage(w.filler.remove(0));
        w.machine.pageAlloc().freePage(w.filler.remove(0));
        int reaped = r.reapExited();
        dier.thread.join();
        admission.join();
        assertThat(dier.scope).as("the thread's scope").isNotNull();
        assertThat(dier.page).as("the page allocated in the scope").isNotNull();
        assertThat(granted[0]).as("the waiting admission, repaid by the frees").isTrue();
        assertThat(r.scopes()).as("scopes open once the thread is dead").isZero();
        assertThat(dier.scope.endedWithThread()).isTrue();
        assertThat(r.scopesEndedWithThread()).as("ended once, by the reap (%d) or by scopes()", reaped).isEqualTo(1);
        assertThat(dier.task.get(PageReservation.SLOT)).as("the dead task's page_reservations").isNull();
        assertThat(r.avail() + r.used()).as("reserved pages, used or not").isEqualTo(4);
        w.rs.checkInvariants();
        if (dier.page.reserveAccount() == r.account()) {
            r.freePages(dier.page, 0);
            assertThat(r.used()).as("the dead thread's page, freed: its quota is back").isZero();
        } else {
            w.machine.pageAlloc().freePage(dier.page);
        }
        r.destroy();
        w.freeAll(List.of());
    }

    /** One schedule's machine, with all but three pages held by the test. */
    private static final class World {
        final Machine machine = Machine.boot(MachineConfig.builder().memory(FRAMES * 4 * MachineConfig.KiB)
                .zoneLimits(0, FRAMES * 4 * MachineConfig.KiB).maxOrder(3).cpus(2).perCpuLists(false)
                .zoneBalance(128, 0, 0).kswapd(false).oomPolicy(OomPolicy.failAfter(1)).build());
        final Reservations rs = Reservations.boot(machine);
        final List<Page> filler = new ArrayList<>();

        World() {
            for (int i = 0; i < FREE_AT_BOOT - 3; i++) {
                filler.add(machine.pageAlloc().allocPage(Gfp.GFP_KERNEL));
            }
            assertThat(filler).as("setup: filler pages").doesNotContainNull();
        }

        /** Frees the filler and {@code more}; then every page is free and none reserved. */
        void freeAll(List<Page> more) {
            for (Page p : filler) {
                machine.pageAlloc().freePage(p);
            }
            filler.clear();
            for (Page p : more) {
                machine.pageAlloc().freePage(p);
            }
            machine.checkInvariants();
            Zone normal = machine.zone(Zone.ZONE_NORMAL);
            assertThat(normal.freePages()).as("free pages once everything is freed").isEqualTo(FREE_AT_BOOT);
            assertThat(normal.reservedPages()).as("pages still reserved").isZero();
        }
    }

    /**
     * A thread that enters {@code r}, allocates a page with {@code GFP_KERNEL} (from the
     * reservation if the ordinary passes fail) and terminates without closing the scope: by an
     * exception in the first test, caught by its uncaught-exception handler, by a plain return in
     * the second. If the enter is refused (the reservation is destroyed) it ends at once.
     */
    private static final class Dier implements Runnable {
        final World w;
        final Reservation r;
        final Thread thread = new Thread(this, "dies-in-scope");
        volatile Task task;
        volatile ReservationScope scope;
        volatile Page page;
        volatile IllegalStateException refused;
        volatile boolean died;
        private final boolean throwing;

        Dier(World w, Reservation r) {
            this(w, r, true);
        }

        Dier(World w, Reservation r, boolean throwing) {
            this.w = w;
            this.r = r;
            this.throwing = throwing;
            thread.setUncaughtExceptionHandler((t, e) -> died = e instanceof DeathInScope);
        }

        @Override
        public void run() {
            task = w.machine.current();
            try {
                scope = r.enter();
            } catch (IllegalStateException e) {
                refused = e;
                died = true;
                return;
            }
            page = w.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            if (throwing) {
                throw new DeathInScope();
            }
            died = true;
        }
    }

    /** The exception a thread dies of inside its scope. */
    private static final class DeathInScope extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeathInScope() {
            super("a thread dies inside its reservation scope", null, false, false);
        }
    }
}
