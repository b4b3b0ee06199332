package semaim.eval;

import semaim.util.Rng;

/**
 * timm's {@code RandomErasing} (mode 'pixel', one box): with probability {@code prob}, a box of 2-33% of the image
 * with log-uniform aspect in [0.3, 3.3] is filled with per-pixel N(0, 1) noise, after normalisation.
 */
public final class RandomErasing {
    private final double prob;

    public RandomErasing(double prob) {
        this.prob = prob;
    }

    /** Erases in place in sample {@code i} of a (B x C x S x S) batch. */
    public void apply(float[] images, int i, int channels, int size, Rng rng) {
        if (prob <= 0 || rng.nextDouble() >= prob) {
            return;
        }
        double area = size * (double) size;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (0.02 + (1.0 / 3 - 0.02) * rng.nextDouble());
            double aspect = Math.exp(Math.log(0.3) + (Math.log(1 / 0.3) - Math.log(0.3)) * rng.nextDouble());
            int h = (int) Math.round(Math.sqrt(target * aspect)), w = (int) Math.round(Math.sqrt(target / aspect));
            if (w < size && h < size && w > 0 && h > 0) {
                int top = rng.nextInt(size - h + 1), left = rng.nextInt(size - w + 1);
                int per = channels * size * size;
                for (int c = 0; c < channels; c++) {
                    for (int y = top; y < top + h; y++) {
                        for (int x = left; x < left + w; x++) {
                            images[i * per + (c * size + y) * size + x] = (float) rng.nextGaussian();
                        }
                    }
                }
                return;
            }
        }
    }
}
