package semaim.data;

import java.util.Arrays;

/**
 * Pre-training augmentation, as torchvision defines it: {@code RandomResizedCrop(size, scale, ratio, bicubic)},
 * {@code RandomHorizontalFlip(p)}, {@code ToTensor}, {@code Normalize(mean, std)}.
 *
 * @param imageSize  output side in pixels
 * @param scaleMin   smallest crop area as a fraction of the image (0.2 in the reference's pre-training)
 * @param scaleMax   largest crop area fraction (1.0)
 * @param ratioMin   smallest aspect ratio w/h (3/4), drawn log-uniformly
 * @param ratioMax   largest aspect ratio (4/3)
 * @param flipProb   probability of a horizontal flip (0.5)
 * @param mean       per-channel mean subtracted after scaling to [0, 1]
 * @param std        per-channel standard deviation divided by
 */
public record AugmentConfig(int imageSize, double scaleMin, double scaleMax, double ratioMin, double ratioMax,
        double flipProb, double[] mean, double[] std) {

    /** ImageNet statistics, the reference's normalisation for RGB. */
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    public AugmentConfig {
        if (imageSize <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + imageSize);
        }
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new IllegalArgumentException("crop scale must satisfy 0 < min <= max <= 1, got " + scaleMin + ", "
                    + scaleMax);
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException("crop ratio must satisfy 0 < min <= max, got " + ratioMin + ", "
                    + ratioMax);
        }
        if (!(flipProb >= 0 && flipProb <= 1)) {
            throw new IllegalArgumentException("flip probability must be in [0, 1], got " + flipProb);
        }
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std need one value per channel");
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std values must be positive: " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The reference's pre-training augmentation for {@code channels} (ImageNet statistics; their mean for gray). */
    public static AugmentConfig pretraining(int imageSize, int channels) {
        return new AugmentConfig(imageSize, 0.2, 1.0, 3.0 / 4, 4.0 / 3, 0.5, defaultMean(channels),
                defaultStd(channels));
    }

    /** ImageNet mean for 3 channels; for grayscale the average of the three (0.449). */
    public static double[] defaultMean(int channels) {
        return channels == 3 ? IMAGENET_MEAN.clone() : new double[] {0.449};
    }

    /** ImageNet std for 3 channels; for grayscale the average of the three (0.226). */
    public static double[] defaultStd(int channels) {
        return channels == 3 ? IMAGENET_STD.clone() : new double[] {0.226};
    }

    public int channels() {
        return mean.length;
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }
}
