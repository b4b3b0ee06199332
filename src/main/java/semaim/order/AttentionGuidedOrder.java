package semaim.order;

import semaim.util.Rng;

/**
 * The reference's {@code attention_guided} order: nested square boxes around the argmax of S, inner boxes first,
 * random order inside each ring. Box k covers rows and columns [c - 1 - 2k, c + 1 + 2k) around the centre (c_y,
 * c_x), clipped at the border (the reference's {@code split_matrix}: 2x2, 6x6, 10x10); patches outside the last box
 * form the final ring. The reference uses 3 boxes; {@code boxes} makes that a parameter.
 */
public final class AttentionGuidedOrder implements PatchOrder {
    private final SimilarityKind kind;
    private final int boxes;

    public AttentionGuidedOrder(SimilarityKind kind, int boxes) {
        if (boxes < 1) {
            throw new IllegalArgumentException("need at least one box, got " + boxes);
        }
        this.kind = kind;
        this.boxes = boxes;
    }

    /** CLS similarity, 3 boxes, as the reference. */
    public static AttentionGuidedOrder reference() {
        return new AttentionGuidedOrder(SimilarityKind.CLS, 3);
    }

    @Override
    public String name() {
        return "attention-guided";
    }

    @Override
    public SimilarityKind similarityNeeded() {
        return kind;
    }

    /** Index of the innermost box containing patch t (0..boxes-1), or {@code boxes} when outside all of them. */
    int ring(int t, int centre, int w) {
        int r = t / w, c = t % w, cy = centre / w, cx = centre % w;
        for (int k = 0; k < boxes; k++) {
            if (r >= cy - 1 - 2 * k && r < cy + 1 + 2 * k && c >= cx - 1 - 2 * k && c < cx + 1 + 2 * k) {
                return k;
            }
        }
        return boxes;
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        int h = in.gridH(), w = in.gridW();
        float[][] out = new float[in.batch()][];
        for (int b = 0; b < in.batch(); b++) {
            int centre = Grids.argmax(in.similarityOf(b, name()));
            double[] keys = new double[h * w];
            for (int t = 0; t < keys.length; t++) {
                keys[t] = ring(t, centre, w) + rng.nextDouble();
            }
            out[b] = Ranks.of(keys);
        }
        return out;
    }
}
