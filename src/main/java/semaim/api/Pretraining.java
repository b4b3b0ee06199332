package semaim.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import semaim.io.ResumeException;
import semaim.io.RunFolders;
import semaim.io.RunLock;
import semaim.model.SemAimModel;
import semaim.train.Checkpoint;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.torch.Torch;

/**
 * A SemAIM pre-training run, as {@code semaim pretrain} runs it: configured from a recipe ({@link #cpu()}, the
 * embedded default, or {@link #recipe}) by builder calls, run with a {@link Listener}, stoppable from another thread
 * (a checkpoint is saved first), resumable from its run folder.
 * <pre>{@code
 * Pretraining run = Pretraining.cpu().data("photos/", 3).epochs(5).output(Path.of("runs/photos"));
 * Pretraining.Result r = run.run(new Pretraining.Listener() {
 *     public void step(long step, int epoch, double loss, double lr) { System.out.println(step + " " + loss); }
 * });
 * try (Encoder encoder = Encoder.load(r.output())) { ... }
 * }</pre>
 * The run folder gets {@code config.json}, {@code metrics.jsonl}, {@code checkpoints/step-N/} and {@code
 * summary.json}; a resumed run equals one that never stopped, bit for bit.
 *
 * <p><b>Threads:</b> configure and {@link #run} from one thread; {@link #stop()} may be called from any.
 */
public final class Pretraining {
    /** What a run tells as it goes; every method has an empty default. Called on the training thread. */
    public interface Listener {
        /**
         * Before the first step.
         *
         * @param doneSteps    steps already done (a resume), else 0
         * @param totalSteps   steps the run is to make
         * @param description  data, model, order, peak learning rate and precision, in one line
         */
        default void started(long doneSteps, long totalSteps, String description) {}

        /**
         * After each optimiser step.
         *
         * @param step          its number, from 1
         * @param epoch         the epoch it belongs to, from 0
         * @param loss          the step's loss (the mean over its micro-batches and processes)
         * @param learningRate  the learning rate it used
         */
        default void step(long step, int epoch, double loss, double learningRate) {}

        /**
         * After each completed epoch.
         *
         * @param epochsDone  epochs done, from 1
         */
        default void epoch(int epochsDone) {}

        /**
         * A checkpoint was written and verified.
         *
         * @param folder  its folder, {@code RUN/checkpoints/step-N}
         */
        default void checkpoint(Path folder) {}

        /**
         * A line of information (resumed from where, what is measured).
         *
         * @param message  the line
         */
        default void info(String message) {}

        /**
         * Something went wrong that did not stop the run (a damaged image skipped, a leftover folder removed).
         *
         * @param message  the line
         */
        default void warn(String message) {}
    }

    /**
     * What a run did.
     *
     * @param steps           optimiser steps done in total (a resume's earlier ones included)
     * @param totalSteps      steps the run is to make
     * @param firstLoss       the first step's loss this session (NaN if none ran)
     * @param lastLoss        the last step's loss (NaN if none ran)
     * @param lastCheckpoint  the newest checkpoint folder
     * @param output          the run folder ({@link Encoder#load} opens its newest checkpoint)
     * @param stoppedEarly    {@link #stop()} ended it before the last step
     */
    public record Result(long steps, long totalSteps, double firstLoss, double lastLoss, Path lastCheckpoint,
            Path output, boolean stoppedEarly) {}

    private PretrainConfig config;
    private Path output;
    private boolean overwrite;
    private final boolean resumed;
    private final AtomicBoolean stop = new AtomicBoolean();

    private Pretraining(PretrainConfig config, Path output, boolean resumed) {
        this.config = config;
        this.output = output;
        this.resumed = resumed;
    }

    /**
     * The embedded default recipe.
     *
     * @return a run of {@code PretrainConfig.CPU}: a small ViT on 4,000 embedded Fashion-MNIST images
     */
    public static Pretraining cpu() {
        return new Pretraining(PretrainConfig.CPU, null, false);
    }

    /**
     * A named recipe.
     *
     * @param name  {@code cpu} or {@code paper} (the reference's ViT-B/16, 800 epochs)
     * @return a run of that recipe
     */
    public static Pretraining recipe(String name) {
        return new Pretraining(PretrainConfig.recipe(name), null, false);
    }

    /**
     * Continues the run in {@code runFolder} from its newest valid checkpoint, with the configuration saved there;
     * only the device may be changed.
     *
     * @param runFolder  the folder an earlier run wrote
     * @return the run, ready to continue
     * @throws IOException when the folder holds no valid checkpoint
     */
    public static Pretraining resume(Path runFolder) throws IOException {
        Path ckpt = checkpointOf(runFolder);
        return new Pretraining(Checkpoint.read(ckpt).config(), runFolder, true);
    }

    /**
     * The configuration as it stands.
     *
     * @return every setting, defaults included
     */
    public PretrainConfig config() {
        return config;
    }

    /**
     * Any change to the configuration, for what has no builder call.
     *
     * @param change  e.g. {@code c -> c.withOptim(...)}
     * @return this run
     */
    public Pretraining configure(UnaryOperator<PretrainConfig> change) {
        if (resumed) {
            throw new IllegalStateException("a resumed run continues with its saved configuration");
        }
        config = change.apply(config);
        return this;
    }

    /**
     * The images to pre-train on.
     *
     * @param path      an image folder (class subfolders allowed), an IDX file or tar shards; null: the embedded set
     * @param channels  1 (grey) or 3 (RGB)
     * @return this run
     */
    public Pretraining data(String path, int channels) {
        return configure(c -> {
            PretrainConfig.Data d = c.data();
            return new PretrainConfig(new PretrainConfig.Data(path, channels, d.skipBadImages(), d.workers(),
                    d.prefetch(), d.maxImagePixels(), d.exactDecode()), c.augment(), c.model(), c.target(), c.order(),
                    c.optim(), c.run());
        });
    }

