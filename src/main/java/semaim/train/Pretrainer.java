package semaim.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import semaim.data.Augmentation;
import semaim.data.BatchLoader;
import semaim.data.Datasets;
import semaim.data.ImageSource;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.model.StepOutput;
import semaim.order.Orders;
import semaim.order.PatchOrder;
import semaim.torch.Optimizers;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.Rng;

/**
 * The SemAIM pre-training loop, step by step as the reference runs it: similarity pass (no gradient) -> order ->
 * autoregressive pass -> loss -> backward -> global-norm clip -> AdamW step, with the per-iteration warm-up +
 * cosine schedule, gradient accumulation, checkpoints every N steps and at each epoch end, and exact resume.
 *
 * <p>Output folder: {@code config.json}, {@code metrics.jsonl}, {@code checkpoints/step-NNNNNNNN/},
 * {@code summary.json}.
 */
public final class Pretrainer {
    /** Receives progress; the command line turns it into a progress bar and log lines. */
    public interface Listener {
        void started(long doneSteps, long totalSteps, int stepsPerEpoch, String description);

        void step(long step, int epoch, double loss, double lr, double imagesPerSecond);

        void checkpoint(Path folder);

        void info(String message);

        void warn(String message);

        /** Called after each completed epoch with the model in its current state (e.g. to draw maps). */
        default void epochEnd(int epochsDone, SemAimModel model) {}
    }

    /** What a run did. */
    public record Result(long steps, long totalSteps, double seconds, double imagesPerSecond, double firstLoss,
            double lastLoss, Path lastCheckpoint, Path output, boolean stoppedEarly, int badImages) {}

    private final PretrainConfig cfg;
    private final Path output;
    private final Path resumeFrom;

    /** {@code resumeFrom}: a validated checkpoint folder whose config is {@code cfg}, or null for a fresh run. */
    public Pretrainer(PretrainConfig cfg, Path output, Path resumeFrom) {
        List<String> problems = cfg.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        this.cfg = cfg;
        this.output = output;
        this.resumeFrom = resumeFrom;
    }

