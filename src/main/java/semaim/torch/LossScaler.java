package semaim.torch;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * The dynamic loss scale of fp16 training, with {@code torch.amp.GradScaler}'s defaults (the reference's
 * {@code NativeScalerWithGradNormCount} wraps it): the loss is multiplied by the scale before backward so that small
 * gradients do not underflow fp16; the gradients are divided by it again before clipping; a step whose gradients
 * hold an inf or NaN is skipped and the scale halved; after 2000 good steps in a row the scale doubles.
 * <pre>
 *   scale_0 = 2^16
 *   found_inf:  skip the optimiser step, scale <- scale x 0.5, good <- 0
 *   otherwise:  step, good <- good + 1; if good == 2000: scale <- scale x 2, good <- 0
 * </pre>
 * The scale is a power of two, so scaling and unscaling change no bit of a gradient that neither overflows nor
 * underflows. GradScaler's fused {@code _amp_foreach_non_finite_check_and_unscale_} is not mapped by the presets; the
 * same arithmetic is done here with one multiply per gradient, and the inf/NaN check reads the global gradient norm
 * that the clip computes anyway. In a data-parallel run every rank sees the same averaged gradients, hence the same
 * verdict and scale. fp32 and bf16 use {@link #none()}: scale 1, never a skipped step.
 */
public final class LossScaler {
    public static final double INITIAL_SCALE = 65536.0;
    public static final double GROWTH_FACTOR = 2.0;
    public static final double BACKOFF_FACTOR = 0.5;
    public static final int GROWTH_INTERVAL = 2000;

    /** What a checkpoint keeps of the scaler. */
    public record State(double scale, int goodSteps) {}

    private final boolean enabled;
    private double scale;
    private int goodSteps;

    private LossScaler(boolean enabled) {
        this.enabled = enabled;
        this.scale = enabled ? INITIAL_SCALE : 1.0;
    }

    /** No scaling (fp32, bf16). */
    public static LossScaler none() {
        return new LossScaler(false);
    }

    /** GradScaler's dynamic scale (fp16). */
    public static LossScaler dynamic() {
        return new LossScaler(true);
    }

    /** The scaler {@code precision} needs. */
    public static LossScaler forPrecision(Precision precision) {
        return precision.needsLossScaling() ? dynamic() : none();
    }

    public boolean enabled() {
        return enabled;
    }

    /** The current scale (1 when disabled). */
    public double scale() {
        return scale;
    }

    /** {@code loss x scale}, the tensor to call backward on. */
    public Tensor scale(Tensor loss) {
        return enabled ? loss.mul(Tensors.scalar(scale)) : loss;
    }

    /** Divides every defined gradient of {@code params} by the scale, in place. */
    public void unscale(List<Tensor> params) {
        if (!enabled) {
            return;
        }
        try (Scope s = Scope.open()) {
            org.bytedeco.pytorch.Scalar inverse = Tensors.scalar(1.0 / scale);
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g.defined()) {
                    g.mul_(inverse);
                }
            }
        }
    }

    /**
     * Whether the optimiser may step, given the gradient norm measured after {@link #unscale}; updates the scale.
     * Without scaling every step is taken (a non-finite loss is caught by the trainer instead).
     */
    public boolean update(double gradNorm) {
        if (!enabled) {
            return true;
        }
        if (!Double.isFinite(gradNorm)) {
            scale *= BACKOFF_FACTOR;
            goodSteps = 0;
            return false;
        }
        if (++goodSteps == GROWTH_INTERVAL) {
            scale *= GROWTH_FACTOR;
            goodSteps = 0;
        }
        return true;
    }

    /** The state to checkpoint, or null when disabled. */
    public State state() {
        return enabled ? new State(scale, goodSteps) : null;
    }

    /** Continues from a checkpointed state (null: keep the initial one). */
    public void restore(State s) {
        if (enabled && s != null) {
            scale = s.scale();
            goodSteps = s.goodSteps();
        }
    }
}
