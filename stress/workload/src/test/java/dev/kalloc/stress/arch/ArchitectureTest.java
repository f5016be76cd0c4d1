// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;

/**
 * The rules between kalloc's modules (DESIGN.md, "Modules" and "The two guarantees under test";
 * verification layer 5), checked on the bytecode so that a review does not have to catch them.
 *
 * <p>It lives in stress/workload because that is the one module whose class path holds every
 * library module: page-alloc, slab, mempool, reservation and the three drivers. The stress tools
 * beside it (jcstress, jmh, schedules) sit at the top of the layering and may use anything, so no
 * rule here needs their classes. Only main classes are imported: a module's tests may reach into
 * its own package (same-package access), and the test-jars are not on this class path anyway.
 *
 * <p>Invariants held:
 * <ol>
 *   <li>each module depends only on the modules the DESIGN.md table lists for it;</li>
 *   <li>the modules form no cycle;</li>
 *   <li>highmem and raid1 choose a guarantee only through drivers/bio's seam, and inside bio only
 *       the seam's own classes name mempool or reservation types;</li>
 *   <li>the page allocator's reservation hook and vmscan's reclaim are used only where the design
 *       puts them;</li>
 *   <li>the kernel runtime ({@code dev.kalloc.kernel}) depends on no mm class;</li>
 *   <li>the workload's packages form no cycle, and its command line is on top of them.</li>
 * </ol>
 */
