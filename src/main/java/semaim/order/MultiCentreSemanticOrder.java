package semaim.order;

import java.util.List;

import semaim.util.Rng;

/**
 * Semantic-aware order with several centres, for images with several objects: the paper's conclusion names a
 * single centre as SemAIM's limitation. The k highest local maxima of the smoothed map S that lie at least
 * {@code minSeparation} patches apart become centres; each patch's distance is the distance to its nearest centre,
 * plus tie-breaking noise as in {@link SemanticAwareOrder}. All centres come first, then the rings grow around all
 * of them at once. With k = 1 this is exactly the semantic-aware order.
 */
public final class MultiCentreSemanticOrder implements PatchOrder {
    /** Separation of a quarter of the grid's shorter side, at least 2 patches. */
    public static final double AUTO_SEPARATION = -1;

    private final SimilarityKind kind;
    private final int centres;
    private final double minSeparation;
    private final boolean meanFilter;
    private final double lambda;

    public MultiCentreSemanticOrder(SimilarityKind kind, int centres, double minSeparation, boolean meanFilter,
            double lambda) {
        if (centres < 1) {
            throw new IllegalArgumentException("need at least one centre, got " + centres);
        }
        if (!(minSeparation >= 0 || minSeparation == AUTO_SEPARATION) || !(lambda >= 0)) {
            throw new IllegalArgumentException("minSeparation (or AUTO_SEPARATION) and lambda must be >= 0, got "
                    + minSeparation + " and " + lambda);
        }
        this.kind = kind;
        this.centres = centres;
        this.minSeparation = minSeparation;
        this.meanFilter = meanFilter;
        this.lambda = lambda;
    }

    /** Two centres at least a quarter of the grid apart (at least 2 patches), paper filter and lambda. */
    public static MultiCentreSemanticOrder twoCentres() {
        return new MultiCentreSemanticOrder(SimilarityKind.CLS, 2, AUTO_SEPARATION, true, 0.01);
    }

    @Override
    public String name() {
        return "multi-centre";
    }

    @Override
    public SimilarityKind similarityNeeded() {
        return kind;
    }

    /** The centres chosen for one map. */
    public List<Integer> centres(float[] similarity, int h, int w) {
        float[] s = meanFilter ? Grids.meanFilter3x3(similarity, h, w) : similarity;
        double sep = minSeparation >= 0 ? minSeparation : Math.max(2.0, Math.min(h, w) / 4.0);
        List<Integer> peaks = Grids.separatedPeaks(s, h, w, centres, sep);
        return peaks.isEmpty() ? List.of(Grids.argmax(s)) : peaks;
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        int h = in.gridH(), w = in.gridW();
        double noise = Math.min(lambda, 0.9 * Grids.minDistanceGap(h, w));
        float[][] out = new float[in.batch()][];
        for (int b = 0; b < in.batch(); b++) {
            List<Integer> cs = centres(in.similarityOf(b, name()), h, w);
            double[] keys = new double[h * w];
            for (int t = 0; t < h * w; t++) {
                double d = Double.POSITIVE_INFINITY;
                for (int c : cs) {
                    d = Math.min(d, Grids.distance(t, c, w));
                }
                keys[t] = d + noise * rng.nextDouble();
            }
            out[b] = Ranks.of(keys);
        }
        return out;
    }
}