    public Result run(BooleanSupplier stopRequested, Listener listener) throws IOException {
        Torch.init();
        ImageSource source = Datasets.open(cfg.data(), cfg.channels());
        int channels = source.channels();
        ModelConfig mc = cfg.modelConfig(channels);
        Device device = Torch.device(cfg.device());
        torch.manual_seed(cfg.seed());
        SemAimModel model = new SemAimModel(mc, cfg.targetConfig());
        model.to(device, false);
        model.train(true);
        List<Optimizers.ParamGroup> groups = ParamGroups.split(model, cfg.weightDecay());
        AdamW optimizer = Optimizers.adamW(groups, cfg.peakLr(), cfg.beta1(), cfg.beta2(), cfg.eps());
        List<Tensor> trainable = new ArrayList<>();
        groups.forEach(g -> trainable.addAll(g.params()));
        TensorVector params = new TensorVector(trainable.toArray(new Tensor[0]));
        PatchOrder order = Orders.byName(cfg.order(), cfg.similarity());
        Rng orderRng = new Rng(cfg.seed() ^ 0x4F52_4445_52L);
        LrSchedule schedule = new LrSchedule(cfg.peakLr(), cfg.minLr(), cfg.warmupEpochs(), cfg.epochs());
        Map<String, String> provenance = Provenance.of(source.description(), source.size());

        long step = 0;
        int epoch = 0, batchInEpoch = 0;
        if (resumeFrom != null) {
            Checkpoint.State s = Checkpoint.read(resumeFrom);
            String images = s.provenance().get("dataset_images");
            if (images != null && Integer.parseInt(images) != source.size()) {
                throw new TrainingException("the checkpoint was trained on " + images + " images but "
                        + source.description() + " has " + source.size() + "; resume needs the same data");
            }
            Checkpoint.restore(resumeFrom, model, optimizer);
            step = s.step();
            epoch = s.epoch();
            batchInEpoch = s.batchInEpoch();
            orderRng.setState(s.orderRng());
            provenance = new LinkedHashMap<>(s.provenance());
            provenance.put("resumed_from", resumeFrom.toString());
            listener.info("resumed from " + resumeFrom + " at step " + step + " (epoch " + (epoch + 1) + ")");
        }

        Files.createDirectories(output);
        Path configFile = output.resolve("config.json");
        if (!Files.exists(configFile)) {
            Files.writeString(configFile, Checkpoint.toJson(cfg), StandardCharsets.UTF_8);
        }
        Path checkpoints = output.resolve("checkpoints");

        try (BatchLoader loader = new BatchLoader(source, new Augmentation(cfg.augmentConfig(channels,
                mc.imageSize())), cfg.batchSize(), cfg.seed(), cfg.workers(), cfg.prefetch(), cfg.skipBadImages(),
                listener::warn);
                MetricsLog metrics = new MetricsLog(output.resolve("metrics.jsonl"), resumeFrom == null ? -1 : step)) {
            int itersPerEpoch = loader.batchesPerEpoch();
            int stepsPerEpoch = itersPerEpoch / cfg.accumSteps();
            if (stepsPerEpoch == 0) {
                throw new TrainingException(source.description() + " gives " + itersPerEpoch + " batches of "
                        + cfg.batchSize() + " per epoch, fewer than one step of " + cfg.accumSteps()
                        + " accumulated batches");
            }
            long totalSteps = (long) cfg.epochs() * stepsPerEpoch;
            if (cfg.maxSteps() > 0) {
                totalSteps = Math.min(totalSteps, cfg.maxSteps());
            }
            listener.started(step, totalSteps, stepsPerEpoch, source.description() + "; model " + mc.name() + " ("
                    + mc.imageSize() + " px, patch " + mc.patchSize() + ", width " + mc.width() + ", depth "
                    + mc.depth() + ", decoder " + mc.decoderDepth() + "); order " + order.name() + "; peak lr "
                    + String.format("%.3g", cfg.peakLr()));

            int s = mc.imageSize();
            long startStep = step;
            long start = System.nanoTime();
            long windowStart = start, windowImages = 0;
            double firstLoss = Double.NaN, lastLoss = Double.NaN, imagesPerSecond = 0;
            Path lastCheckpoint = resumeFrom;
            boolean stopped = false;
            int microPerEpoch = stepsPerEpoch * cfg.accumSteps();

            outer:
            for (int e = epoch; e < cfg.epochs() && step < totalSteps; e++) {
                int micro = e == epoch ? batchInEpoch : 0;
                Iterator<BatchLoader.Batch> batches = loader.epoch(e, micro);
                while (micro < microPerEpoch && step < totalSteps) {
                    double lr = schedule.at(e + micro / (double) itersPerEpoch);
                    Optimizers.setLearningRate(optimizer, lr);
                    double loss = 0, gradNorm;
                    try (PointerScope scope = new PointerScope()) {
                        optimizer.zero_grad();
                        for (int a = 0; a < cfg.accumSteps(); a++) {
                            BatchLoader.Batch b = nextBatch(batches);
                            Tensor images = Tensors.floats(b.images(), cfg.batchSize(), channels, s, s)
                                    .to(device, torch.ScalarType.Float);
                            StepOutput out = model.forwardStep(images, order, orderRng);
                            Tensor l = cfg.accumSteps() == 1 ? out.loss()
                                    : out.loss().div(Tensors.scalar(cfg.accumSteps()));
                            l.backward();
                            loss += out.loss().item_double() / cfg.accumSteps();
                        }
                        gradNorm = torch.clip_grad_norm_(params,
                                cfg.clipGrad() > 0 ? cfg.clipGrad() : Double.POSITIVE_INFINITY);
                        optimizer.step();
                    }
                    if (!Double.isFinite(loss)) {
                        throw new TrainingException("loss became " + loss + " at step " + (step + 1)
                                + "; the last checkpoint (" + lastCheckpoint + ") is intact. Try a lower --blr.");
                    }
                    micro += cfg.accumSteps();
                    step++;
                    windowImages += (long) cfg.effectiveBatch();
                    if (Double.isNaN(firstLoss)) {
                        firstLoss = loss;
                    }
                    lastLoss = loss;
                    long now = System.nanoTime();
                    if (now - windowStart > 2e9 || step % cfg.logEvery() == 0) {
                        imagesPerSecond = windowImages / ((now - windowStart) / 1e9);
                        windowStart = now;
                        windowImages = 0;
                    }
                    listener.step(step, e, loss, lr, imagesPerSecond);
                    if (step % cfg.logEvery() == 0 || step == totalSteps) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("step", step);
                        m.put("epoch", e + micro / (double) itersPerEpoch);
                        m.put("loss", loss);
                        m.put("lr", lr);
                        m.put("grad_norm", gradNorm);
                        m.put("img_per_s", imagesPerSecond);
                        m.put("elapsed_s", (now - start) / 1e9);
                        metrics.write(m);
                    }
                    boolean stopNow = stopRequested.getAsBoolean();
                    boolean endOfEpoch = micro >= microPerEpoch;
                    if (stopNow || step == totalSteps || endOfEpoch
                            || (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0)) {
                        int ckEpoch = endOfEpoch ? e + 1 : e, ckBatch = endOfEpoch ? 0 : micro;
                        lastCheckpoint = Checkpoint.write(checkpoints, new Checkpoint.State(Checkpoint.FORMAT, step,
                                ckEpoch, ckBatch, orderRng.state(), loss, cfg, provenance, Map.of()),
                                model, optimizer);
                        Checkpoint.prune(checkpoints, cfg.keepLast());
                        listener.checkpoint(lastCheckpoint);
                    }
                    if (endOfEpoch) {
                        listener.epochEnd(e + 1, model);
                    }
                    if (stopNow) {
                        stopped = true;
                        break outer;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double overall = (step - startStep) * (double) cfg.effectiveBatch() / Math.max(seconds, 1e-9);
            Result r = new Result(step, totalSteps, seconds, overall, firstLoss, lastLoss, lastCheckpoint, output,
                    stopped, loader.badImages());
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", step);
            summary.put("total_steps", totalSteps);
            summary.put("steps_this_run", step - startStep);
            summary.put("wall_seconds", seconds);
            summary.put("images_per_second", overall);
            summary.put("first_loss", firstLoss);
            summary.put("final_loss", lastLoss);
            summary.put("checkpoint", String.valueOf(lastCheckpoint));
            summary.put("stopped_early", stopped);
            summary.put("bad_images_skipped", loader.badImages());
            summary.put("provenance", provenance);
            Files.writeString(output.resolve("summary.json"), Checkpoint.toJson(summary), StandardCharsets.UTF_8);
            return r;
        } catch (BatchLoader.UncheckedDataException e) {
            throw e.getCause();
        }
    }

    private static BatchLoader.Batch nextBatch(Iterator<BatchLoader.Batch> batches) {
        if (!batches.hasNext()) {
            throw new IllegalStateException("data loader ran out of batches mid-epoch");
        }
        return batches.next();
    }
}
