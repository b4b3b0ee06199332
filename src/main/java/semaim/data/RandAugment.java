package semaim.data;

import java.util.List;

import semaim.util.Rng;

/**
 * timm's RandAugment as the reference fine-tunes with it ({@code rand-m9-mstd0.5-inc1}): for each image, {@code n}
 * operations drawn uniformly from the "increasing" set, each applied with probability 0.5, at magnitude m plus
 * N(0, mstd) noise clipped to [0, 10]. Works on [0, 1] CHW images before normalisation; geometric operations
 * sample bilinearly and fill with timm's mean colour (124, 116, 104) / 255 (its grey for one channel).
 */
public final class RandAugment {
    private static final List<String> OPS = List.of("AutoContrast", "Equalize", "Invert", "Rotate", "Posterize",
            "Solarize", "SolarizeAdd", "Color", "Contrast", "Brightness", "Sharpness", "ShearX", "ShearY",
            "TranslateX", "TranslateY");
    private static final double[] FILL = {124 / 255.0, 116 / 255.0, 104 / 255.0};

    private final int n;
    private final double magnitude;
    private final double magnitudeStd;
    private final double prob;

    public RandAugment(int n, double magnitude, double magnitudeStd, double prob) {
        this.n = n;
        this.magnitude = magnitude;
        this.magnitudeStd = magnitudeStd;
        this.prob = prob;
    }

    /** The reference's {@code rand-m9-mstd0.5-inc1}: 2 operations, magnitude 9, std 0.5, probability 0.5 each. */
    public static RandAugment reference() {
        return new RandAugment(2, 9, 0.5, 0.5);
    }

    /** Names of the operations, in the order they are drawn from. */
    public static List<String> operations() {
        return OPS;
    }

    /** Applies the policy in place to {@code img} (values in [0, 1]). */
    public void apply(DecodedImage img, Rng rng) {
        for (int k = 0; k < n; k++) {
            String op = OPS.get(rng.nextInt(OPS.size()));
            if (rng.nextDouble() >= prob) {
                continue;
            }
            double m = magnitude;
            if (magnitudeStd > 0) {
                m = Math.max(0, Math.min(10, m + magnitudeStd * rng.nextGaussian()));
            }
            apply(op, img, m / 10.0, rng.nextDouble() < 0.5 ? -1 : 1);
        }
    }

    /** One operation at level {@code level} in [0, 1] with sign {@code sign} for signed ones. */
    static void apply(String op, DecodedImage img, double level, int sign) {
        float[] x = img.chw();
        int c = img.channels(), w = img.width(), h = img.height(), plane = w * h;
        switch (op) {
            case "AutoContrast" -> {
                for (int ch = 0; ch < c; ch++) {
                    float lo = 1, hi = 0;
                    for (int i = 0; i < plane; i++) {
                        lo = Math.min(lo, x[ch * plane + i]);
                        hi = Math.max(hi, x[ch * plane + i]);
                    }
                    if (hi > lo) {
                        for (int i = 0; i < plane; i++) {
                            x[ch * plane + i] = (x[ch * plane + i] - lo) / (hi - lo);
                        }
                    }
                }
            }
            case "Equalize" -> {
                for (int ch = 0; ch < c; ch++) {
                    int[] hist = new int[256];
                    for (int i = 0; i < plane; i++) {
                        hist[to8(x[ch * plane + i])]++;
                    }
                    int[] cdf = new int[256];
                    int run = 0;
                    for (int v = 0; v < 256; v++) {
                        run += hist[v];
                        cdf[v] = run;
                    }
                    int min = 0;
                    for (int v = 0; v < 256 && min == 0; v++) {
                        min = cdf[v];
                    }
                    if (plane > min) {
                        for (int i = 0; i < plane; i++) {
                            x[ch * plane + i] = (cdf[to8(x[ch * plane + i])] - min) / (float) (plane - min);
                        }
                    }
                }
            }
            case "Invert" -> {
                for (int i = 0; i < x.length; i++) {
                    x[i] = 1 - x[i];
                }
            }
            case "Posterize" -> {
                int bits = 4 - (int) (level * 4);
                int mask = ~(0xff >> Math.max(0, bits)) & 0xff;
                for (int i = 0; i < x.length; i++) {
                    x[i] = (to8(x[i]) & mask) / 255f;
                }
            }
            case "Solarize" -> {
                double threshold = 1 - level;
                for (int i = 0; i < x.length; i++) {
                    if (x[i] >= threshold) {
                        x[i] = 1 - x[i];
                    }
                }
            }
            case "SolarizeAdd" -> {
                float add = (float) (level * 110 / 255.0);
                for (int i = 0; i < x.length; i++) {
                    if (x[i] < 128 / 255f) {
                        x[i] = Math.min(1, x[i] + add);
                    }
                }
            }
            case "Color", "Contrast", "Brightness", "Sharpness" -> enhance(op, img, 1 + sign * level * 0.9);
            case "Rotate" -> affine(img, Math.toRadians(sign * level * 30), 0, 0, 0, 0);
            case "ShearX" -> affine(img, 0, sign * level * 0.3, 0, 0, 0);
            case "ShearY" -> affine(img, 0, 0, sign * level * 0.3, 0, 0);
            case "TranslateX" -> affine(img, 0, 0, 0, sign * level * 0.45 * w, 0);
            case "TranslateY" -> affine(img, 0, 0, 0, 0, sign * level * 0.45 * h);
            default -> throw new IllegalArgumentException("unknown RandAugment op " + op);
        }
    }