    /**
     * The number of epochs; the learning-rate schedule spans them.
     *
     * @param epochs  passes over the data
     * @return this run
     */
    public Pretraining epochs(int epochs) {
        return configure(c -> c.withOptim(optim(c.optim(), epochs, c.optim().batchSize())));
    }

    /**
     * Images per step (before accumulation); the learning rate follows the reference's blr x batch / 256.
     *
     * @param batchSize  images per micro-batch
     * @return this run
     */
    public Pretraining batchSize(int batchSize) {
        return configure(c -> c.withOptim(optim(c.optim(), c.optim().epochs(), batchSize)));
    }

    /**
     * A limit on the optimiser steps; the schedule still spans the epochs.
     *
     * @param maxSteps  steps to stop after; 0: every epoch
     * @return this run
     */
    public Pretraining maxSteps(long maxSteps) {
        return configure(c -> c.withRun(run(c.run(), c.run().seed(), c.run().device(), maxSteps, c.run().precision())));
    }

    /**
     * The seed of every random draw (weights, augmentation, order noise).
     *
     * @param seed  the seed
     * @return this run
     */
    public Pretraining seed(long seed) {
        return configure(c -> c.withRun(run(c.run(), seed, c.run().device(), c.run().maxSteps(), c.run().precision())));
    }

    /**
     * The training precision.
     *
     * @param precision  {@code fp32}, {@code bf16} (autocast) or {@code auto}
     * @return this run
     */
    public Pretraining precision(String precision) {
        return configure(c -> c.withRun(run(c.run(), c.run().seed(), c.run().device(), c.run().maxSteps(),
                precision)));
    }

    /**
     * The device; the one change a resumed run accepts.
     *
     * @param device  {@code cpu}, {@code cuda} or {@code cuda:N}
     * @return this run
     */
    public Pretraining device(String device) {
        PretrainConfig.Run r = config.run();
        config = config.withRun(run(r, r.seed(), device, r.maxSteps(), r.precision()));
        return this;
    }

    /**
     * The run folder.
     *
     * @param folder  where the run writes; default {@code runs/pretrain-<date>-<time>}
     * @return this run
     */
    public Pretraining output(Path folder) {
        if (resumed) {
            throw new IllegalStateException("a resumed run writes into its own folder");
        }
        this.output = folder;
        return this;
    }

    /**
     * Whether a finished or stopped run in the output folder is replaced (otherwise the run refuses to start).
     *
     * @param overwrite  true: replace it
     * @return this run
     */
    public Pretraining overwrite(boolean overwrite) {
        this.overwrite = overwrite;
        return this;
    }

    /**
     * Asks a running {@link #run} to stop after its current step, save a checkpoint and return with
     * {@link Result#stoppedEarly()} set. Safe from any thread; before {@code run} it makes the run stop at once.
     */
    public void stop() {
        stop.set(true);
    }

    /**
     * Trains until the last step, or until {@link #stop()}: a fresh run needs an empty (or absent) output folder,
     * or {@link #overwrite}; a start that wrote no checkpoint is cleared with a warning. One process at a time may
     * write a run folder.
     *
     * @param listener  told of steps, epochs and checkpoints
     * @return what the run did
     * @throws IllegalArgumentException for an inconsistent configuration (every problem named)
     * @throws IOException for unreadable data, a full disk, a folder another process holds
     */
    public Result run(Listener listener) throws IOException {
        List<String> problems = config.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        Torch.init();
        Path out = output != null ? output : RunFolders.fresh();
        try (RunLock lock = RunLock.acquire(out, listener::warn)) {
            Path from = resumed ? checkpointOf(out) : null;
            if (!resumed) {
                RunFolders.prepareFresh(out, overwrite, listener::warn);
            }
            Pretrainer.Result r = new Pretrainer(config, out, from).run(stop::get, adapt(listener));
            return new Result(r.steps(), r.totalSteps(), r.firstLoss(), r.lastLoss(), r.lastCheckpoint(), out,
                    r.stoppedEarly());
        }
    }

    private static Path checkpointOf(Path runFolder) throws IOException {
        try {
            return RunFolders.checkpointToResume("auto", runFolder, m -> { });
        } catch (ResumeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static Pretrainer.Listener adapt(Listener l) {
        return new Pretrainer.Listener() {
            @Override
            public void started(long doneSteps, long totalSteps, int stepsPerEpoch, String description) {
                l.started(doneSteps, totalSteps, description);
            }

            @Override
            public void step(long step, int epoch, double loss, double lr, double imagesPerSecond) {
                l.step(step, epoch, loss, lr);
            }

            @Override
            public void checkpoint(Path folder) {
                l.checkpoint(folder);
            }

            @Override
            public void info(String message) {
                l.info(message);
            }

            @Override
            public void warn(String message) {
                l.warn(message);
            }

            @Override
            public void epochEnd(int epochsDone, SemAimModel model) {
                l.epoch(epochsDone);
            }
        };
    }

    private static PretrainConfig.Optim optim(PretrainConfig.Optim o, int epochs, int batchSize) {
        return new PretrainConfig.Optim(epochs, batchSize, o.accumSteps(), o.blr(), o.minLr(), o.warmupEpochs(),
                o.weightDecay(), o.beta1(), o.beta2(), o.eps(), o.clipGrad());
    }

    private static PretrainConfig.Run run(PretrainConfig.Run r, long seed, String device, long maxSteps,
            String precision) {
        return new PretrainConfig.Run(seed, device, maxSteps, r.checkpointEvery(), r.keepLast(), r.logEvery(),
                precision, r.scheduleSteps());
    }
}
