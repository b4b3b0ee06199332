package semaim.order;

import semaim.util.Rng;

/** SAIM's stochastic order (Table 1 "stochastic"): i.i.d. U[0,1) per patch, fresh per image and per call. */
public final class StochasticOrder implements PatchOrder {
    @Override
    public String name() {
        return "stochastic";
    }

    @Override
    public float[][] generate(OrderInput in, Rng rng) {
        float[][] out = new float[in.batch()][in.numPatches()];
        for (float[] row : out) {
            for (int t = 0; t < row.length; t++) {
                row[t] = (float) rng.nextDouble();
            }
        }
        return out;
    }
}
