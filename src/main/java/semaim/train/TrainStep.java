package semaim.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import semaim.model.SemAimModel;
import semaim.model.StepOutput;
import semaim.order.PatchOrder;
import semaim.torch.Autocast;
import semaim.torch.BlasThreads;
import semaim.torch.DataParallel;
import semaim.torch.Distributed;
import semaim.torch.LossScaler;
import semaim.torch.Optimizers;
import semaim.torch.Precision;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * One optimiser step of Algorithm 1, the only code that touches the pre-training model's gradients: for each of
 * {@code accumSteps} micro-batches, the semantic-aware order (similarity pass without gradient, Eq. 2-6), the
 * autoregressive pass and its loss (Eq. 7-12), and backward of the loss scaled by 1/accumSteps; then the global-norm
 * clip and the AdamW update. Native memory of the step is freed on return. Pre-training and {@code semaim bench} run this same code.
 * Under bf16 only the autoregressive pass runs in autocast; the order, the loss and the update stay in fp32.
 * In a data-parallel run the last micro-batch's backward also averages the gradients over the ranks
 * ({@link DataParallel}), so the clip and the update see the global mean gradient, identical on every rank.
 * Under fp16 the loss is scaled for backward and the gradients unscaled before the clip ({@link LossScaler}); a step
 * with inf/NaN gradients is skipped. In fp32 and bf16 a non-finite loss or gradient norm also skips the update (and
 * is reported in {@link Stats}): the weights stay as the last finite step left them, for the caller to stop on.
 */
public final class TrainStep {
    /**
     * What one step measured: the mean loss over its micro-batches, the gradient norm before clipping, the loss
     * scale it used (1 unless fp16) and whether the update was skipped (fp16 gradients with inf/NaN).
     */
    public record Stats(double loss, double gradNorm, double lossScale, boolean skipped) {}

    /** Wall time of the phases of the steps run so far, in nanoseconds (libtorch's CPU ops are synchronous). */
    public static final class Timings {
        public long order;      // similarity pass + ranking + masks input
        public long forward;    // autoregressive pass + loss
        public long backward;
        public long update;     // clip + AdamW

        public void reset() {
            order = forward = backward = update = 0;
        }
    }

    private final SemAimModel model;
    private final AdamW optimizer;
    private final List<Tensor> trainable;   // every parameter AdamW updates, in group order
    private final PatchOrder order;
    private final Rng orderRng;
    private final int accumSteps;
    private final double clipGrad;
    private final Precision precision;
    private final Device device;
    private DataParallel dataParallel = DataParallel.none();
    private Targets targets;   // null: the pixel target the model computes itself
    private final LossScaler scaler;

    /**
     * The step for {@code model} with the reference's AdamW: weight decay on matrices and the CLS token only
     * ({@link ParamGroups}), learning rate {@code lr} (the schedule changes it per step). {@code clipGrad} 0: no
     * clipping (the norm is still measured). {@code precision} must be resolved (FP32 or BF16).
     */
    public static TrainStep withAdamW(SemAimModel model, double weightDecay, double lr, double beta1, double beta2,
            double eps, PatchOrder order, Rng orderRng, int accumSteps, double clipGrad, Precision precision) {
        List<Optimizers.ParamGroup> groups = ParamGroups.split(model, weightDecay);
        AdamW optimizer = Optimizers.adamW(groups, lr, beta1, beta2, eps);
        List<Tensor> trainable = new ArrayList<>();
        groups.forEach(g -> trainable.addAll(g.params()));
        return new TrainStep(model, optimizer, trainable, order, orderRng, accumSteps, clipGrad, precision);
    }

    private TrainStep(SemAimModel model, AdamW optimizer, List<Tensor> trainable, PatchOrder order, Rng orderRng,
            int accumSteps, double clipGrad, Precision precision) {
        this.model = model;
        this.optimizer = optimizer;
        this.trainable = trainable;
        this.order = order;
        this.orderRng = orderRng;
        this.accumSteps = accumSteps;
        this.clipGrad = clipGrad;
        if (precision == Precision.AUTO) {
            throw new IllegalArgumentException("resolve the precision before building the step");
        }
        this.precision = precision;
        this.device = model.device();
        this.scaler = LossScaler.forPrecision(precision);
    }

