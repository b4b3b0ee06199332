package semaim.order;

import semaim.model.SimilarityKind;
import semaim.util.Rng;

/**
 * An autoregression order over the patches of each image. Orders are values, not permutations: for each image a
 * value per patch, <b>smaller = predicted earlier</b>, exactly what the masks of Eq. 7 and 9 compare. The
 * permutation pi of Eq. 6 is {@code argsort} of these values.
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
