package semaim.order;

import semaim.util.Rng;

/**
 * Table 1's "similarity" order (reference {@code attention}): patches ranked by S directly, most similar first
 * (P = 1 - S), no filter and no noise. The paper reports it as the worst order: it is noisy and not diverse.
 */
public final class SimilarityOrder implements PatchOrder {
    private final SimilarityKind kind;

    public SimilarityOrder(SimilarityKind kind) {
        this.kind = kind;
    }

    @Override
    public String name() {
        return "similarity";
    }

    @Override
    public SimilarityKind similarityNeeded() {
        return kind;
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        float[][] out = new float[in.batch()][];
        for (int b = 0; b < in.batch(); b++) {
            float[] s = in.similarityOf(b, name());
            double[] keys = new double[s.length];
            for (int t = 0; t < s.length; t++) {
                keys[t] = 1.0 - s[t];
            }
            out[b] = Ranks.of(keys);
        }
        return out;
    }
}
