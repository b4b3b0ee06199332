package semaim.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import semaim.data.Augmentation;
import semaim.data.BatchLoader;
import semaim.data.Datasets;
import semaim.data.ImageSource;
import semaim.io.CheckpointFolders;
import semaim.io.Json;
import semaim.io.Provenance;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.order.Orders;
import semaim.order.PatchOrder;
import semaim.torch.DataParallel;
import semaim.torch.Distributed;
import semaim.torch.Optimizers;
import semaim.torch.Precision;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;
import semaim.util.Memory;
import semaim.util.NonFiniteException;
import semaim.util.Rng;
import semaim.util.TrainingException;

/**
 * The SemAIM pre-training loop as the reference runs it. {@link TrainStep} is one optimiser step of Algorithm 1
 * (order -> autoregressive pass -> loss -> backward -> global-norm clip -> AdamW), and the only place that touches
 * gradients; {@link #run} around it sets up, resumes, walks the epochs with the per-iteration warm-up + cosine
 * schedule, logs and checkpoints (every N steps, at each epoch end and when asked to stop), so that a resumed run
 * equals one that never stopped.
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

        /**
         * After {@link #epochEnd}: measurements of the model to log in {@code metrics.jsonl} with the step and epoch
         * (e.g. a k-NN monitor's accuracy); empty for none. Called on every rank; only rank 0 writes.
         */
        default Map<String, Object> epochMetrics(int epochsDone, SemAimModel model) {
            return Map.of();
        }

        /** As above, with the teacher of a feature target (null without one), for maps of its similarity. */
        default void epochEnd(int epochsDone, SemAimModel model, semaim.model.Teacher teacher) {
            epochEnd(epochsDone, model);
        }
    }

    /** What a run did. */
    public record Result(long steps, long totalSteps, double seconds, double imagesPerSecond, double firstLoss,
            double lastLoss, Path lastCheckpoint, Path output, boolean stoppedEarly, int badImages,
            boolean alreadyFinished) {
        /** A resume of a run that had trained all its steps: nothing ran and nothing was written. */
        static Result finished(long steps, long totalSteps, Path checkpoint, Path output) {
            return new Result(steps, totalSteps, 0, 0, Double.NaN, Double.NaN, checkpoint, output, false, 0, true);
        }
    }

    /** Where a run stands: optimiser steps done, and the epoch and micro-batch to continue with. */
    private record Position(long step, int epoch, int batchInEpoch) {}

    private final PretrainConfig cfg;
    private final Path output;
    private final Path resumeFrom;
    private final Distributed dist;
    private final int bucketMb;

    // Built by setUp(), in the order that fixes every random draw (model initialisation after the seed).
    private ImageSource source;
    private ModelConfig mc;
    private Device device;
    private SemAimModel model;
    private AdamW optimizer;
    private PatchOrder order;
    private Rng orderRng;
    private TrainStep trainStep;
    private Targets targets;
    private Precision precision;
    private Map<String, String> provenance;

    /** {@code resumeFrom}: a validated checkpoint folder whose config is {@code cfg}, or null for a fresh run. */
    public Pretrainer(PretrainConfig cfg, Path output, Path resumeFrom) {
        this(cfg, output, resumeFrom, Distributed.single(), DataParallel.DEFAULT_BUCKET_MB);
    }

    /**
     * One rank of a data-parallel run over {@code dist} (every rank runs this with the same arguments; rank 0
     * alone writes into {@code output}). {@code bucketMb}: the gradient all-reduce bucket size.
     */
    public Pretrainer(PretrainConfig cfg, Path output, Path resumeFrom, Distributed dist, int bucketMb) {
        List<String> problems = cfg.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        this.cfg = cfg;
        this.output = output;
        this.resumeFrom = resumeFrom;
        this.dist = dist;
        this.bucketMb = bucketMb;
    }

    /**
     * Trains from the start or from {@code resumeFrom} until the last step, or until {@code stopRequested} (a
     * checkpoint is saved first); {@code listener} hears of steps, checkpoints and epoch ends.
     */
    public Result run(BooleanSupplier stopRequested, Listener listener) throws IOException {
        Path checkpoints = output.resolve(CheckpointFolders.CHECKPOINTS);
        if (dist.isMain()) {
            for (Path p : CheckpointFolders.removeTempFolders(checkpoints)) {   // frees the space a crash left taken
                listener.warn("removed the half-written checkpoint " + p + " of an earlier run");
            }
        }
        setUp(listener::warn);
        Position start = resumeFrom == null ? new Position(0, 0, 0) : resume(listener);
        Plan plan = plan();
        if (resumeFrom != null && start.step() >= plan.totalSteps()) {
            return Result.finished(start.step(), plan.totalSteps(), resumeFrom, output);   // its summary stays
        }
        if (resumeFrom != null) {
            listener.info("resumed from " + resumeFrom + " at step " + start.step() + " (epoch "
                    + (start.epoch() + 1) + ")");
        }
        if (dist.isMain()) {
            writeConfig();
        }
        try (BatchLoader loader = openLoader(listener);
                MetricsLog metrics = !dist.isMain() ? null : new MetricsLog(output.resolve("metrics.jsonl"),
                        resumeFrom == null ? -1 : start.step());
                SampleLog samples = SampleLog.open(source, dist.rank())) {
            listener.started(start.step(), plan.totalSteps(), plan.stepsPerEpoch(), describe());
            Session session = new Session(plan, start, checkpoints, metrics, samples, listener, stopRequested);
            session.train(loader);
            double seconds = (System.nanoTime() - session.begin) / 1e9;
            double overall = (session.step - start.step()) * (double) plan.imagesPerStep() / Math.max(seconds, 1e-9);
            Result r = new Result(session.step, plan.totalSteps(), seconds, overall, session.firstLoss,
                    session.lastLoss, session.lastCheckpoint, output, session.stopped, loader.badImages(), false);
            if (dist.isMain()) {
                writeSummary(r, session.step - start.step());
            }
            dist.barrier();   // nobody leaves while rank 0 still writes (its peers would report it gone)
            return r;
        } catch (BatchLoader.UncheckedDataException e) {
            throw e.getCause();
        }
    }

    /**
     * The run's shape: micro-batches and optimiser steps per epoch, the total (epochs, or --max-steps), and images
     * per step (batch x accumulation x processes, as the reference counts them).
     */
    private record Plan(int itersPerEpoch, int stepsPerEpoch, long totalSteps, int imagesPerStep, int accum) {
        /** Micro-batches an epoch trains on: whole optimiser steps only. */
        int microPerEpoch() {
            return stepsPerEpoch * accum;
        }
    }

    private Plan plan() {
        int world = dist.worldSize(), accum = cfg.optim().accumSteps();
        int itersPerEpoch = BatchLoader.batchesPerEpoch(source, cfg.optim().batchSize(), world);
        int stepsPerEpoch = itersPerEpoch / accum;
        if (stepsPerEpoch == 0) {
            throw new TrainingException(source.description() + " gives " + itersPerEpoch + " batches of "
                    + cfg.optim().batchSize() + " per epoch, fewer than one step of " + accum
                    + " accumulated batches");
        }
        long totalSteps = (long) cfg.optim().epochs() * stepsPerEpoch;
        if (cfg.run().maxSteps() > 0) {
            totalSteps = Math.min(totalSteps, cfg.run().maxSteps());
        }
        return new Plan(itersPerEpoch, stepsPerEpoch, totalSteps, cfg.effectiveBatch() * world, accum);
    }

    private BatchLoader openLoader(Listener listener) {
        return new BatchLoader(source, new Augmentation(cfg.augmentConfig(source.channels(), mc.imageSize())),
                cfg.optim().batchSize(), dist.rank(), dist.worldSize(), cfg.run().seed(), cfg.data().workers(),
                cfg.data().prefetch(), cfg.data().skipBadImages(), listener::warn)
                .decoding(cfg.data().exactDecode() ? BatchLoader.Decoding.EXACT : BatchLoader.Decoding.REDUCED);
    }

    /**
     * One session of training: walks the epochs from {@code start} with the per-iteration warm-up + cosine
     * schedule, runs {@link TrainStep} (Algorithm 1) per optimiser step, logs, checkpoints (every N steps, at each
     * epoch end, at the last step and when asked to stop) and calls the epoch-end listeners.
     */
    private final class Session {
        final Plan plan;
        final Position start;
        final Path checkpoints;
        final MetricsLog metrics;   // null on ranks other than 0
        final SampleLog samples;
        final Listener listener;
        final BooleanSupplier stopRequested;
        final LrSchedule schedule;
        final long begin = System.nanoTime();
        final Throughput throughput = new Throughput(begin);
        long step;
        double firstLoss = Double.NaN, lastLoss = Double.NaN;
        Path lastCheckpoint = resumeFrom;
        boolean stopped;

        Session(Plan plan, Position start, Path checkpoints, MetricsLog metrics, SampleLog samples, Listener listener,
                BooleanSupplier stopRequested) {
            this.plan = plan;
            this.start = start;
            this.checkpoints = checkpoints;
            this.metrics = metrics;
            this.samples = samples;
            this.listener = listener;
            this.stopRequested = stopRequested;
            // An image budget ends the cosine at its last step, which may fall inside an epoch.
            long scheduleSteps = cfg.run().scheduleSteps();
            double epochs = scheduleSteps > 0
                    ? Math.min(cfg.optim().epochs(), scheduleSteps / (double) plan.stepsPerEpoch())
                    : cfg.optim().epochs();
            this.schedule = new LrSchedule(peakLr(), cfg.optim().minLr(), Math.min(cfg.optim().warmupEpochs(), epochs),
                    epochs);
            this.step = start.step();
        }

        void train(BatchLoader loader) throws IOException {
            for (int e = start.epoch(); e < cfg.optim().epochs() && step < plan.totalSteps(); e++) {
                int micro = e == start.epoch() ? start.batchInEpoch() : 0;
                Iterator<BatchLoader.Batch> batches = loader.epoch(e, micro);
                while (micro < plan.microPerEpoch() && step < plan.totalSteps()) {
                    micro = step(e, micro, batches);
                    if (stopped) {
                        return;
                    }
                }
            }
        }

        /** One optimiser step at micro-batch {@code micro} of epoch {@code e}; returns the next micro-batch. */
        private int step(int e, int micro, Iterator<BatchLoader.Batch> batches) throws IOException {
            double lr = schedule.at(e + micro / (double) plan.itersPerEpoch());
            Optimizers.setLearningRate(optimizer, lr);
            TrainStep.Stats local = trainStep.run(() -> nextImages(batches, samples), null);   // Algorithm 1
            // One small all-reduce per step: the loss averaged over ranks, and whether any rank was asked to stop
            // (all ranks must stop after the same step, or the others would wait in the next one).
            double[] reduced = dist.sum(new double[] {local.loss(), stopRequested.getAsBoolean() ? 1 : 0});
            int world = dist.worldSize();
            TrainStep.Stats stats = new TrainStep.Stats(reduced[0] / world, local.gradNorm(), local.lossScale(),
                    local.skipped());
            boolean stopNow = reduced[1] > 0;
            if (!Double.isFinite(stats.loss()) || (stats.skipped() && precision != Precision.FP16)) {
                throw new NonFiniteException((Double.isFinite(stats.loss()) ? "the gradient norm became "
                        + stats.gradNorm() : "loss became " + stats.loss()) + " at step " + (step + 1)
                        + " (the update was not applied); the last checkpoint (" + lastCheckpoint
                        + ") is intact. Try a lower --blr.");
            }
            micro += cfg.optim().accumSteps();
            step++;
            if (Double.isNaN(firstLoss)) {
                firstLoss = stats.loss();
            }
            lastLoss = stats.loss();
            long now = System.nanoTime();
            double imagesPerSecond = throughput.add(plan.imagesPerStep(), now, step % cfg.run().logEvery() == 0);
            dist.progress(step);
            listener.step(step, e, stats.loss(), lr, imagesPerSecond);
            if (metrics != null && (step % cfg.run().logEvery() == 0 || step == plan.totalSteps())) {
                metrics.write(metricsLine(step, e + micro / (double) plan.itersPerEpoch(), stats, lr,
                        imagesPerSecond, (now - begin) / 1e9));
            }
            afterStep(e, micro, stats.loss(), stopNow);
            return micro;
        }

        /** Checkpoints and epoch-end work after a step that reached micro-batch {@code micro} of epoch {@code e}. */
        private void afterStep(int e, int micro, double loss, boolean stopNow) throws IOException {
            boolean endOfEpoch = micro >= plan.microPerEpoch();
            if (stopNow || step == plan.totalSteps() || endOfEpoch
                    || (cfg.run().checkpointEvery() > 0 && step % cfg.run().checkpointEvery() == 0)) {
                Position next = endOfEpoch ? new Position(step, e + 1, 0) : new Position(step, e, micro);
                lastCheckpoint = saveCheckpoint(checkpoints, next, loss, lastCheckpoint);
                listener.checkpoint(lastCheckpoint);
            }
            if (endOfEpoch || step == plan.totalSteps()) {   // a budget's last, partial epoch counts as done
                listener.epochEnd(e + 1, model, targets.teacher());
                Map<String, Object> measured = listener.epochMetrics(e + 1, model);
                if (metrics != null && !measured.isEmpty()) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("step", step);
                    line.put("epoch", (double) (e + 1));
                    line.putAll(measured);
                    metrics.write(line);
                }
            }
            stopped = stopNow;
        }
    }

    /** Opens the data and builds the model, optimiser and order from the seed. */
    private void setUp(java.util.function.Consumer<String> warn) throws IOException {
        Torch.init();
        source = Datasets.open(cfg.data().path(), cfg.data().channels(), cfg.data().pixelLimit());
        mc = cfg.modelConfig(source.channels());
        device = Torch.device(cfg.run().device());
        // The teacher is read first: the head's width is its token width (and its construction draws no number that
        // the student's initialisation below would see).
        Targets.Prepared prepared = Targets.prepare(cfg.target(), cfg.order().orderTeacher(), mc, warn);
        Torch.manualSeed(cfg.run().seed());
        model = new SemAimModel(mc, prepared.config());
        model.to(device, false);
        model.train(true);
        dist.broadcastFromMain(Tensors.list(model.parameters()));   // DDP: every rank starts from rank 0's weights
        if (dist.rank() > 0) {
            Torch.manualSeed(cfg.run().seed() + dist.rank());   // the reference's seed + rank: own drop-path draws
        }
        order = Orders.byName(cfg.order().name(), cfg.order().similarity());
        orderRng = new Rng(orderSeed(cfg.run().seed(), dist.rank()));
        precision = cfg.run().precisionAsked().resolve(device);
        trainStep = TrainStep.withAdamW(model, cfg.optim().weightDecay(), peakLr(), cfg.optim().beta1(),
                cfg.optim().beta2(), cfg.optim().eps(), order, orderRng, cfg.optim().accumSteps(),
                cfg.optim().clipGrad(), precision);
        trainStep.averageGradientsOver(dist, bucketMb);
        targets = Targets.attach(prepared, model, cfg.augmentConfig(source.channels(), mc.imageSize()), precision);
        trainStep.useTargets(targets);
        optimizer = trainStep.optimizer();
        provenance = Provenance.of(source.description(), source.size());
        provenance.put("precision", precision.toString());
        provenance.putAll(targets.provenance());
        provenance.put("world_size", Integer.toString(dist.worldSize()));
    }

    /** Peak learning rate: blr x (batch x accumulation x processes) / 256, as the reference scales it. */
    private double peakLr() {
        return cfg.peakLr() * dist.worldSize();
    }

    /** The seed of rank {@code rank}'s order generator; rank 0's is the single-process one. */
    static long orderSeed(long seed, int rank) {
        long base = seed ^ 0x4F52_4445_52L;
        return rank == 0 ? base : base + 0x9E3779B97F4A7C15L * rank;
    }

    /** Restores weights, optimiser, generators and data position from {@code resumeFrom}. */
    private Position resume(Listener listener) throws IOException {
        Checkpoint.State s = Checkpoint.read(resumeFrom);
        if (s.processes() != dist.worldSize()) {
            throw new TrainingException("the checkpoint " + resumeFrom + " was written by " + s.processes()
                    + (s.processes() == 1 ? " process" : " processes") + " and resumes only with as many ("
                    + (s.processes() == 1 ? "a single process" : "semaim launch --nproc-per-node/--nnodes giving "
                    + s.processes()) + "): each rank's data shard and random generators are saved for that count,"
                    + " not " + dist.worldSize());
        }
        String images = s.provenance().get("dataset_images");
        if (images != null && Integer.parseInt(images) != source.size()) {
            throw new TrainingException("the checkpoint was trained on " + images + " images but "
                    + source.description() + " has " + source.size() + "; resume needs the same data");
        }
        Checkpoint.restore(resumeFrom, model, optimizer, dist.rank());
        if (targets.ema() != null) {
            Path emaFile = resumeFrom.resolve(CheckpointFolders.EMA);
            if (!Files.isRegularFile(emaFile)) {
                throw new TrainingException(resumeFrom + " has no " + CheckpointFolders.EMA + " for the ema target");
            }
            targets.ema().load(semaim.io.SafeTensors.read(emaFile).tensors(), emaFile.toString());
        }
        orderRng.setState(s.orderRng(dist.rank()));
        trainStep.lossScaler().restore(s.lossScaler());
        provenance = new LinkedHashMap<>(s.provenance());
        provenance.put("resumed_from", resumeFrom.toString());
        String before = provenance.getOrDefault("precision", "fp32");
        if (!before.equals(precision.toString())) {
            listener.info("the run trained in " + before + " so far and continues in " + precision);
        }
        provenance.put("precision", precision.toString());
        return new Position(s.step(), s.epoch(), s.batchInEpoch());
    }

    /**
     * Writes a checkpoint; a failure (a full disk) leaves the previous checkpoint and no half-written folder, and
     * says so.
     */
    private Path saveCheckpoint(Path checkpoints, Position next, double loss, Path previous) throws IOException {
        // Every rank's generators go into rank 0's checkpoint (a collective: all ranks call this at the same steps).
        List<Tensor> rngStates = new ArrayList<>();
        long[] orderRngs = null;
        if (dist.enabled()) {
            long[][] gathered = dist.allGather(RankState.pack(orderRng.state(), Torch.cpuRngState()));
            orderRngs = new long[gathered.length];
            for (int r = 0; r < gathered.length; r++) {
                orderRngs[r] = RankState.orderRng(gathered[r]);
                rngStates.add(RankState.torchRng(gathered[r]));
            }
        } else {
            rngStates.add(Torch.cpuRngState());
        }
        if (!dist.isMain()) {
            return previous;
        }
        Path folder;
        try {
            folder = Checkpoint.write(checkpoints, new Checkpoint.State(CheckpointFolders.FORMAT, next.step(),
                    next.epoch(), next.batchInEpoch(), orderRng.state(), loss, cfg, provenance, Map.of(),
                    dist.worldSize(), orderRngs, trainStep.lossScaler().state()), model, optimizer, rngStates,
                    targets.ema() == null ? null : targets.ema().state());
        } catch (IOException e) {
            String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getMessage();
            String what = reason != null && reason.contains("No space left")
                    ? "no space left on " + checkpoints.toAbsolutePath()
                    : "cannot write into " + checkpoints.toAbsolutePath() + " (" + reason + ")";
            throw new IOException(what + " while writing checkpoint step " + next.step() + "; "
                    + (previous != null ? "the previous checkpoint " + previous + " is intact"
                            : "no earlier checkpoint exists"), e);
        }
        CheckpointFolders.prune(checkpoints, cfg.run().keepLast());
        return folder;
    }

    /** One line of {@code metrics.jsonl}. */
    private static Map<String, Object> metricsLine(long step, double epoch, TrainStep.Stats stats, double lr,
            double imagesPerSecond, double elapsedSeconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("epoch", epoch);
        m.put("loss", stats.loss());
        m.put("lr", lr);
        m.put("grad_norm", stats.gradNorm());
        if (stats.lossScale() != 1.0) {
            m.put("loss_scale", stats.lossScale());
            m.put("skipped", stats.skipped());
        }
        m.put("img_per_s", imagesPerSecond);
        m.put("elapsed_s", elapsedSeconds);
        m.put("rss_mb", Math.round(Memory.rssMb()));
        return m;
    }

    /** Images per second over a window that closes after 2 s or at a logged step. */
    private static final class Throughput {
        private long windowStart;
        private long windowImages;
        private double imagesPerSecond;

        Throughput(long now) {
            windowStart = now;
        }

        /** Counts {@code images} more; returns the rate of the last closed window. */
        double add(int images, long now, boolean closeWindow) {
            windowImages += images;
            if (now - windowStart > 2e9 || closeWindow) {
                imagesPerSecond = windowImages / ((now - windowStart) / 1e9);
                windowStart = now;
                windowImages = 0;
            }
            return imagesPerSecond;
        }
    }

    /** config.json: written by every fresh start; a resumed run keeps the one it started with. */
    private void writeConfig() throws IOException {
        Files.createDirectories(output);
        Path configFile = output.resolve("config.json");
        if (resumeFrom == null || !Files.exists(configFile)) {
            Files.writeString(configFile, cfg.toJson(), StandardCharsets.UTF_8);
        }
    }

    private void writeSummary(Result r, long stepsThisRun) throws IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("steps", r.steps());
        summary.put("total_steps", r.totalSteps());
        summary.put("steps_this_run", stepsThisRun);
        summary.put("wall_seconds", r.seconds());
        summary.put("images_per_second", r.imagesPerSecond());
        summary.put("first_loss", r.firstLoss());
        summary.put("final_loss", r.lastLoss());
        summary.put("checkpoint", String.valueOf(r.lastCheckpoint()));
        summary.put("stopped_early", r.stoppedEarly());
        summary.put("bad_images_skipped", r.badImages());
        summary.put("provenance", provenance);
        Files.writeString(output.resolve("summary.json"), Json.toJson(summary), StandardCharsets.UTF_8);
    }

    private String describe() {
        return source.description() + "; model " + mc.name() + " (" + mc.imageSize() + " px, patch "
                + mc.patchSize() + ", width " + mc.width() + ", depth " + mc.depth() + ", decoder "
                + mc.decoderDepth() + "); order " + order.name() + "; peak lr " + String.format("%.3g", peakLr())
                + (dist.worldSize() > 1 ? " (" + dist.worldSize() + " processes x " + String.format("%.3g",
                        cfg.peakLr()) + ")" : "") + "; precision " + precision
                + (cfg.run().precisionAsked() == Precision.AUTO ? " (auto)" : "");
    }

    /** The next micro-batch as a float tensor on the training device. */
    private Tensor nextImages(Iterator<BatchLoader.Batch> batches, SampleLog samples) {
        if (!batches.hasNext()) {
            throw new IllegalStateException("data loader ran out of batches mid-epoch");
        }
        BatchLoader.Batch b = batches.next();
        if (samples != null) {
            samples.record(b);
        }
        Tensor x = b.tensor(device);
        b.recycle();   // copied into x
        return x;
    }
}