@AnalyzeClasses(packages = "dev.kalloc", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    private static final String KERNEL = "dev.kalloc.kernel..";
    private static final String PAGE = "dev.kalloc.page..";
    private static final String SLAB = "dev.kalloc.slab..";
    private static final String MEMPOOL = "dev.kalloc.mempool..";
    private static final String RESERVATION = "dev.kalloc.reservation..";
    private static final String BIO = "dev.kalloc.bio..";
    private static final String HIGHMEM = "dev.kalloc.highmem..";
    private static final String RAID1 = "dev.kalloc.raid1..";
    private static final String STRESS = "dev.kalloc.stress..";
    /** The workload's package prefix; its sub-packages are the slices of {@link #workloadPackagesFormNoCycle}. */
    private static final String WORKLOAD = "dev.kalloc.stress.workload.";
    /** The part of vmscan's Reclaim that other modules use: the shrinker registry. */
    private static final Set<String> SHRINKER_REGISTRY = Set.of("registerShrinker", "unregisterShrinker");

    /**
     * DESIGN.md's module table, one layer per module. page-alloc holds two packages, the mm
     * ({@code dev.kalloc.page}) and the kernel runtime every module uses ({@code dev.kalloc.kernel});
     * both belong to its layer, and {@link #kernelRuntimeDependsOnNoMmClass} separates them. A
     * layer that imports no class fails the rule, so a module missing from the class path cannot
     * pass it unnoticed.
     */
    @ArchTest
    static final ArchRule modulesDependOnlyOnTheModulesTheDesignLists = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("page-alloc").definedBy(PAGE, KERNEL)
            .layer("slab").definedBy(SLAB)
            .layer("mempool").definedBy(MEMPOOL)
            .layer("reservation").definedBy(RESERVATION)
            .layer("bio").definedBy(BIO)
            .layer("highmem").definedBy(HIGHMEM)
            .layer("raid1").definedBy(RAID1)
            .layer("stress").definedBy(STRESS)
            .whereLayer("page-alloc").mayNotAccessAnyLayer()
            .whereLayer("slab").mayOnlyAccessLayers("page-alloc")
            .whereLayer("mempool").mayOnlyAccessLayers("page-alloc", "slab")
            .whereLayer("reservation").mayOnlyAccessLayers("page-alloc", "slab")
            .whereLayer("bio").mayOnlyAccessLayers("page-alloc", "slab", "mempool", "reservation")
            .whereLayer("highmem").mayOnlyAccessLayers("page-alloc", "slab", "bio")
            .whereLayer("raid1").mayOnlyAccessLayers("page-alloc", "slab", "bio")
            .whereLayer("stress").mayNotBeAccessedByAnyLayer();

    /** One slice per module package; a cycle would make the layering above meaningless. */
    @ArchTest
    static final ArchRule modulesFormNoCycle = slices().matching("dev.kalloc.(*)..")
            .should().beFreeOfCycles();

    /**
     * "A driver never names mempool or reservation types" (DESIGN.md): highmem and raid1 take
     * their guarantee as a bio {@code Guarantee} built from a {@code GuaranteeKind} and sized by
     * {@code Elements}, so the same driver code runs on every guarantee. The layering says this
     * too; this rule says why, in its failure message.
     */
    @ArchTest
    static final ArchRule driversChooseAGuaranteeOnlyThroughTheBioSeam = noClasses()
            .that().resideInAnyPackage(HIGHMEM, RAID1)
            .should().dependOnClassesThat().resideInAnyPackage(MEMPOOL, RESERVATION)
            .because("a driver chooses its guarantee only through drivers/bio's Guarantee,"
                    + " GuaranteeKind and Elements, so its code is the same on every guarantee");

    /**
     * Inside bio, the seam's own classes are the only ones that know the implementations: the
     * two implementations, the kind that creates them and the helpers that build them. The rest
     * of bio (bios, bio sets, the request queue, the RAM disk) is driver code like highmem's.
     */
    @ArchTest
    static final ArchRule onlyTheSeamInBioNamesMempoolOrReservation = classes()
            .that().resideInAPackage(BIO)
            .and().haveNameNotMatching(
                    "dev\\.kalloc\\.bio\\.(MempoolGuarantee|ReservationGuarantee|GuaranteeKind|Guarantees)(\\$.*)?")
            .should().onlyDependOnClassesThat().resideOutsideOfPackages(MEMPOOL, RESERVATION)
            .because("bio's driver code, like highmem's and raid1's, runs unchanged on every"
                    + " guarantee");

    /**
     * page-alloc's mm internals. The buddy structures (FreeArea, PageList, PerCpuPages), kswapd
     * and the reservation primitives are package-private, so Java already keeps them inside.
     * Three public types are internal all the same, public only because another package of the
     * design needs one part of them. vmscan's {@code Reclaim} is driven by the allocator and
     * kswapd; outside page-alloc it is only the shrinker registry (slab registers its cache
     * reaper there, as 2.4 hard-wires {@code kmem_cache_reap}), so nobody else reclaims
     * directly or reads its counters. The reservation hook, {@code PageReservation} and
     * {@code ReserveAccount}, is split by LaHaise's design between the allocator (the account,
     * changed under the zone locks) and the reservation module that owns it
     * ({@link #reservationHookIsOnlyTheReservationModules}). Everything else public in
     * dev.kalloc.page (Machine, Zone as the per-zone view, Page, Gfp, PageAllocator, PageCache,
     * ProcFs, ...) is the allocator's API and used by every module.
     */
    @ArchTest
    static final ArchRule reclaimIsOnlyAShrinkerRegistryOutsidePageAlloc = noClasses()
            .that().resideOutsideOfPackage(PAGE)
            .should().accessTargetWhere(DescribedPredicate.describe(
                    "a member of dev.kalloc.page.Reclaim other than registerShrinker/unregisterShrinker",
                    (JavaAccess<?> access) -> access.getTargetOwner().getFullName().equals("dev.kalloc.page.Reclaim")
                            && !SHRINKER_REGISTRY.contains(access.getName())))
            .because("reclaim is the allocator's and kswapd's; others take part in it only by"
                    + " registering a shrinker");

    /** See {@link #reclaimIsOnlyAShrinkerRegistryOutsidePageAlloc}. */
    @ArchTest
    static final ArchRule reservationHookIsOnlyTheReservationModules = noClasses()
            .that().resideOutsideOfPackages(PAGE, RESERVATION)
            .should().dependOnClassesThat().haveFullyQualifiedName("dev.kalloc.page.ReserveAccount")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.kalloc.page.PageReservation")
            .because("the allocator's half of a reservation is changed only by the reservation"
                    + " module; everyone else enters a reservation through dev.kalloc.reservation");

    /**
     * The kernel runtime (tasks and CPU binding, contexts, wait queues, per-CPU locks,
     * KernelBug, fault attributes) is what every module, mm or not, builds on; it must not build
     * on any of them in turn.
     */
    @ArchTest
    static final ArchRule kernelRuntimeDependsOnNoMmClass = noClasses()
            .that().resideInAPackage(KERNEL)
            .should().dependOnClassesThat()
            .resideInAnyPackage(PAGE, SLAB, MEMPOOL, RESERVATION, BIO, HIGHMEM, RAID1, STRESS);

    /**
     * The workload's packages, bottom up: {@code run} (the rig, the executor, the log and what a
     * scenario is), {@code scenarios} (the drivers' scenarios, built on a run's rig), {@code report}
     * (reads the logs), {@code cli} (the commands). A cycle between them would make each package's
     * tests need all the others; the slices rule names any.
     */
    @ArchTest
    static final ArchRule workloadPackagesFormNoCycle = slices().matching(WORKLOAD + "(*)..")
            .should().beFreeOfCycles();

    /** The command line uses every other package of the workload and none of them uses it. */
    @ArchTest
    static final ArchRule nothingInTheWorkloadDependsOnTheCommandLine = noClasses()
            .that().resideInAPackage("dev.kalloc.stress.workload..")
            .and().resideOutsideOfPackage(WORKLOAD + "cli..")
            .should().dependOnClassesThat().resideInAPackage(WORKLOAD + "cli..")
            .because("the commands sit on top: the engine, the scenarios and the report run without them");
}
