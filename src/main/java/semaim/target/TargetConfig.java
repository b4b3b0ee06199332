package semaim.target;

/**
 * What the head predicts (Eq. 12) and how. For pixels: the SemAIM paper only says "pixels"; the reference (inherited
 * from SAIM) blurs the normalised image with a 9x9 Gaussian (sigma 1) and normalises each patch.
 * {@link #reference()} is that recipe and our default; {@link #plainPixels()} is the paper's bare wording. For the
 * other {@link TargetKind}s the blur, norm-pix and loss type do not apply (features use the reference's feature loss,
 * HOG an L2 loss).
 *
 * @param blurKernel  odd Gaussian kernel size, or 0 for no blur
 * @param blurSigma   Gaussian standard deviation in pixels (ignored without blur)
 * @param normPix     per-patch normalisation: subtract the mean, divide by sqrt(unbiased var + 1e-6)
 * @param loss        L2 (Eq. 12) or L1
 * @param kind        pixels (default; null in configs of earlier versions), a teacher's features, EMA, HOG
 * @param featureDim  the width of a feature target (the head's output), 0 for pixels and HOG (derived)
 * @param teacher     the teacher's weights file (clip, dino, vit), else null
 * @param teacherHeads the teacher's attention heads (0: from the file's metadata, else width / 64)
 * @param teacherNorm how images are normalised for the teacher: {@code imagenet} (the batch as it is, as the
 *                    reference) or {@code clip} (CLIP's own mean and std); null = imagenet
 * @param orderSource where the semantic order's similarity comes from with a teacher: {@code teacher} (the
 *                    reference) or {@code student}; null = teacher when there is one
 * @param emaDecay    the EMA target's decay (timm ModelEma: 0.999)
 */
public record TargetConfig(int blurKernel, double blurSigma, boolean normPix, LossType loss, TargetKind kind,
        int featureDim, String teacher, int teacherHeads, String teacherNorm, String orderSource, double emaDecay) {

    /** A pixel target. */
    public TargetConfig(int blurKernel, double blurSigma, boolean normPix, LossType loss) {
        this(blurKernel, blurSigma, normPix, loss, TargetKind.PIXEL, 0, null, 0, null, null, 0.999);
    }

    public TargetConfig {
        if (kind == null) {
            kind = TargetKind.PIXEL;
        }
        if (emaDecay == 0) {
            emaDecay = 0.999;   // configs of earlier versions
        }
        if (!(emaDecay > 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("--ema-decay must be in (0, 1), got " + emaDecay);
        }
        if (teacherNorm != null && !teacherNorm.equals("imagenet") && !teacherNorm.equals("clip")) {
            throw new IllegalArgumentException("--teacher-norm must be imagenet or clip, got " + teacherNorm);
        }
        if (orderSource != null && !orderSource.equals("teacher") && !orderSource.equals("student")) {
            throw new IllegalArgumentException("--order-source must be teacher or student, got " + orderSource);
        }
        if (teacherHeads < 0 || featureDim < 0) {
            throw new IllegalArgumentException("teacher heads and feature width must not be negative");
        }
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

    /** Whether the pixel target's Gaussian blur is used (pixels only). */
    public boolean blurs() {
        return kind == TargetKind.PIXEL && blurKernel > 0;
    }

    /** The same target as {@code k}, with the teacher file and the feature width (0 when not known yet). */
    public TargetConfig withKind(TargetKind k, String teacherFile, int width) {
        return new TargetConfig(blurKernel, blurSigma, normPix, loss, k, width, teacherFile, teacherHeads, teacherNorm,
                orderSource, emaDecay);
    }

    /** The same target with the feature width set (known once the teacher is read). */
    public TargetConfig withFeatureDim(int width) {
        return withKind(kind, teacher, width);
    }

    /** Whether the semantic order uses the teacher's similarity (clip, dino, vit, ema) rather than the student's. */
    public boolean orderFromTeacher() {
        return kind.isFeature() && (orderSource == null || orderSource.equals("teacher"));
    }
}
