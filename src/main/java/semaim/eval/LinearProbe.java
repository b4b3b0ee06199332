package semaim.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.DataParallel;
import semaim.torch.Distributed;
import semaim.torch.Nn;
import semaim.torch.Optimizers;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;

/**
 * The reference's linear probe on frozen features: {@code BatchNorm1d(D, affine=False, eps=1e-6)} then
 * {@code Linear(D, classes)} (weight N(0, 0.01), bias 0), SGD with momentum 0.9 and no weight decay,
 * lr = blr x batch / 256 with warm-up + cosine, cross-entropy. Trains on features computed once (cached), which
 * replaces the reference's RandomCrop + flip of each epoch by one pass over the unaugmented images.
 */
public final class LinearProbe {
    /** Final test accuracy (percent) and the per-epoch history. */
    public record Result(double top1, double top5, List<double[]> history) {}

    private static final double BN_EPS = 1e-6;

    static final class Head extends Module {
        final BatchNorm1dImpl bn;
        final LinearImpl linear;

        Head(int dim, int classes) {
            super("LinearProbeHead");
            BatchNormOptions o = new BatchNormOptions(dim);
            o.affine().put(false);
            o.eps().put(BN_EPS);
            bn = register_module("bn", new BatchNorm1dImpl(o));
            linear = register_module("linear", Nn.linear(dim, classes));
            Nn.normal(linear.weight(), 0.0, 0.01);
            Nn.fill(linear.bias(), 0.0);
        }

        Tensor forward(Tensor x) {
            return linear.forward(bn.forward(x));
        }
    }

    private LinearProbe() {}

    /** {@code onEpoch} receives the epoch number after each epoch. */
    public static Result train(Features.Set train, Features.Set test, int epochs, int batchSize, double blr,
            double warmupEpochs, long seed, IntConsumer onEpoch) {
        return train(train, test, epochs, batchSize, blr, warmupEpochs, seed, Distributed.single(), onEpoch);
    }

    /**
     * As above, data-parallel over the ranks of {@code dist} (every rank holds all features): each global batch of
     * {@code batchSize x ranks} features is split among the ranks, gradients are averaged (DDP), and the learning
     * rate scales with the global batch, as the reference's {@code eff_batch_size}. BatchNorm normalises each rank's
     * batch with its own statistics, as the reference's (non-synchronised) BatchNorm1d under DDP; rank 0's running
     * statistics are used for testing.
     */
    public static Result train(Features.Set train, Features.Set test, int epochs, int batchSize, double blr,
            double warmupEpochs, long seed, Distributed dist, IntConsumer onEpoch) {
        List<double[]> history = new ArrayList<>();
        Head head = optimise(train, test, Math.max(train.classes(), test.classes()), epochs, batchSize, blr,
                warmupEpochs, 0.0, seed, dist, history, onEpoch);
        double[] acc = accuracy(head, test);
        return new Result(acc[0], acc[1], history);
    }

    /**
     * The probe trained as in {@link #train} on {@code train} alone, returned as one linear map: its BatchNorm (running
     * statistics, eval mode) folded into the linear layer, {@code W' = W / sqrt(var + eps)} per input and
     * {@code b' = b - W' mean}, so {@code W' x + b'} gives the probe's logits. Row-major {@code {W' (classes x D),
     * b' (classes)}}: a classifier head's starting point (LP-FT). {@code smoothing}: label smoothing of the
     * cross-entropy, which the fine-tune that follows should share: a head fitted without it is over-confident under
     * the smoothed loss, whose first gradients then shrink the logits through the encoder.
     */
    public static float[][] fitFolded(Features.Set train, int classes, int epochs, int batchSize, double blr,
            double warmupEpochs, double smoothing, long seed, Distributed dist) {
        Head head = optimise(train, null, classes, epochs, batchSize, blr, warmupEpochs, smoothing, seed, dist,
                new ArrayList<>(), e -> { });
        float[] w, b, mean, var;
        try (Scope scope = Scope.open()) {                                       // toFloats' detached copies
            w = Tensors.toFloats(head.linear.weight());                          // (classes, D)
            b = Tensors.toFloats(head.linear.bias());                            // (classes)
            mean = Tensors.toFloats(head.bn.running_mean());                     // (D)
            var = Tensors.toFloats(head.bn.running_var());                       // (D)
        }
        int d = train.dim();
        for (int j = 0; j < d; j++) {
            double inv = 1 / Math.sqrt(var[j] + BN_EPS);
            for (int c = 0; c < classes; c++) {
                w[c * d + j] = (float) (w[c * d + j] * inv);
                b[c] -= (float) (w[c * d + j] * mean[j]);
            }
        }
        return new float[][] {w, b};
    }

    /** Trains a probe head; {@code test} null: no per-epoch scoring ({@code history} then holds NaN accuracies). */
    private static Head optimise(Features.Set train, Features.Set test, int classes, int epochs, int batchSize,
            double blr, double warmupEpochs, double smoothing, long seed, Distributed dist, List<double[]> history,
            IntConsumer onEpoch) {
        if (epochs <= 0 || batchSize <= 0 || !(blr > 0) || !(blr * batchSize / 256.0 <= Float.MAX_VALUE)
                || !(warmupEpochs >= 0) || warmupEpochs > epochs) {
            throw new IllegalArgumentException("linear probe needs epochs > 0, batch size > 0, --blr > 0 with a"
                    + " learning rate within float range, and"
                    + " warm-up in [0, epochs]; got " + epochs + ", " + batchSize + ", " + blr + ", " + warmupEpochs);
        }
        Torch.manualSeed(seed);
        Head head = new Head(train.dim(), classes);
        int world = dist.worldSize();
        double lr = blr * batchSize * world / 256.0;
        List<Tensor> params = new ArrayList<>(Nn.namedParameters(head).values());
        dist.broadcastFromMain(params);
        DataParallel dp = DataParallel.over(dist, params, DataParallel.DEFAULT_BUCKET_MB);
        SGD sgd = Optimizers.sgd(params, lr, 0.9, 0.0);
        ProbeLoop.Settings s = new ProbeLoop.Settings("linear-probe", epochs, batchSize, classes, smoothing,
                new LrSchedule(lr, 0.0, warmupEpochs, epochs), seed, 1024);
        history.addAll(ProbeLoop.train(new ProbeLoop.Head(head, head::forward, sgd, dp), ProbeLoop.Rows.of(train),
                test == null ? null : ProbeLoop.Rows.of(test), s, dist, onEpoch));
        return head;
    }

    static double[] accuracy(Head head, Features.Set test) {
        return ProbeLoop.accuracy(head, head::forward, ProbeLoop.Rows.of(test), 1024);
    }
}
