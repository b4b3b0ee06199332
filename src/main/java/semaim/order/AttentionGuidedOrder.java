package semaim.order;

import semaim.util.Rng;

/**
 * The reference's {@code attention_guided} order: nested square boxes around the argmax of S, inner boxes first,
 * random order inside each ring. A patch's ring is the index of the innermost box that contains it, or the number
 * of boxes when none does; its key is ring + U[0,1).
 *
 * <p><b>On a 14x14 grid with 3 boxes</b> (ViT-B/16 at 224 px) the boxes are exactly the reference's: its
 * hand-written {@code split_matrix} (models_semaim.py), {@link #REFERENCE_14}, gives for a centre row (and, the
 * same way, column) c the half-open ranges [start_k, end_k) of boxes k = 0, 1, 2. The boxes keep their sizes 2, 6
 * and 10 near the border by shifting inward instead of being clipped, with the table's own irregularities, which
 * we keep: ends never exceed 13, so row 13 and column 13 lie in no box (even for a centre on them), and centres
 * 0-2 share the box [0, 2).
 *
 * <p><b>On any other grid or box count</b> (our generalisation; the reference supports only 14x14): box k covers
 * rows and columns [c - 1 - 2k, c + 1 + 2k) around the centre, clipped at the border. On 14x14 this agrees with the
 * reference only for centres away from the border, hence the table.
 */
public final class AttentionGuidedOrder implements PatchOrder {
    /**
     * The reference's {@code split_matrix} for a 14-patch side: {@code REFERENCE_14[c] = {start_0, start_1,
     * start_2, end_0, end_1, end_2}} for centre row (or column) c.
     */
    static final int[][] REFERENCE_14 = {
        {0, 0, 0, 2, 6, 10},
        {0, 0, 0, 2, 6, 10},
        {0, 0, 0, 2, 6, 10},
        {2, 0, 0, 4, 6, 10},
        {3, 1, 0, 5, 7, 10},
        {4, 2, 0, 6, 8, 10},
        {5, 3, 1, 7, 9, 11},
        {6, 4, 2, 8, 10, 12},
        {7, 5, 3, 9, 11, 13},
        {8, 6, 3, 10, 12, 13},
        {9, 7, 3, 11, 13, 13},
        {11, 7, 3, 13, 13, 13},
        {11, 7, 3, 13, 13, 13},
        {11, 7, 3, 13, 13, 13},
    };

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

    /** The half-open range [start, end) of box k along one axis of length {@code size}, centred on index c. */
    int[] range(int k, int c, int size) {
        if (size == 14 && boxes == 3) {
            return new int[] {REFERENCE_14[c][k], REFERENCE_14[c][3 + k]};
        }
        return new int[] {Math.max(0, c - 1 - 2 * k), Math.min(size, c + 1 + 2 * k)};
    }

    /** Index of the innermost box containing patch t (0..boxes-1), or {@code boxes} when outside all of them. */
    int ring(int t, int centre, int h, int w) {
        int r = t / w, c = t % w, cy = centre / w, cx = centre % w;
        for (int k = 0; k < boxes; k++) {
            int[] rows = range(k, cy, h), cols = range(k, cx, w);
            if (r >= rows[0] && r < rows[1] && c >= cols[0] && c < cols[1]) {
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
                keys[t] = ring(t, centre, h, w) + rng.nextDouble();
            }
            out[b] = Ranks.of(keys);
        }
        return out;
    }
}
