// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * The shape of a simulated machine: RAM size, zone boundaries, CPUs, buddy and watermark
 * tunables, daemons and the out-of-memory policy. Immutable; build one with {@link #builder()}.
 *
 * <p>Zone boundaries default to i386's ({@code ZONE_DMA} below 16 MiB, {@code ZONE_NORMAL} up to
 * 896 MiB, {@code ZONE_HIGHMEM} above) for machines of 1 GiB or more. Smaller machines keep the
 * same proportions of a 1 GiB i386 box (DMA = 1/64 of RAM, Normal up to 7/8), so a test machine
 * of a few MiB still has all three zones.
 */
public final class MachineConfig {
    public static final long KiB = 1024;
    public static final long MiB = 1024 * KiB;
    public static final long GiB = 1024 * MiB;

    /** {@code MAX_DMA_ADDRESS - PAGE_OFFSET} on i386. */
    public static final long I386_DMA_LIMIT = 16 * MiB;
    /** {@code MAXMEM}: 4 GiB - 3 GiB (PAGE_OFFSET) - 128 MiB (VMALLOC_RESERVE). */
    public static final long I386_MAXMEM = 896 * MiB;

    private final long memory;
    private final long dmaLimit;
    private final long normalLimit;
    private final int nrCpus;
    private final int maxOrder;
    private final boolean perCpuLists;
    private final int zoneBalanceRatio;
    private final int zoneBalanceMin;
    private final int zoneBalanceMax;
    private final boolean kswapd;
    private final OomPolicy oomPolicy;

    private MachineConfig(Builder b) {
        this.memory = b.memory;
        this.dmaLimit = b.dmaLimit >= 0 ? b.dmaLimit : defaultDmaLimit(b.memory);
        this.normalLimit = b.normalLimit >= 0 ? b.normalLimit : defaultNormalLimit(b.memory);
        this.nrCpus = b.nrCpus;
        this.maxOrder = b.maxOrder;
        this.perCpuLists = b.perCpuLists;
        this.zoneBalanceRatio = b.zoneBalanceRatio;
        this.zoneBalanceMin = b.zoneBalanceMin;
        this.zoneBalanceMax = b.zoneBalanceMax;
        this.kswapd = b.kswapd;
        this.oomPolicy = b.oomPolicy;
        validate();
    }

    private static long defaultDmaLimit(long memory) {
        return memory >= GiB ? I386_DMA_LIMIT : pageAlign(memory / 64);
    }

    private static long defaultNormalLimit(long memory) {
        return memory >= GiB ? I386_MAXMEM : pageAlign(memory / 8 * 7);
    }

    private static long pageAlign(long bytes) {
        return bytes & PhysicalMemory.PAGE_MASK;
    }

    private void validate() {
        require(memory > 0 && (memory & (PhysicalMemory.PAGE_SIZE - 1)) == 0,
                "memory " + memory + " must be a positive multiple of " + PhysicalMemory.PAGE_SIZE);
        require(memory >>> PhysicalMemory.PAGE_SHIFT <= Integer.MAX_VALUE,
                "memory " + memory + " has more page frames than an int pfn can name");
        require((dmaLimit & (PhysicalMemory.PAGE_SIZE - 1)) == 0 && (normalLimit & (PhysicalMemory.PAGE_SIZE - 1)) == 0,
                "zone limits " + dmaLimit + "/" + normalLimit + " must be page aligned");
        require(0 <= dmaLimit && dmaLimit <= normalLimit,
                "zone limits must satisfy 0 <= dma (" + dmaLimit + ") <= normal (" + normalLimit + ")");
        require(normalLimit > dmaLimit || memory <= dmaLimit,
                "ZONE_NORMAL would be empty while memory extends past ZONE_DMA: lowmem allocations need it");
        require(nrCpus >= 1 && nrCpus <= 1024, "nrCpus " + nrCpus + " must be in [1, 1024]");
        require(maxOrder >= 1 && maxOrder <= 20, "maxOrder " + maxOrder + " must be in [1, 20]");
        require(zoneBalanceRatio >= 1, "zoneBalanceRatio " + zoneBalanceRatio + " must be >= 1");
        require(zoneBalanceMin >= 0 && zoneBalanceMin <= zoneBalanceMax,
                "zone balance bounds must satisfy 0 <= min (" + zoneBalanceMin + ") <= max (" + zoneBalanceMax + ")");
        require(oomPolicy != null, "oomPolicy must not be null");
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("machine config: " + what);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preset to this config, for variations. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.memory = memory;
        b.dmaLimit = dmaLimit;
        b.normalLimit = normalLimit;
        b.nrCpus = nrCpus;
        b.maxOrder = maxOrder;
        b.perCpuLists = perCpuLists;
        b.zoneBalanceRatio = zoneBalanceRatio;
        b.zoneBalanceMin = zoneBalanceMin;
        b.zoneBalanceMax = zoneBalanceMax;
        b.kswapd = kswapd;
        b.oomPolicy = oomPolicy;
        return b;
    }

