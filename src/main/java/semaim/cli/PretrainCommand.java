package semaim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import semaim.data.DataException;
import semaim.io.CheckpointFolders;
import semaim.train.Checkpoint;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.util.TrainingException;

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

    @Spec
    CommandSpec spec;

    @Option(names = "--output", paramLabel = "DIR", description = "Run folder (default runs/pretrain-<date-time>).")
    Path output;

    @Option(names = "--viz-every", paramLabel = "EPOCHS", defaultValue = "1",
            description = "Draw the maps of 6 fixed training images into maps/epoch-NNN.png every N epochs (0 = never). Default: ${DEFAULT-VALUE}.")
    int vizEvery;

    @Option(names = "--resume", paramLabel = "auto|PATH",
            description = "Continue a run: 'auto' takes the newest valid checkpoint in --output (damaged ones are skipped with a warning); or a checkpoint folder or run folder.")
    String resume;

    @Override
    public Integer call() {
        try {
            return execute();
        } catch (DataException e) {
            return fail(ExitCodes.DATA, e.getMessage());
        } catch (ResumeException e) {
            return fail(ExitCodes.RESUME, e.getMessage());
        } catch (TrainingException e) {
            return fail(ExitCodes.TRAINING, e.getMessage());
        } catch (IllegalArgumentException e) {
            return fail(ExitCodes.INVALID_CONFIG, e.getMessage());
        } catch (IOException e) {
            return fail(ExitCodes.IO, e.toString());
        }
    }

    private static int fail(int code, String message) {
        System.err.println("semaim pretrain: error: " + message);
        return code;
    }

    static final class ResumeException extends Exception {
        private static final long serialVersionUID = 1L;

        ResumeException(String message) {
            super(message);
        }
    }

    private int execute() throws IOException, ResumeException {
        PretrainConfig cfg;
        Path out;
        Path resumeFolder = null;
        if (resume != null) {
            resumeFolder = findCheckpoint();
            Checkpoint.State state = Checkpoint.read(resumeFolder);
            List<String> changed = new ArrayList<>(PretrainOptions.given(spec));
            changed.removeAll(PretrainOptions.RUNTIME);
            if (!changed.isEmpty()) {
                throw new IllegalArgumentException("cannot change " + String.join(", ", changed)
                        + " when resuming: the run continues with its saved configuration");
            }
            cfg = options.over(state.config());   // only the runtime options can be given here
            out = resumeFolder.getParent().getParent();
        } else {
            cfg = options.over(PretrainConfig.recipe(recipe));
            out = output != null ? output
                    : Path.of("runs", "pretrain-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            if (!CheckpointFolders.list(out.resolve(CheckpointFolders.CHECKPOINTS)).isEmpty()) {
                throw new IllegalArgumentException(out + " already holds checkpoints: pass --resume auto to continue"
                        + " that run, or choose another --output");
            }
        }
        List<String> problems = cfg.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        String data = cfg.data().path();
        if (data != null && !data.isBlank() && !Files.exists(Path.of(data))) {
            throw new DataException("data path " + data + " does not exist");
        }

        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            System.err.println("\nsemaim: stopping after the current step and saving a checkpoint...");
            try {
                finished.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "semaim-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Pretrainer.Result r;
        try (ConsoleProgress progress = new ConsoleProgress(cfg.run().logEvery(), cfg.optim().epochs())) {
            Pretrainer.Listener listener = vizEvery <= 0 ? progress : new MapsEveryEpochs(progress, cfg, out, vizEvery);
            r = new Pretrainer(cfg, out, resumeFolder).run(stop::get, listener);
        } finally {
            finished.countDown();
        }
        if (!stop.get()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting
            }
        }
        LOG.info("done: {} steps in {} ({} img/s), loss {} -> {}", r.steps(), ConsoleProgress.formatSeconds(r.seconds()),
                String.format("%.1f", r.imagesPerSecond()), String.format("%.4f", r.firstLoss()),
                String.format("%.4f", r.lastLoss()));
        if (r.badImages() > 0) {
            LOG.warn("{} undecodable image(s) were skipped", r.badImages());
        }
        LOG.info("checkpoint: {}", r.lastCheckpoint());
        LOG.info("weights:    {}", r.lastCheckpoint() == null ? "-" : r.lastCheckpoint().resolve(CheckpointFolders.MODEL));
        LOG.info("metrics:    {}", out.resolve("metrics.jsonl"));
        LOG.info("summary:    {}", out.resolve("summary.json"));
        if (r.stoppedEarly()) {
            LOG.info("stopped early; continue with: semaim pretrain --output {} --resume auto", out);
            return ExitCodes.INTERRUPTED;
        }
        return ExitCodes.OK;
    }

    private Path findCheckpoint() throws IOException, ResumeException {
        if (resume.equals("auto")) {
            if (output == null) {
                throw new ResumeException("--resume auto needs --output DIR (the run folder to continue)");
            }
            Path dir = output.resolve(CheckpointFolders.CHECKPOINTS);
            Optional<Path> latest = CheckpointFolders.latestValid(dir, LOG::warn);
            return latest.orElseThrow(() -> new ResumeException("no valid checkpoint in " + dir));
        }
        Path p = Path.of(resume);
        if (Files.isRegularFile(p.resolve(CheckpointFolders.STATE))) {
            return p;
        }
        Path dir = p.resolve(CheckpointFolders.CHECKPOINTS);
        if (Files.isDirectory(dir)) {
            return CheckpointFolders.latestValid(dir, LOG::warn)
                    .orElseThrow(() -> new ResumeException("no valid checkpoint in " + dir));
        }
        throw new ResumeException(resume + " is neither a checkpoint folder nor a run folder with checkpoints/");
    }
}
