package semaim.data;

import semaim.util.Rng;

/** Applies an {@link AugmentConfig} to one decoded image, drawing its randomness from a given generator. */
public final class Augmentation {
    private final AugmentConfig config;
    private final RandAugment randAugment;

    public Augmentation(AugmentConfig config) {
        this(config, null);
    }

    /** With RandAugment applied after crop and flip, before normalisation (timm's order); null for none. */
    public Augmentation(AugmentConfig config, RandAugment randAugment) {
        this.config = config;
        this.randAugment = randAugment;
    }

    public AugmentConfig config() {
        return config;
    }

    /** Whether this is crop, flip and normalisation only (no RandAugment): what {@link NativeAugmentation} does. */
    public boolean isCropFlipOnly() {
        return randAugment == null;
    }

    /** A crop rectangle: top row, left column, height, width. */
    public record Crop(int top, int left, int height, int width) {}

    /** torchvision's {@code RandomResizedCrop.get_params}: 10 tries, then a centre crop clamped to the ratio range. */
    public static Crop randomResizedCropParams(int height, int width, double scaleMin, double scaleMax,
            double ratioMin, double ratioMax, Rng rng) {
        double area = (double) height * width;
        double logMin = Math.log(ratioMin), logMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * (scaleMin + (scaleMax - scaleMin) * rng.nextDouble());
            double aspect = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));   // Python's round: half to even
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new Crop(top, left, h, w);
            }
        }
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new Crop((height - h) / 2, (width - w) / 2, h, w);
    }

    /**
     * Crop, resize, flip and normalise {@code img} into {@code out} at {@code offset} (C x S x S values). The
     * image must have the configured number of channels.
     */
    public void apply(DecodedImage img, Rng rng, float[] out, int offset) {
        float[] px = cropFlip(img, rng);
        int c = config.channels(), s = config.imageSize();
        double[] mean = config.mean(), std = config.std();
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < s * s; i++) {
                out[offset + ch * s * s + i] = (float) ((px[ch * s * s + i] - mean[ch]) / std[ch]);
            }
        }
    }

    /**
     * Crop, resize and flip (and RandAugment, when configured) of {@code img}: C x S x S values in [0, 1], CHW,
     * drawing from {@code rng} as {@link #apply} does.
     */
    public float[] cropFlip(DecodedImage img, Rng rng) {
        int c = config.channels();
        if (img.channels() != c) {
            throw new IllegalArgumentException("image has " + img.channels() + " channels, augmentation expects " + c);
        }
        int s = config.imageSize();
        Crop crop = randomResizedCropParams(img.height(), img.width(), config.scaleMin(), config.scaleMax(),
                config.ratioMin(), config.ratioMax(), rng);
        DecodedImage r = Resize.cropResize(img, crop.top(), crop.left(), crop.height(), crop.width(), s, s);
        boolean flip = rng.nextDouble() < config.flipProb();
        float[] px = r.chw();
        if (flip) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s / 2; x++) {
                        int a = (ch * s + y) * s + x, b = (ch * s + y) * s + s - 1 - x;
                        float t = px[a];
                        px[a] = px[b];
                        px[b] = t;
                    }
                }
            }
        }
        if (randAugment != null) {
            randAugment.apply(r, rng);
        }
        return px;
    }
}
