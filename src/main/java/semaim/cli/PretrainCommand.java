package semaim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import semaim.data.DataException;
import semaim.eval.EvalData;
import semaim.io.CheckpointFolders;
import semaim.io.ResumeException;
import semaim.io.RunFolders;
import semaim.io.RunLock;
import semaim.train.Checkpoint;
import semaim.train.PretrainConfig;
import semaim.train.callbacks.KnnMonitor;
import semaim.train.callbacks.MapsEveryEpochs;
import semaim.torch.DistEnv;
import semaim.torch.Distributed;
import semaim.train.Pretrainer;

/** {@code semaim pretrain}: SemAIM pre-training with checkpoints and exact resume. */
@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        description = {"Pre-train a ViT encoder with SemAIM.",
            "With no --data it trains a small model on the embedded Fashion-MNIST subset (about 10 minutes on 2 CPU"
                    + " cores). --recipe paper gives the reference's ViT-B/16 recipe; options override recipe values."},
        footer = {"", "Output folder: config.json, metrics.jsonl (one JSON object per logged step),"
                + " checkpoints/step-NNNNNNNN/ (model.safetensors, optimizer.pt, torch-rng.safetensors, state.json),"
                + " summary.json. Ctrl-C saves a checkpoint before exiting; --resume auto continues."})
