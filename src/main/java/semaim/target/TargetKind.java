package semaim.target;

import java.util.Locale;

/**
 * What the prediction head learns to predict (paper Table 2, and beyond it). {@code PIXEL}: the (blurred,
 * per-patch normalised) pixels of Eq. 12, the reference's default. {@code CLIP}, {@code DINO}, {@code VIT}: the tokens
 * of a frozen teacher read from a file ({@code --teacher}), OpenAI CLIP's visual tower or a timm-named ViT (DINO's
 * is one). {@code EMA}: the tokens of an exponential moving average of the student's own encoder (the reference's
 * {@code --predict_feature ema}). {@code HOG}: histograms of oriented gradients per patch (MaskFeat's target;
 * not in the reference).
 */
public enum TargetKind {
    PIXEL, CLIP, DINO, VIT, EMA, HOG;

    public static TargetKind parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown target '" + s + "'; known: pixel, clip, dino, vit, ema, hog");
        }
    }

    /** A frozen teacher read from {@code --teacher}. */
    public boolean needsTeacherFile() {
        return this == CLIP || this == DINO || this == VIT;
    }

    /** Predicts a network's tokens with the feature loss (L2-normalised, squared distance). */
    public boolean isFeature() {
        return needsTeacherFile() || this == EMA;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
