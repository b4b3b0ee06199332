package semaim.order;

import semaim.util.Rng;

/**
 * Boustrophedon order: even rows left to right, odd rows right to left (the reference's {@code raster}, which
 * hard-codes a 14-wide grid; this works on any grid).
 */
public final class SnakeOrder implements PatchOrder {
    @Override
    public String name() {
        return "snake";
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        int h = in.gridH(), w = in.gridW();
        float[][] out = new float[in.batch()][h * w];
        for (float[] row : out) {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    row[r * w + c] = r * w + (r % 2 == 0 ? c : w - 1 - c);
                }
            }
        }
        return out;
    }
}