    /** PIL ImageEnhance: blend with a degenerate image, {@code out = degenerate + f * (x - degenerate)}. */
    private static void enhance(String op, DecodedImage img, double f) {
        float[] x = img.chw();
        int c = img.channels(), w = img.width(), h = img.height(), plane = w * h;
        float[] gray = new float[plane];
        for (int i = 0; i < plane; i++) {
            gray[i] = c == 3 ? 0.299f * x[i] + 0.587f * x[plane + i] + 0.114f * x[2 * plane + i] : x[i];
        }
        double mean = 0;
        for (float g : gray) {
            mean += g;
        }
        mean /= plane;
        float[] src = x.clone();
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    int i = y * w + xx;
                    double v = src[ch * plane + i], d;
                    switch (op) {
                        case "Color" -> d = gray[i];
                        case "Contrast" -> d = mean;
                        case "Brightness" -> d = 0;
                        default -> {   // Sharpness: PIL's smoothing kernel, border pixels kept
                            if (y == 0 || xx == 0 || y == h - 1 || xx == w - 1) {
                                d = v;
                            } else {
                                double s = 0;
                                for (int dy = -1; dy <= 1; dy++) {
                                    for (int dx = -1; dx <= 1; dx++) {
                                        s += src[ch * plane + (y + dy) * w + xx + dx] * (dx == 0 && dy == 0 ? 5 : 1);
                                    }
                                }
                                d = s / 13;
                            }
                        }
                    }
                    x[ch * plane + i] = (float) Math.max(0, Math.min(1, d + f * (v - d)));
                }
            }
        }
    }

    /** Rotation about the centre, shears and translations, by inverse mapping with bilinear sampling. */
    private static void affine(DecodedImage img, double angle, double shearX, double shearY, double tx, double ty) {
        float[] x = img.chw();
        int c = img.channels(), w = img.width(), h = img.height(), plane = w * h;
        float[] src = x.clone();
        double cx = w / 2.0, cy = h / 2.0, cos = Math.cos(angle), sin = Math.sin(angle);
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                // output pixel -> source position
                double u = xx + 0.5 - cx, v = y + 0.5 - cy;
                double su = cos * u + sin * v, sv = -sin * u + cos * v;       // inverse rotation
                su = su + shearX * sv;
                sv = sv + shearY * su;
                double sx = su + cx - 0.5 + tx, sy = sv + cy - 0.5 + ty;
                for (int ch = 0; ch < c; ch++) {
                    x[ch * plane + y * w + xx] = (float) sample(src, ch * plane, w, h, sx, sy,
                            c == 3 ? FILL[ch] : 0.5);
                }
            }
        }
    }

    private static double sample(float[] p, int off, int w, int h, double sx, double sy, double fill) {
        if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) {
            return fill;
        }
        int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
        double ax = sx - x0, ay = sy - y0, s = 0;
        for (int dy = 0; dy <= 1; dy++) {
            for (int dx = 0; dx <= 1; dx++) {
                int xi = Math.max(0, Math.min(w - 1, x0 + dx)), yi = Math.max(0, Math.min(h - 1, y0 + dy));
                s += (dx == 0 ? 1 - ax : ax) * (dy == 0 ? 1 - ay : ay) * p[off + yi * w + xi];
            }
        }
        return s;
    }

    private static int to8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }
}
