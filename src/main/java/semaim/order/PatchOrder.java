package semaim.order;

import semaim.util.Rng;

/**
 * An autoregression order over the patches of each image, given as a value per patch, <b>smaller = predicted
 * earlier</b>: exactly what the masks of Eq. 7 and 9 compare (an explicit order from outside, like the reference's
 * real-valued permutation, works the same way). The orders here return ranks 0..N-1, so the permutation pi of
 * Eq. 6 is {@code argsort} of the values and no two patches ever tie.
 */
public interface PatchOrder {
    /** A short name used in logs and configs (e.g. {@code semantic}). */
    String name();

    /** The similarity map this order needs from the encoder, or null if it uses the grid only. */
    default SimilarityKind similarityNeeded() {
        return null;
    }

    /** Order values {@code [B][N]} (smaller = earlier); random choices are drawn from {@code rng}. */
    float[][] generate(OrderInput input, Rng rng);
}
