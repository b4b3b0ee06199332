package semaim.target;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Autocast;
import semaim.torch.Tensors;

/**
 * The pixel target and loss of Eq. 12 in the reference's order: normalised image -> optional Gaussian blur ->
 * patchify -> optional per-patch normalisation -> per-element L2 (or L1) -> mean. Eq. 12 writes a sum over
 * patches; the reference takes the mean over all patches and values, which only rescales the loss (we follow the
 * code so learning rates transfer). Every patch counts, including the first in the order.
 */
public final class PixelTarget {
    /** Per-patch normalisation epsilon, inside the square root (reference: 1e-6). */
    public static final double NORM_PIX_EPS = 1e-6;

    private final TargetConfig config;
    private final int patchSize;
    private final GaussianBlur blur;

    /** The result of comparing predictions with targets. */
    public record Loss(Tensor loss, Tensor perPatch, Tensor target) {}

    /** {@code blur} may be null when the config has no blur. */
    public PixelTarget(TargetConfig config, int patchSize, GaussianBlur blur) {
        if (config.blurs() && blur == null) {
            throw new IllegalArgumentException("config asks for a blur but none was given");
        }
        this.config = config;
        this.patchSize = patchSize;
        this.blur = config.blurs() ? blur : null;
    }

    public TargetConfig config() {
        return config;
    }

    /** (B, C, H, W) normalised images -> (B, N, P*P*C) patches of the (blurred) image, before norm-pix. */
    public Tensor blurredPatches(Tensor images) {
        return Patches.patchify(blur == null ? images : blur.forward(images), patchSize);
    }

    /**
     * Maps per-patch normalised values back to the blurred image's scale using the target patches' own mean and
     * variance (how the reference shows predictions); identity without norm-pix. (B, N, K) -> (B, N, K).
     */
    public Tensor denormalise(Tensor normalised, Tensor images) {
        if (!config.normPix()) {
            return normalised;
        }
        Tensor raw = blurredPatches(images);
        Tensor mean = Tensors.meanKeep(raw, -1);
        Tensor std = Tensors.varUnbiasedKeep(raw, -1).add(Tensors.scalar(NORM_PIX_EPS)).sqrt();
        return normalised.mul(std).add(mean);
    }

    /** (B, C, H, W) normalised images -> (B, N, P*P*C) targets. */
    public Tensor targets(Tensor images) {
        Tensor t = blurredPatches(images);                               // (B, N, P*P*C)
        if (config.normPix()) {
            Tensor mean = Tensors.meanKeep(t, -1);                        // (B, N, 1)
            Tensor var = Tensors.varUnbiasedKeep(t, -1);                  // (B, N, 1)
            t = t.sub(mean).div(var.add(Tensors.scalar(NORM_PIX_EPS)).sqrt());
        }
        return t;
    }

    /**
     * prediction (B, N, K) against targets of {@code images} -> scalar loss, (B, N) per-patch loss, target. Under
     * bf16 autocast the target is still made in fp32 and the prediction compared in fp32: the loss reduction never
     * runs in low precision.
     */
    public Loss loss(Tensor prediction, Tensor images) {
        Tensor target;
        try (Autocast off = Autocast.disabled(images.device())) {
            target = targets(images);
        }
        if (Tensors.scalarType(prediction) != Tensors.scalarType(target)) {
            prediction = prediction.to(target.scalar_type());
        }
        Tensor diff = prediction.sub(target);
        Tensor perElement = config.loss() == LossType.L2 ? diff.mul(diff) : diff.abs();
        Tensor perPatch = perElement.mean(-1);                            // (B, N)
        return new Loss(perPatch.mean(), perPatch, target);
    }
}
