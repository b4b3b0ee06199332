package semaim.order;

import semaim.util.Rng;

/**
 * Row-major raster order (Table 1 "raster"; iGPT): P_t = t, the same for every image. The reference calls this
 * {@code zigzag}; its {@code raster} is our {@link SnakeOrder}.
 */
public final class RasterOrder implements PatchOrder {
    @Override
    public String name() {
        return "raster";
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        float[][] out = new float[in.batch()][in.numPatches()];
        for (float[] row : out) {
            for (int t = 0; t < row.length; t++) {
                row[t] = t;
            }
        }
        return out;
    }
}
