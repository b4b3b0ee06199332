package semaim.order;

import semaim.util.Rng;

/**
 * Centre-out order around the fixed image centre (reference {@code center2out}): square rings two patches wide
 * around the central patch(es), inner rings first, random order inside a ring. On 14x14 the rings are the
 * reference's boxes [6,8), [4,10), [2,12) and the rest; on any grid ring = floor((d + 1/2) / 2) with d the Chebyshev
 * distance to the grid centre ((H-1)/2, (W-1)/2).
 */
public final class CentreOutOrder implements PatchOrder {
    @Override
    public String name() {
        return "centre-out";
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        int h = in.gridH(), w = in.gridW();
        float[][] out = new float[in.batch()][];
        for (int b = 0; b < out.length; b++) {
            double[] keys = new double[h * w];
            for (int t = 0; t < keys.length; t++) {
                double d = Math.max(Math.abs(t / w - (h - 1) / 2.0), Math.abs(t % w - (w - 1) / 2.0));
                int ring = (int) Math.floor((d + 0.5) / 2.0);
                keys[t] = ring + rng.nextDouble();
            }
            out[b] = Ranks.of(keys);
        }
        return out;
    }
}