public final class PretrainCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--recipe", paramLabel = "NAME", defaultValue = "cpu",
            description = "Base recipe: cpu (embedded default) or paper (ViT-B/16, 800 epochs, batch 2048). Default: ${DEFAULT-VALUE}.")
    String recipe;

    @Mixin
    PretrainOptions options;

    @Option(names = "--output", paramLabel = "DIR", description = "Run folder (default runs/pretrain-<date-time>).")
    Path output;

    @Option(names = "--viz-every", paramLabel = "EPOCHS", defaultValue = "1",
            description = "Draw the maps of 6 fixed training images into maps/epoch-NNN.png every N epochs (0 = never). Default: ${DEFAULT-VALUE}.")
    int vizEvery;

    @Option(names = "--resume", paramLabel = "auto|PATH",
            description = "Continue a run: 'auto' takes the newest valid checkpoint in --output (damaged ones are skipped with a warning); or a checkpoint folder or run folder.")
    String resume;

    @Mixin
    DistOptions distOptions;

    @Option(names = "--monitor-knn", paramLabel = "EPOCHS",
            description = "Every N epochs and at the end, k-NN top-1 (k=20) of the current encoder on a held-out labelled set, logged to metrics.jsonl and the report, the last also on the final line (0 = off). Default: at the end only, with the embedded data or --monitor-train/--monitor-test; else off.")
    Integer monitorKnn;

    @Option(names = "--monitor-train", paramLabel = "PATH",
            description = "The monitor's labelled reference set (IDX or class folders; default with the embedded data: its Fashion-MNIST subsets).")
    String monitorTrain;

    @Option(names = "--monitor-test", paramLabel = "PATH", description = "The monitor's labelled query set.")
    String monitorTest;

    @Option(names = "--budget-minutes", paramLabel = "M",
            description = "Pre-train on the images this machine pre-trains in M minutes: the step is timed first (3 warm-up and 10 timed steps of synthetic data) and the images kept in the run's budget.json; epochs and steps follow from them, the schedule spans them.")
    Double budgetMinutes;

    @Option(names = "--budget-images", paramLabel = "N",
            description = "Pre-train on N images seen (epochs and steps from the data size and the effective batch; the schedule spans them). Instead of --budget-minutes.")
    Long budgetImages;

    @Option(names = "--budget-from", paramLabel = "FILE",
            description = "With --budget-minutes: take the timing from this budget.json (of an earlier run or ablate grid) instead of timing again, so that several runs see the same images.")
    Path budgetFrom;

    @Option(names = "--overwrite",
            description = "Start afresh in an --output folder that already holds a run: its config, metrics, checkpoints, maps, report and eval results are deleted first.")
    boolean overwrite;

    /** Counted down once the command's last line, an error's included, is printed: the shutdown hook waits on it. */
    private final CountDownLatch finished = new CountDownLatch(1);
    /** Set once the first step may run: before it, a stop has nothing to save. */
    private final AtomicBoolean training = new AtomicBoolean();

    @Override
    public Integer call() {
        try {
            return CommandErrors.guard("pretrain", this::execute);
        } finally {
            // After the error line too: on SIGTERM the JVM exits as soon as the hook returns, and an error printed
            // later (a peer gone while every rank was to stop together) was lost.
            finished.countDown();
        }
    }

    private int execute() throws IOException, ResumeException {
        if (monitorKnn != null && monitorKnn < 0) {
            throw new IllegalArgumentException("--monitor-knn must not be negative, got " + monitorKnn);
        }
        DistEnv env = distOptions.env();
        if (env.multiProcess() && resume == null && output == null) {
            throw new IllegalArgumentException("a multi-process run needs --output DIR (all ranks must name the same"
                    + " run folder)");
        }
        checkBudgetOptions(env);
        Path out = resume == null ? (output != null ? output : RunFolders.fresh())
                : RunFolders.ofResume(resume, output);
        PretrainConfig cfg = null;
        if (resume == null) {
            cfg = options.over(PretrainConfig.recipe(recipe));
            validate(cfg);   // before anything is written
        }
        // Rank 0 owns the run folder; the other ranks of a multi-process run only read from it.
        try (RunLock lock = env.isMain() ? RunLock.acquire(out, LOG::warn) : null) {
            Path resumeFolder = null;
            if (resume != null && resume.equals("auto") && RunFolders.failedStart(out)) {
                // Nothing to resume: the last start failed (or was killed) before its first checkpoint. Start it
                // again with the configuration it recorded, as the same command without --resume would.
                cfg = options.over(savedConfig(out));
                validate(cfg);
                cfg = withBudget(cfg, out);
                LOG.warn("{} holds no checkpoint, only what a start that ended before its first checkpoint left:"
                        + " starting afresh", out);
                if (env.isMain()) {
                    // config.json stays for the other ranks to read; it is rewritten
                    RunFolders.clearFailedStart(out, true, LOG::warn);
                }
            } else if (resume == null) {
                if (env.isMain()) {
                    RunFolders.prepareFresh(out, overwrite, LOG::warn);
                }
                cfg = withBudget(cfg, out);
            } else {
                if (budgetMinutes != null || budgetImages != null) {
                    LOG.info("resuming: the run keeps the steps and epochs its budget gave it at the start");
                }
                resumeFolder = RunFolders.checkpointToResume(resume, out, LOG::warn);
                Checkpoint.State state;
                try {
                    state = Checkpoint.read(resumeFolder);
                } catch (IOException e) {
                    throw new ResumeException("cannot resume from " + resumeFolder + ": " + e.getMessage(), e);
                }
                List<String> changed = options.changedFrom(state.config());
                if (!changed.isEmpty()) {
                    throw new IllegalArgumentException("cannot change " + String.join(", ", changed)
                            + " when resuming: the run continues with its saved configuration");
                }
                cfg = options.over(state.config());   // only runtime options (workers, device...) differ
                validate(cfg);
            }
            return train(withDevice(cfg, DistOptions.deviceFor(cfg.run().device(), env)), out, resumeFolder, env);
        }
    }

    private void checkBudgetOptions(DistEnv env) {
        if (budgetMinutes != null && budgetImages != null) {
            throw new IllegalArgumentException("give --budget-minutes or --budget-images, not both");
        }
        if (budgetFrom != null && budgetMinutes == null) {
            throw new IllegalArgumentException("--budget-from needs --budget-minutes");
        }
        if (budgetMinutes != null && env.multiProcess()) {
            throw new IllegalArgumentException("--budget-minutes times the step in one process; in a multi-process run"
                    + " give --budget-images N (the images a single-process run wrote into its budget.json)");
        }
    }

    /** {@code cfg} with the steps and epochs of --budget-minutes or --budget-images, or unchanged without them. */
    private PretrainConfig withBudget(PretrainConfig cfg, Path out) throws IOException {
        if (budgetMinutes == null && budgetImages == null) {
            return cfg;
        }
        long images = budgetImages != null ? budgetImages
                : semaim.ablation.Budget.imagesInMinutes(cfg, budgetMinutes, out.resolve(semaim.ablation.Budget.FILE),
                        budgetFrom, m -> LOG.info("{}", m));
        int size = semaim.data.Datasets.open(cfg.data().path(), cfg.data().channels(), cfg.data().pixelLimit()).size();
        PretrainConfig budgeted = cfg.withImageBudget(images, size);
        LOG.info("budget: {} images seen = {} steps over {} epoch(s) of {} images", images,
                budgeted.run().maxSteps(), budgeted.optim().epochs(), size);
        return budgeted;
    }

    private static PretrainConfig withDevice(PretrainConfig c, String device) {
        PretrainConfig.Run r = c.run();
        return new PretrainConfig(c.data(), c.augment(), c.model(), c.target(), c.order(), c.optim(),
                new PretrainConfig.Run(r.seed(), device, r.maxSteps(), r.checkpointEvery(), r.keepLast(),
                        r.logEvery(), r.precision(), r.scheduleSteps()));
    }

    private static void validate(PretrainConfig cfg) throws DataException {
        List<String> problems = cfg.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        cfg.warnings().forEach(LOG::warn);
        String data = cfg.data().path();
        if (data != null && !data.isBlank() && !Files.exists(Path.of(data))) {
            throw new DataException("data path " + data + " does not exist");
        }
        String teacher = cfg.target().teacher();
        if (teacher != null && !Files.isRegularFile(Path.of(teacher))) {
            throw new IllegalArgumentException("--teacher " + teacher + " is not a file");
        }
    }

    /** The configuration a failed start recorded in config.json, or the recipe's when it left none readable. */
    private PretrainConfig savedConfig(Path out) {
        Path saved = out.resolve("config.json");
        try {
            return PretrainConfig.fromJson(Files.readString(saved, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException unreadable) {
            if (Files.exists(saved)) {
                LOG.warn("{} is unreadable ({}); starting from the {} recipe and the options given", saved,
                        unreadable.getMessage(), recipe);
            }
            return PretrainConfig.recipe(recipe);
        }
    }

    private int train(PretrainConfig cfg, Path out, Path resumeFolder, DistEnv env) throws IOException {
        AtomicBoolean stop = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            stop.set(true);
            if (finished.getCount() == 0) {
                return;   // the command has ended and said why: exit without a second line
            }
            if (!training.get()) {
                // Nothing to save, and the main thread may be blocked in c10d's rendezvous (native code that
                // ignores interrupts): waiting for it held a stopped rank for minutes (issue 28). Exit now.
                System.err.println("semaim: stopping (no step has run yet: nothing to save)");
                return;
            }
            System.err.println(env.isMain() ? "\nsemaim: stopping after the current step and saving a checkpoint..."
                    : "\nsemaim: stopping after the current step (rank 0 saves the checkpoint)...");
            try {
                finished.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "semaim-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Distributed dist = distOptions.join("pretrain", env, cfg.run().device(),
                    PretrainOptions.sharedSettings(cfg));
            Pretrainer.Result r;
            KnnMonitor monitor = null;
            try (ConsoleProgress progress = new ConsoleProgress(cfg.run().logEvery(), cfg.optim().epochs())) {
                Pretrainer.Listener listener = !dist.isMain() ? new QuietListener()
                        : vizEvery <= 0 ? progress : new MapsEveryEpochs(progress, cfg, out, vizEvery);
                int every = monitorEvery(cfg);
                if (dist.isMain() && every > 0) {
                    listener = monitor = new KnnMonitor(listener, monitorData(cfg), every);
                }
                training.set(true);
                r = new Pretrainer(cfg, out, resumeFolder, dist, distOptions.bucketMb).run(stop::get, listener);
            } catch (RuntimeException | IOException | Error e) {
                dist.publishFailure(e.getMessage() == null ? e.toString() : e.getMessage());
                if (stop.get() && e instanceof Distributed.PeerFailureException) {
                    throw new Distributed.PeerFailureException(e.getMessage() + "; no checkpoint was saved on"
                            + " stopping (that needs every rank)" + lastCheckpointNote(out), e);
                }
                throw e;
            }
            if (dist.isMain() && r.alreadyFinished()) {
                LOG.info("{} is already finished: it trained all {} of its steps ({}); nothing was changed. To train"
                        + " further, raise --max-steps if a limit ended it, or start a new run.", out, r.totalSteps(),
                        r.lastCheckpoint());
            } else if (dist.isMain()) {
                report(r, out, dist.worldSize(), monitor == null ? null : monitor.lastTop1());
            }
            dist.close();
            return r.stoppedEarly() ? ExitCodes.INTERRUPTED : ExitCodes.OK;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C or SIGTERM): the hook is running and waits for the latch below
            }
        }
    }

    /** "; the last checkpoint X is intact", or nothing when there is none. */
    private static String lastCheckpointNote(Path out) {
        try {
            return CheckpointFolders.list(out.resolve(CheckpointFolders.CHECKPOINTS)).stream().findFirst()
                    .map(p -> "; the last checkpoint, " + p + ", is intact").orElse("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Epochs between k-NN measurements: --monitor-knn, or by default 0 (off) unless a labelled set is at hand (the
     * embedded data's subsets, or --monitor-train/--monitor-test), then the whole run, so the end is measured.
     */
    private int monitorEvery(PretrainConfig cfg) {
        if (monitorKnn != null) {
            return monitorKnn;
        }
        boolean embedded = cfg.data().path() == null || cfg.data().path().isBlank();
        return embedded || monitorTrain != null || monitorTest != null ? Integer.MAX_VALUE : 0;
    }

    /** The k-NN monitor's labelled sets: --monitor-train/--monitor-test, or the embedded subsets. */
    private EvalData monitorData(PretrainConfig cfg) throws IOException {
        boolean embedded = cfg.data().path() == null || cfg.data().path().isBlank();
        if (monitorTrain == null && monitorTest == null && !embedded) {
            throw new IllegalArgumentException("--monitor-knn needs --monitor-train and --monitor-test (labelled"
                    + " images) when training on --data");
        }
        return EvalData.open(null, monitorTrain, monitorTest, cfg.data().channels(), 0, 0);
    }

    /** The listener of ranks other than 0: they train silently, but say what goes wrong. */
    private static final class QuietListener implements Pretrainer.Listener {
        @Override
        public void started(long doneSteps, long totalSteps, int stepsPerEpoch, String description) {}

        @Override
        public void step(long step, int epoch, double loss, double lr, double imagesPerSecond) {}

        @Override
        public void checkpoint(Path folder) {}

        @Override
        public void info(String message) {}

        @Override
        public void warn(String message) {
            LOG.warn("{}", message);
        }
    }

    private static void report(Pretrainer.Result r, Path out, int processes, Double knnTop1) {
        LOG.info("done: {} steps in {} ({} img/s), loss {} -> {}{}", r.steps(),
                ConsoleProgress.formatSeconds(r.seconds()), String.format("%.1f", r.imagesPerSecond()),
                String.format("%.4f", r.firstLoss()), String.format("%.4f", r.lastLoss()),
                knnTop1 == null ? "" : String.format(", k-NN top-1 %.2f%% (k=%d, %s features)", knnTop1,
                        KnnMonitor.K, KnnMonitor.POOL.name().toLowerCase(java.util.Locale.ROOT)));
        if (r.badImages() > 0) {
            LOG.warn("{} undecodable image(s) were skipped", r.badImages());
        }
        LOG.info("checkpoint: {}", r.lastCheckpoint());
        LOG.info("weights:    {}", r.lastCheckpoint() == null ? "-" : r.lastCheckpoint().resolve(CheckpointFolders.MODEL));
        LOG.info("metrics:    {}", out.resolve("metrics.jsonl"));
        LOG.info("summary:    {}", out.resolve("summary.json"));
        if (r.stoppedEarly()) {
            LOG.info("stopped early; continue with: semaim {}pretrain --output {} --resume auto",
                    processes > 1 ? "launch (" + processes + " processes, as before) -- " : "", out);
        }
    }
}
