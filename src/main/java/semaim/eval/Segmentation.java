package semaim.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.SegmentationSet;
import semaim.model.VisionTransformer;
import semaim.torch.Optimizers;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;
import semaim.util.Rng;

/**
 * Semantic segmentation on the encoder's patch tokens, with two heads:
 * <ul>
 *   <li>{@code LINEAR}: DINOv2's linear probe: the frozen encoder's patch tokens (after the final norm), one
 *       Linear(D, K) per patch, the (K, g, g) logits resized bilinearly to the image;</li>
 *   <li>{@code DECODER}: a light decoder that fine-tunes the encoder (layer-wise lr decay, as fine-tuning): tokens as a
 *       (D, g, g) map, then log2(patch) stages of 3x3 conv (64 channels) + BatchNorm + ReLU + 2x bilinear upsampling,
 *       and a 1x1 conv to K classes: progressive upsampling back to pixels.</li>
 * </ul>
 * Loss: per-pixel cross-entropy over the labelled pixels (mask value 0 = ignore, as ADE20K; class c is mask value
 * c). Evaluation: the confusion matrix over the held-out pixels gives per-class IoU = TP / (TP + FP + FN), the mean
 * over classes that occur (mIoU) and pixel accuracy; the baseline that predicts the most frequent training class
 * everywhere is reported next to it. AdamW with warm-up + cosine; inputs normalised as the encoder expects (the
 * default mean and std of its channels), random horizontal flips. The heads, the data, the scores and the trained
 * {@link Segmenter} have their own files.
 */
public final class Segmentation {
    /** Which head. */
    public enum Head { LINEAR, DECODER }

    /** Training settings. */
    public record Options(Head head, int epochs, int batchSize, double blr, double weightDecay, double layerDecay,
            double warmupEpochs, long seed) {}

    /**
     * Held-out scores (percent): mIoU, pixel accuracy, per-class IoU (NaN for a class absent from both truth and
     * prediction), the most-frequent-class baseline's mIoU and pixel accuracy, and the history [epoch, loss, mIoU].
     */
    public record Result(double miou, double pixelAccuracy, double[] iou, double baselineMiou,
            double baselinePixelAccuracy, List<double[]> history, List<int[]> sampleMasks, Segmenter segmenter) {}

    /** How many held-out images' predicted masks a result keeps (for the figure). */
    public static final int SAMPLES = 6;

    private Segmentation() {}

    /**
     * Trains a head of {@code o} on {@code train}, scores it on {@code val}. The linear head leaves the encoder as it
     * was (frozen by running it without gradient); the decoder fine-tunes it. The encoder's training mode is restored.
     */
    public static Result run(VisionTransformer encoder, SegmentationSet train, SegmentationSet val, int classes,
            Options o, Device device, IntConsumer onEpoch) throws IOException {
        if (o.epochs() <= 0 || o.batchSize() <= 0 || !(o.blr() > 0) || !(o.warmupEpochs() >= 0)
                || o.warmupEpochs() > o.epochs()) {
            throw new IllegalArgumentException("segmentation needs epochs > 0, batch size > 0, --blr > 0 and warm-up"
                    + " in [0, epochs]; got " + o);
        }
        if (train.size() / o.batchSize() == 0) {
            throw new IllegalArgumentException("fewer training images (" + train.size() + ") than one batch ("
                    + o.batchSize() + ")");
        }
        Torch.manualSeed(o.seed());
        Module head = SegmentationHeads.create(o.head(), encoder.tokenDim(), classes, encoder.config().patchSize());
        head.to(device, false);
        boolean wasTraining = encoder.is_training();
        try {
            int size = encoder.config().imageSize();
            Training t = new Training(encoder, head, o, device, new SegmentationData(train, size));
            SegmentationData v = new SegmentationData(val, size);
            long[] counts = new long[classes];
            List<double[]> history = new ArrayList<>();
            double[] last = null;
            Rng rng = new Rng(o.seed());
            for (int epoch = 0; epoch < o.epochs(); epoch++) {
                double loss = t.epoch(epoch, rng, epoch == 0 ? counts : null);
                last = SegmentationScores.score(encoder, head, v, classes, device);
                history.add(new double[] {epoch + 1, loss, last[0]});
                onEpoch.accept(epoch + 1);
            }
            double[] baseline = SegmentationScores.baseline(val, classes, size, mostFrequent(counts));
            return new Result(last[0], last[1], java.util.Arrays.copyOfRange(last, 2, last.length), baseline[0],
                    baseline[1], history, SegmentationScores.samples(encoder, head, v, SAMPLES, device),
                    new Segmenter(encoder, head, o.head(), classes));
        } finally {
            encoder.train(wasTraining);
        }
    }