    public long memory() {
        return memory;
    }

    /** End of ZONE_DMA, in bytes. */
    public long dmaLimit() {
        return dmaLimit;
    }

    /** End of ZONE_NORMAL, in bytes; memory above it is ZONE_HIGHMEM. */
    public long normalLimit() {
        return normalLimit;
    }

    public int nrCpus() {
        return nrCpus;
    }

    /** {@code MAX_ORDER}: orders {@code 0..maxOrder-1}. */
    public int maxOrder() {
        return maxOrder;
    }

    /** Whether order-0 pages pass through per-CPU hot/cold lists. */
    public boolean perCpuLists() {
        return perCpuLists;
    }

    /** {@code zone_balance_ratio}: pages_min = size / ratio, clamped. */
    public int zoneBalanceRatio() {
        return zoneBalanceRatio;
    }

    public int zoneBalanceMin() {
        return zoneBalanceMin;
    }

    public int zoneBalanceMax() {
        return zoneBalanceMax;
    }

    /** Whether a kswapd daemon thread runs. */
    public boolean kswapd() {
        return kswapd;
    }

    public OomPolicy oomPolicy() {
        return oomPolicy;
    }

    @Override
    public String toString() {
        return String.format("MachineConfig[memory=%d KiB, dma<%d KiB, normal<%d KiB, cpus=%d, MAX_ORDER=%d, "
                + "pcp=%s, balance=1/%d [%d,%d], kswapd=%s, oom=%s]", memory / KiB, dmaLimit / KiB,
                normalLimit / KiB, nrCpus, maxOrder, perCpuLists, zoneBalanceRatio, zoneBalanceMin,
                zoneBalanceMax, kswapd, oomPolicy);
    }

    /** Builds a {@link MachineConfig}; every setter validates when {@link #build()} runs. */
    public static final class Builder {
        private long memory = 64 * MiB;
        private long dmaLimit = -1;
        private long normalLimit = -1;
        private int nrCpus = 2;
        private int maxOrder = 10;
        private boolean perCpuLists = true;
        private int zoneBalanceRatio = 128;
        private int zoneBalanceMin = 20;
        private int zoneBalanceMax = 255;
        private boolean kswapd = true;
        private OomPolicy oomPolicy = OomPolicy.failAfter(8);

        private Builder() {
        }

        /** RAM in bytes; resets the zone limits to the defaults for that size. */
        public Builder memory(long bytes) {
            this.memory = bytes;
            this.dmaLimit = -1;
            this.normalLimit = -1;
            return this;
        }

        /** Explicit zone boundaries in bytes: DMA is [0, dma), Normal [dma, normal), HighMem above. */
        public Builder zoneLimits(long dma, long normal) {
            this.dmaLimit = dma;
            this.normalLimit = normal;
            return this;
        }

        public Builder cpus(int n) {
            this.nrCpus = n;
            return this;
        }

        public Builder maxOrder(int order) {
            this.maxOrder = order;
            return this;
        }

        public Builder perCpuLists(boolean on) {
            this.perCpuLists = on;
            return this;
        }

        /** {@code zone_balance_ratio}, {@code zone_balance_min}, {@code zone_balance_max}. */
        public Builder zoneBalance(int ratio, int min, int max) {
            this.zoneBalanceRatio = ratio;
            this.zoneBalanceMin = min;
            this.zoneBalanceMax = max;
            return this;
        }

        public Builder kswapd(boolean on) {
            this.kswapd = on;
            return this;
        }

        public Builder oomPolicy(OomPolicy policy) {
            this.oomPolicy = policy;
            return this;
        }

        public MachineConfig build() {
            return new MachineConfig(this);
        }
    }
}
