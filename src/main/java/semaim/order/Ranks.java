package semaim.order;

import java.util.Arrays;

/**
 * Turns per-patch keys into ranks 0..N-1 (as floats, exact below 2^24). Orders compute their keys (distance plus
 * noise, ring plus noise...) in double precision and hand out ranks: comparing ranks gives the same masks as
 * comparing the keys, but ties are impossible. The reference keeps float32 keys, where 1e-3 noise on distances near
 * 16 has only about 500 distinct values, so two patches of one ring occasionally tie and then see each other in
 * the encoder and neither sees the other in the decoder; ranks avoid that. Exact key ties, if any, go to the lower
 * patch index.
 */
final class Ranks {
    private Ranks() {}

    static float[] of(double[] keys) {
        Integer[] idx = new Integer[keys.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> keys[a] != keys[b] ? Double.compare(keys[a], keys[b]) : Integer.compare(a, b));
        float[] rank = new float[keys.length];
        for (int r = 0; r < idx.length; r++) {
            rank[idx[r]] = r;
        }
        return rank;
    }
}
