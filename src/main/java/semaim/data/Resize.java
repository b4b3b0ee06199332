package semaim.data;

/**
 * Bicubic resampling of a rectangle of an image to a new size, with PIL's algorithm (what torchvision uses on PIL
 * images): separable, Keys cubic with a = -0.5, and the kernel widened by the scale factor when shrinking, so
 * downscaling is antialiased. Works in float (PIL rounds to 8 bits between passes; the difference is below one
 * grey level).
 */
public final class Resize {
    private Resize() {}

    private static double cubic(double x) {
        final double a = -0.5;
        x = Math.abs(x);
        if (x < 1) {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0;
    }

    /** Crops rows [top, top+h) and columns [left, left+w) of {@code img} and resizes them to outW x outH. */
    public static DecodedImage cropResize(DecodedImage img, int top, int left, int h, int w, int outH, int outW) {
        int c = img.channels();
        float[] tmp = new float[c * h * outW];         // horizontal pass: (C, h, outW)
        // Crop first, then resize (torchvision's resized_crop): no pixel outside the crop contributes.
        Coefficients cx = coefficients(w, outW);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int srcRow = (ch * img.height() + top + y) * img.width() + left;
                for (int x = 0; x < outW; x++) {
                    double s = 0;
                    for (int k = 0; k < cx.count[x]; k++) {
                        s += cx.weights[x][k] * img.chw()[srcRow + cx.start[x] + k];
                    }
                    tmp[(ch * h + y) * outW + x] = (float) s;
                }
            }
        }
        float[] out = new float[c * outH * outW];      // vertical pass: (C, outH, outW)
        Coefficients cy = coefficients(h, outH);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    double s = 0;
                    for (int k = 0; k < cy.count[y]; k++) {
                        s += cy.weights[y][k] * tmp[(ch * h + cy.start[y] + k) * outW + x];
                    }
                    out[(ch * outH + y) * outW + x] = (float) Math.min(1.0, Math.max(0.0, s));
                }
            }
        }
        return new DecodedImage(outW, outH, c, out);
    }

    private record Coefficients(int[] start, int[] count, double[][] weights) {}

    /** PIL's precompute_coeffs for resampling a line of {@code inSize} values to {@code outSize}. */
    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = inSize / (double) outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int[] start = new int[outSize], count = new int[outSize];
        double[][] weights = new double[outSize][];
        for (int x = 0; x < outSize; x++) {
            double centre = (x + 0.5) * scale;
            int lo = Math.max((int) Math.floor(centre - support + 0.5), 0);
            int hi = Math.min((int) Math.floor(centre + support + 0.5), inSize);
            double[] w = new double[hi - lo];
            double sum = 0;
            for (int k = 0; k < w.length; k++) {
                w[k] = cubic((k + lo - centre + 0.5) / filterScale);
                sum += w[k];
            }
            for (int k = 0; k < w.length; k++) {
                w[k] = sum == 0 ? 0 : w[k] / sum;
            }
            start[x] = lo;
            count[x] = w.length;
            weights[x] = w;
        }
        return new Coefficients(start, count, weights);
    }
}
