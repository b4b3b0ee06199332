package semaim.eval;

import semaim.util.Rng;

/**
 * timm's {@code Mixup} in batch mode, as the reference fine-tunes with it: with probability {@code prob} a batch is
 * mixed with its reverse, by CutMix (probability {@code switchProb}) or Mixup, lambda ~ Beta(alpha, alpha); CutMix
 * pastes a box of area (1 - lambda) and recomputes lambda from the clipped box. Targets are label-smoothed one-hot
 * rows mixed with the same lambda, so each row still sums to 1.
 */
public final class Mixup {
    private final double mixupAlpha, cutmixAlpha, prob, switchProb, smoothing;
    private final int classes;

    public Mixup(double mixupAlpha, double cutmixAlpha, double prob, double switchProb, double smoothing, int classes) {
        this.mixupAlpha = mixupAlpha;
        this.cutmixAlpha = cutmixAlpha;
        this.prob = prob;
        this.switchProb = switchProb;
        this.smoothing = smoothing;
        this.classes = classes;
    }

    /** Mixes {@code images} (B x C x S x S) in place and returns the mixed soft targets (B x classes). */
    public float[] apply(float[] images, int[] labels, int channels, int size, Rng rng) {
        int b = labels.length;
        double lam = 1.0;
        boolean useCutmix = false;
        if ((mixupAlpha > 0 || cutmixAlpha > 0) && rng.nextDouble() < prob) {
            if (mixupAlpha > 0 && cutmixAlpha > 0) {
                useCutmix = rng.nextDouble() < switchProb;
            } else {
                useCutmix = cutmixAlpha > 0;
            }
            lam = beta(useCutmix ? cutmixAlpha : mixupAlpha, rng);
        }
        int per = channels * size * size;
        float[] flipped = images.clone();   // the batch in reverse order is the mixing partner
        if (lam < 1.0) {
            if (useCutmix) {
                double cutRatio = Math.sqrt(1 - lam);
                int cutW = (int) (size * cutRatio), cutH = (int) (size * cutRatio);
                int cx = rng.nextInt(size), cy = rng.nextInt(size);
                int x1 = clamp(cx - cutW / 2, size), x2 = clamp(cx + cutW / 2, size);
                int y1 = clamp(cy - cutH / 2, size), y2 = clamp(cy + cutH / 2, size);
                for (int i = 0; i < b; i++) {
                    int j = b - 1 - i;
                    for (int c = 0; c < channels; c++) {
                        for (int y = y1; y < y2; y++) {
                            for (int x = x1; x < x2; x++) {
                                int off = (c * size + y) * size + x;
                                images[i * per + off] = flipped[j * per + off];
                            }
                        }
                    }
                }
                lam = 1.0 - (x2 - x1) * (double) (y2 - y1) / (size * size);
            } else {
                for (int i = 0; i < b; i++) {
                    int j = b - 1 - i;
                    for (int k = 0; k < per; k++) {
                        images[i * per + k] = (float) (flipped[i * per + k] * lam + flipped[j * per + k] * (1 - lam));
                    }
                }
            }
        }
        float[] one = Losses.smoothOneHot(labels, classes, smoothing);
        float[] out = new float[one.length];
        for (int i = 0; i < b; i++) {
            int j = b - 1 - i;
            for (int c = 0; c < classes; c++) {
                out[i * classes + c] = (float) (lam * one[i * classes + c] + (1 - lam) * one[j * classes + c]);
            }
        }
        return out;
    }

    private static int clamp(int v, int size) {
        return Math.max(0, Math.min(size, v));
    }

    /** Beta(a, a) from two Gamma(a) draws. */
    static double beta(double a, Rng rng) {
        double x = gamma(a, rng), y = gamma(a, rng);
        return x / (x + y);
    }

    /** Marsaglia-Tsang Gamma(a, 1); for a &lt; 1 via Gamma(a + 1) * U^(1/a). */
    static double gamma(double a, Rng rng) {
        if (a < 1) {
            return gamma(a + 1, rng) * Math.pow(rng.nextDouble(), 1 / a);
        }
        double d = a - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = rng.nextGaussian(), v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rng.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }
}
