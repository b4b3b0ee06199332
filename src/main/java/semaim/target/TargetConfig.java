package semaim.target;

/**
 * How the pixel target of Eq. 12 is made. The SemAIM paper only says "pixels"; the reference (inherited from SAIM)
 * blurs the normalised image with a 9x9 Gaussian (sigma 1) and normalises each patch. {@link #reference()} is that
 * recipe and our default; {@link #plainPixels()} is the paper's bare wording.
 *
 * @param blurKernel  odd Gaussian kernel size, or 0 for no blur
 * @param blurSigma   Gaussian standard deviation in pixels (ignored without blur)
 * @param normPix     per-patch normalisation: subtract the mean, divide by sqrt(unbiased var + 1e-6)
 * @param loss        L2 (Eq. 12) or L1
 */
public record TargetConfig(int blurKernel, double blurSigma, boolean normPix, LossType loss) {

    public TargetConfig {
        if (blurKernel < 0 || (blurKernel > 0 && blurKernel % 2 == 0)) {
            throw new IllegalArgumentException("blur kernel size must be 0 (off) or odd, got " + blurKernel);
        }
        if (blurKernel > 0 && !(blurSigma > 0)) {
            throw new IllegalArgumentException("blur sigma must be positive, got " + blurSigma);
        }
        if (loss == null) {
            throw new IllegalArgumentException("loss type must be given (L2 or L1)");
        }
    }

    /** The reference recipe: Gaussian 9x9, sigma 1, norm-pix, L2. */
    public static TargetConfig reference() {
        return new TargetConfig(9, 1.0, true, LossType.L2);
    }

    /** Raw normalised pixels, no blur, no per-patch normalisation, L2. */
    public static TargetConfig plainPixels() {
        return new TargetConfig(0, 0.0, false, LossType.L2);
    }

    public boolean blurs() {
        return blurKernel > 0;
    }
}
