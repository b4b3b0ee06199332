package semaim.eval.detection;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.CocoDetections;
import semaim.data.DataException;
import semaim.eval.LayerDecay;
import semaim.model.VisionTransformer;
import semaim.torch.Autocast;
import semaim.torch.Optimizers;
import semaim.torch.Precision;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;
import semaim.util.Rng;

/**
 * Object detection with a ViT backbone, ViTDet's recipe at a small scale: the simple feature pyramid from the last
 * block and an FCOS head ({@link Detector}), trained on a COCO-layout set with AdamW, warm-up + cosine, random
 * horizontal flips; the encoder fine-tuned under layer-wise lr decay (ViTDet's 0.7 for ViT-B) or frozen (run without
 * gradient, the pyramid and head alone learn). Scored with COCO's box mAP ({@link CocoBoxEval}) on the held-out split.
 * After every epoch a checkpoint can be written; a resumed training repeats the uninterrupted one.
 */
public final class Detection {
    /** Training settings; {@code lr = blr x batchSize / 256}. */
    public record Options(int epochs, int batchSize, double blr, double weightDecay, double layerDecay,
            double warmupEpochs, boolean freezeEncoder, int pyramidChannels, Precision precision, long seed) {
        /** The settings as a result file and a checkpoint record them (a resume must match every one). */
        public Map<String, Object> settings() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epochs", epochs);
            m.put("batch_size", batchSize);
            m.put("blr", blr);
            m.put("weight_decay", weightDecay);
            m.put("layer_decay", layerDecay);
            m.put("warmup_epochs", warmupEpochs);
            m.put("freeze_encoder", freezeEncoder);
            m.put("pyramid_channels", pyramidChannels);
            m.put("precision", precision.name().toLowerCase(java.util.Locale.ROOT));
            m.put("seed", seed);
            return m;
        }
    }

    /** Where checkpoints go ({@code null}: none) and whether to resume from the newest one there. */
    public record Checkpoints(Path dir, boolean resume, Consumer<String> warn) {}

    /**
     * Held-out COCO box mAP, the history [epoch, loss, AP], every held-out image's detections (image order), the
     * trained detector, and the epoch training started from (0, or the resumed checkpoint's).
     */
    public record Result(CocoBoxEval.Result coco, List<double[]> history,
            List<List<CocoBoxEval.Detection>> detections, Detector detector, int resumedFrom) {}

    private Detection() {}

    /**
     * Trains a detector on {@code encoder} (which it changes unless frozen) with {@code train}, scores it on
     * {@code val} after the last epoch, and also after every {@code validateEvery}-th (0: only the last).
     */
    public static Result run(VisionTransformer encoder, CocoDetections train, CocoDetections val, Options o,
            Checkpoints ck, Device device, int validateEvery, IntConsumer onEpoch) throws IOException {
        check(o, train);
        if (val.images().isEmpty()) {   // COCO's numbers over no image are all undefined: not a result
            throw new DataException(val.description() + " holds no images to score the detector on");
        }
        int grid = encoder.config().gridSize(), patch = encoder.config().patchSize();
        if (grid % 2 != 0 || patch % 4 != 0) {
            throw new IllegalArgumentException("the detector's pyramid needs a patch size divisible by 4 and an even"
                    + " patch grid (an input side that is a multiple of " + 2 * patch + " px); the encoder has patch "
                    + patch + " at " + encoder.config().imageSize() + " px: choose --image-size, e.g. "
                    + 2 * patch * Math.max(1, Math.round(encoder.config().imageSize() / (2.0 * patch))));
        }
        List<Integer> ids = new ArrayList<>(train.categories().keySet());
        Map<Integer, Integer> index = new LinkedHashMap<>();
        ids.forEach(id -> index.put(id, index.size()));
        Torch.manualSeed(o.seed());
        Detector detector = new Detector(encoder, o.pyramidChannels(), ids, new ArrayList<>(train.categories()
                .values()));
        detector.pyramid().to(device, false);
        detector.head().to(device, false);
        int size = encoder.config().imageSize(), channels = encoder.config().inChannels();
        Training t = new Training(detector, o, device, new DetectionData(train, size, channels, index));
        DetectionData v = new DetectionData(val, size, channels, index);
        List<double[]> history = new ArrayList<>();
        int start = 0;
        if (ck.dir() != null && ck.resume()) {
            var latest = DetectionCheckpoint.latest(ck.dir(), ck.warn());
            if (latest.isPresent()) {
                DetectionCheckpoint.State s = DetectionCheckpoint.restore(latest.get(), o.settings(), detector, t.opt);
                start = s.epochsDone();
                history.addAll(s.history());
                ck.warn().accept("resuming from " + latest.get() + " (" + start + " of " + o.epochs() + " epochs done)");
            }
        }
        DetectionScores.Scores last = null;
        for (int epoch = start; epoch < o.epochs(); epoch++) {
            double loss = t.epoch(epoch);
            boolean score = epoch == o.epochs() - 1 || validateEvery > 0 && (epoch + 1) % validateEvery == 0;
            last = score ? DetectionScores.score(detector, v, device, o.batchSize()) : null;
            history.add(new double[] {epoch + 1, loss, last != null ? 100 * last.coco().stats()[0] : Double.NaN});
            if (ck.dir() != null) {
                DetectionCheckpoint.write(ck.dir(), new DetectionCheckpoint.State(epoch + 1, o.settings(), history),
                        detector, t.opt);
            }
            onEpoch.accept(epoch + 1);
        }
        if (last == null) {   // resumed from the final checkpoint: score it
            last = DetectionScores.score(detector, v, device, o.batchSize());
        }
        return new Result(last.coco(), history, last.detections(), detector, start);
    }

    private static void check(Options o, CocoDetections train) {
        if (o.epochs() <= 0 || o.batchSize() <= 0 || !(o.blr() > 0) || !(o.warmupEpochs() >= 0)
                || o.warmupEpochs() > o.epochs() || o.pyramidChannels() <= 0) {
            throw new IllegalArgumentException("detection needs epochs > 0, batch size > 0, --blr > 0, pyramid"
                    + " channels > 0 and warm-up in [0, epochs]; got " + o);
        }
        if (o.precision() != Precision.FP32 && o.precision() != Precision.BF16) {
            throw new IllegalArgumentException("detection trains in fp32 or bf16, not " + o.precision());
        }
        if (train.images().size() / o.batchSize() == 0) {
            throw new IllegalArgumentException("fewer training images (" + train.images().size() + ") than one batch ("
                    + o.batchSize() + ")");
        }
        if (train.categories().isEmpty()) {
            throw new IllegalArgumentException("the training annotations list no categories");
        }
    }

    /** The optimiser and the training epochs of a detector. */
    private static final class Training {
        final Detector detector;
        final Options o;
        final Device device;
        final DetectionData data;
        final AdamW opt;
        final double[] scales;
        final LrSchedule schedule;

        Training(Detector detector, Options o, Device device, DetectionData data) {
            this.detector = detector;
            this.o = o;
            this.device = device;
            this.data = data;
            LayerDecay.Groups groups = LayerDecay.withHead(List.of(detector.pyramid(), detector.head()),
                    o.freezeEncoder() ? null : detector.encoder(), o.weightDecay(), o.layerDecay());
            this.scales = groups.scales();
            double lr = o.blr() * o.batchSize() / 256.0;
            this.opt = Optimizers.adamW(groups.groups(), lr, 0.9, 0.999, 1e-8);
            this.schedule = new LrSchedule(lr, 0.0, o.warmupEpochs(), o.epochs());
        }

        /** One epoch of random-order, randomly flipped batches drawn from (seed, epoch); returns its mean loss. */
        double epoch(int epoch) throws IOException {
            Rng rng = new Rng(o.seed() * 1_000_003L + epoch);
            Torch.manualSeed(o.seed() * 1_000_003L + epoch);   // drop path, if the encoder has any
            int b = o.batchSize(), steps = data.count() / b;
            int[] order = rng.permutation(data.count());
            detector.setTraining(true);
            detector.encoder().train(!o.freezeEncoder());
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                Optimizers.setLearningRates(opt, schedule.at(epoch + s / (double) steps), scales);
                int[] picked = java.util.Arrays.copyOfRange(order, s * b, (s + 1) * b);
                boolean[] flips = new boolean[b];
                for (int k = 0; k < b; k++) {
                    flips[k] = rng.nextDouble() < 0.5;
                }
                lossSum += step(data.batch(picked, flips, detector.levels(), detector.categoryIds().size()), epoch);
            }
            return lossSum / steps;
        }

        private double step(DetectionData.Batch batch, int epoch) {
            int b = batch.count(), n = batch.locations(), k = detector.categoryIds().size();
            try (Scope scope = Scope.open()) {
                Tensor x = Tensors.floats(batch.pixels(), b, data.channels, data.size, data.size).to(device,
                        torch.ScalarType.Float);
                FcosHead.Output out;
                try (Autocast autocast = o.precision().autocast(device)) {
                    out = o.freezeEncoder() ? detector.forwardFrozen(x) : detector.forward(x);
                }
                FcosLoss.Terms terms = FcosLoss.compute(fp32(out), on(batch.oneHot(), b, n, k),
                        on(batch.positive(), b, n), on(batch.ltrb(), b, n, 4), on(batch.centreness(), b, n));
                Tensor loss = terms.total();
                opt.zero_grad();
                loss.backward();
                double l = loss.item_double();
                Optimizers.stepIfFinite(opt, l, "detection", epoch);
                return l;
            }
        }

        private Tensor on(float[] values, long... shape) {
            return Tensors.floats(values, shape).to(device, torch.ScalarType.Float);
        }

        private static FcosHead.Output fp32(FcosHead.Output out) {
            return new FcosHead.Output(out.classLogits().to(torch.ScalarType.Float),
                    out.distances().to(torch.ScalarType.Float), out.centrenessLogits().to(torch.ScalarType.Float));
        }
    }
}
