package semaim.util;

/**
 * A small seeded random generator (SplitMix64) whose whole state is one {@code long}, so that a training run can
 * save it in a checkpoint and resume bit-exactly. Used for everything drawn on the Java side (orders, data).
 */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    /** The complete state; {@code new Rng(0).setState(s)} continues the same stream. */
    public long state() {
        return state;
    }

    public void setState(long s) {
        state = s;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Standard normal (Box-Muller). */
    public double nextGaussian() {
        double u1 = Math.max(nextDouble(), 1e-300), u2 = nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /** 0..n-1 shuffled by Fisher-Yates (from the last position down), drawing n - 1 numbers. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** A new generator seeded from this one (for independent streams, e.g. per worker). */
    public Rng split() {
        return new Rng(nextLong());
    }
}
