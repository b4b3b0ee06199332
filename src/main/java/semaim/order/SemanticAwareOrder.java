package semaim.order;

import semaim.util.Rng;

/**
 * SemAIM's semantic-aware order (Eq. 2-6): smooth S with a 3x3 mean filter, take its argmax as the centre (Eq. 3),
 * compute the Euclidean distance of every patch to it (Eq. 4), add lambda * U(0,1) (Eq. 5) and sort (Eq. 6).
 *
 * <p>Two named variants:
 * <ul>
 *   <li>{@link #paper} (default): filter on, lambda = 0.01, as the paper states;</li>
 *   <li>{@link #reference}: no filter, lambda = 1e-3, as the released code ({@code attention_center}) does.</li>
 * </ul>
 * The paper chooses lambda "to avoid the randomness change the order for patches with different distances". On
 * large grids distinct distances can be closer than lambda (e.g. about 0.006 on 64x64), so the noise is capped at
 * 0.9x the smallest gap between distinct distances on the grid; on grids up to 14x14 the cap never binds, so the
 * paper's value is used unchanged there.
 */
public final class SemanticAwareOrder implements PatchOrder {
    private final SimilarityKind kind;
    private final boolean meanFilter;
    private final double lambda;

    public SemanticAwareOrder(SimilarityKind kind, boolean meanFilter, double lambda) {
        if (!(lambda >= 0)) {
            throw new IllegalArgumentException("lambda must be >= 0, got " + lambda);
        }
        this.kind = kind;
        this.meanFilter = meanFilter;
        this.lambda = lambda;
    }

    /** The paper: CLS similarity, 3x3 mean filter, lambda 0.01. */
    public static SemanticAwareOrder paper() {
        return new SemanticAwareOrder(SimilarityKind.CLS, true, 0.01);
    }

    /** The released code: CLS similarity, no filter, lambda 1e-3. */
    public static SemanticAwareOrder reference() {
        return new SemanticAwareOrder(SimilarityKind.CLS, false, 1e-3);
    }

    /**
     * {@code semantic} for the paper's variant and {@code semantic-reference} for the released code's (the names
     * {@link Orders} knows them by), so logs say which one ran; any other setting is spelled out.
     */
    @Override
    public String name() {
        if (meanFilter && lambda == 0.01) {
            return "semantic";
        }
        if (!meanFilter && lambda == 1e-3) {
            return "semantic-reference";
        }
        return "semantic (mean filter " + (meanFilter ? "on" : "off") + ", lambda " + lambda + ")";
    }

    @Override
    public SimilarityKind similarityNeeded() {
        return kind;
    }

    public boolean meanFilter() {
        return meanFilter;
    }

    public double lambda() {
        return lambda;
    }

    /** The centre patch of Eq. 3 for one similarity map (after the optional filter). */
    public int centre(float[] similarity, int h, int w) {
        return Grids.argmax(meanFilter ? Grids.meanFilter3x3(similarity, h, w) : similarity);
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        int h = in.gridH(), w = in.gridW();
        double noise = Math.min(lambda, 0.9 * Grids.minDistanceGap(h, w));
        float[][] out = new float[in.batch()][];
        for (int b = 0; b < in.batch(); b++) {
            int c = centre(in.similarityOf(b, name()), h, w);
            double[] centreness = new double[h * w];
            for (int t = 0; t < h * w; t++) {
                centreness[t] = Grids.distance(t, c, w) + noise * rng.nextDouble();   // Eq. 4-5
            }
            out[b] = Ranks.of(centreness);                                           // Eq. 6
        }
        return out;
    }
}