    /**
     * Averages gradients over the ranks of {@code dist} from now on (c10d's DDP reducer, buckets of
     * {@code bucketMb} MiB, overlapped with backward); a single process changes nothing.
     */
    public void averageGradientsOver(Distributed dist, int bucketMb) {
        dataParallel = DataParallel.over(dist, trainable, bucketMb);
    }

    /** Uses {@code t} for the targets (a teacher's tokens, EMA, HOG) and, with a teacher, for the order. */
    public void useTargets(Targets t) {
        this.targets = t;
    }

    /** The trainable parameters, in optimiser-group order. */
    public List<Tensor> trainable() {
        return trainable;
    }

    /** fp16's dynamic loss scale (disabled otherwise), for checkpoints and resume. */
    public LossScaler lossScaler() {
        return scaler;
    }

    /** The optimiser (for the schedule, checkpoints and resume). */
    public AdamW optimizer() {
        return optimizer;
    }

    /** One optimiser step on {@code accumSteps} micro-batches from {@code nextImages} (B, C, H, W each). */
    public Stats run(Supplier<Tensor> nextImages, Timings timings) {
        double loss = 0;
        try (Scope scope = Scope.open()) {
            optimizer.zero_grad();
            for (int a = 0; a < accumSteps; a++) {
                Tensor images = nextImages.get();                                       // (B, C, H, W)
                long t0 = System.nanoTime(), t1, t2;
                StepOutput out;
                // The similarity pass stays in fp32 under bf16: in bf16 the order agrees with fp32's on only 98.1% of
                // positions of the trained embedded default (docs/performance.md, issue 24). A teacher (or the EMA)
                // gives the targets without gradient, and its similarity sets the order.
                Targets.Batch target = targets == null ? null : targets.compute(images);
                Tensor patchOrder = target != null && target.similarity() != null
                        ? model.orderFromSimilarity(target.similarity(), (int) images.size(0), order, orderRng, device)
                        : model.orderOfImages(images, order, orderRng);                      // (B, N), Eq. 2-6, fp32
                t1 = System.nanoTime();
                try (Autocast autocast = precision.autocast(device)) {
                    out = model.forwardStep(images, patchOrder, target == null ? null : target.targets());   // Eq. 7-12
                }
                Tensor l = accumSteps == 1 ? out.loss() : out.loss().div(Tensors.scalar(accumSteps));
                t2 = System.nanoTime();
                try {
                    // fp16: backward of loss x scale (LossScaler); ranks average on the last micro-batch
                    dataParallel.backward(scaler.scale(l), a == accumSteps - 1);
                } finally {
                    BlasThreads.restore();   // in case a hook of the fused attention never ran (BlasThreads)
                }
                loss += out.loss().item_double() / accumSteps;
                long t3 = System.nanoTime();
                if (timings != null) {
                    timings.order += t1 - t0;
                    timings.forward += t2 - t1;
                    timings.backward += t3 - t2;
                }
            }
            long t4 = System.nanoTime();
            double usedScale = scaler.scale();
            scaler.unscale(trainable);
            double gradNorm = Optimizers.clipGradNorm(trainable, clipGrad > 0 ? clipGrad : Double.POSITIVE_INFINITY);
            boolean step = scaler.update(gradNorm)   // false for fp16 gradients with inf/NaN
                    && Double.isFinite(loss) && Double.isFinite(gradNorm);   // fp32/bf16: never apply a NaN
            if (step) {
                optimizer.step();
                if (targets != null) {
                    targets.afterStep(model);   // the EMA target follows the student
                }
            }
            if (timings != null) {
                timings.update += System.nanoTime() - t4;
            }
            return new Stats(loss, gradNorm, usedScale, !step);
        }
    }
}