    private static int mostFrequent(long[] counts) {
        int majority = 0;
        for (int k = 1; k < counts.length; k++) {
            majority = counts[k] > counts[majority] ? k : majority;
        }
        return majority;
    }

    /** The optimiser and the training epochs of one head (and, for the decoder, the encoder it fine-tunes). */
    private static final class Training {
        final VisionTransformer encoder;
        final Module head;
        final Options o;
        final Device device;
        final SegmentationData data;
        final boolean fineTune;
        final AdamW opt;
        final double[] scales;
        final LrSchedule schedule;

        Training(VisionTransformer encoder, Module head, Options o, Device device, SegmentationData data) {
            this.encoder = encoder;
            this.head = head;
            this.o = o;
            this.device = device;
            this.data = data;
            this.fineTune = o.head() == Head.DECODER;
            double lr = o.blr() * o.batchSize() / 256.0;
            // the linear probe leaves the encoder out; the decoder fine-tunes it with layer-wise lr decay
            LayerDecay.Groups groups = LayerDecay.withHead(List.of(head), fineTune ? encoder : null, o.weightDecay(),
                    o.layerDecay());
            this.scales = groups.scales();
            this.opt = Optimizers.adamW(groups.groups(), lr, 0.9, 0.999, 1e-8);
            this.schedule = new LrSchedule(lr, 0.0, o.warmupEpochs(), o.epochs());
        }

        /** One epoch of random-order, randomly flipped batches; returns its mean loss. */
        double epoch(int epoch, Rng rng, long[] counts) throws IOException {
            int steps = data.set.size() / o.batchSize(), b = o.batchSize();
            int[] order = rng.permutation(data.set.size());
            head.train(true);
            encoder.train(fineTune);
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                Optimizers.setLearningRates(opt, schedule.at(epoch + s / (double) steps), scales);
                int[] picked = java.util.Arrays.copyOfRange(order, s * b, (s + 1) * b);
                boolean[] flips = new boolean[b];
                for (int k = 0; k < b; k++) {
                    flips[k] = rng.nextDouble() < 0.5;
                }
                lossSum += step(data.batch(picked, flips, counts), epoch);
            }
            return lossSum / steps;
        }

        private double step(SegmentationData.Batch batch, int epoch) {
            int size = data.size, c = data.set.channels(), grid = encoder.config().gridSize(), b = batch.count();
            try (Scope scope = Scope.open()) {
                Tensor x = Tensors.floats(batch.pixels(), b, c, size, size).to(device, torch.ScalarType.Float);
                Tensor y = Tensors.int64s(batch.labels(), b, size, size).to(device, torch.ScalarType.Long);
                Tensor tokens = fineTune ? encoder.tokens(x).narrow(1, 1, (long) grid * grid)
                        : Tensors.noGrad(() -> encoder.tokens(x).narrow(1, 1, (long) grid * grid));
                Tensor loss = crossEntropyIgnoringZero(SegmentationHeads.forward(head, tokens, grid, size), y);
                opt.zero_grad();
                loss.backward();
                double l = loss.item_double();
                Optimizers.stepIfFinite(opt, l, "segmentation", epoch);
                return l;
            }
        }
    }

    /**
     * Mean cross-entropy over the pixels whose label is not 0: logits (B, K, S, S) for classes 1..K, labels
     * (B, S, S) with 0 = ignore.
     */
    static Tensor crossEntropyIgnoringZero(Tensor logits, Tensor labels) {
        Tensor logp = logits.log_softmax(1);                                          // (B, K, S, S)
        Tensor valid = labels.gt(Tensors.scalar(0));                                  // (B, S, S)
        Tensor index = labels.sub(Tensors.scalar(1)).clamp_min(Tensors.scalar(0)).to(torch.ScalarType.Long)
                .unsqueeze(1);                                                        // (B, 1, S, S)
        Tensor picked = logp.gather(1, index).squeeze(1);                             // (B, S, S)
        Tensor v = valid.to(picked.scalar_type());
        return picked.mul(v).sum().neg().div(v.sum().clamp_min(Tensors.scalar(1)));
    }
}
