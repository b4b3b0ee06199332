package semaim.data;

/**
 * The deterministic evaluation transform of the reference ({@code Resize(size / 0.875, bicubic)} on the shorter
 * side, {@code CenterCrop(size)}, {@code Normalize}); an image that already has the model's size is only
 * normalised (28 px Fashion-MNIST into a 28 px model is used as is).
 */
public final class EvalTransform {
    private final int size;
    private final double cropFraction;
    private final double[] mean;
    private final double[] std;

    public EvalTransform(int size, double cropFraction, double[] mean, double[] std) {
        if (!(cropFraction > 0 && cropFraction <= 1)) {
            throw new IllegalArgumentException("crop fraction must be in (0, 1], got " + cropFraction);
        }
        this.size = size;
        this.cropFraction = cropFraction;
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** The reference's statistics for {@code channels} and the usual 0.875 crop. */
    public static EvalTransform standard(int size, int channels) {
        return new EvalTransform(size, 0.875, AugmentConfig.defaultMean(channels), AugmentConfig.defaultStd(channels));
    }

    public int size() {
        return size;
    }

    /** Writes the transformed image (C x size x size) into {@code out} at {@code offset}. */
    public void apply(DecodedImage img, float[] out, int offset) {
        DecodedImage r = img;
        if (img.width() != size || img.height() != size) {
            int shorter = Math.min(img.width(), img.height());
            int target = (int) Math.round(size / cropFraction);
            int w = (int) Math.round(img.width() * (double) target / shorter);
            int h = (int) Math.round(img.height() * (double) target / shorter);
            w = Math.max(w, size);
            h = Math.max(h, size);
            DecodedImage resized = Resize.cropResize(img, 0, 0, img.height(), img.width(), h, w);
            int top = (h - size) / 2, left = (w - size) / 2;
            r = Resize.cropResize(resized, top, left, size, size, size, size);
        }
        int c = r.channels();
        if (c != mean.length) {
            throw new IllegalArgumentException("image has " + c + " channels, normalisation has " + mean.length);
        }
        float[] px = r.chw();
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < size * size; i++) {
                out[offset + ch * size * size + i] = (float) ((px[ch * size * size + i] - mean[ch]) / std[ch]);
            }
        }
    }
}
