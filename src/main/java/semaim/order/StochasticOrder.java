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
        float[][] out = new float[in.batch()][];
        for (int b = 0; b < out.length; b++) {
            double[] keys = new double[in.numPatches()];
            for (int t = 0; t < keys.length; t++) {
                keys[t] = rng.nextDouble();
            }
            out[b] = Ranks.of(keys);
        }
        return out;
    }
}
