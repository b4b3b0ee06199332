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
import picocli.CommandLine.Option;
import semaim.data.DataException;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.SimilarityKind;
import semaim.order.Orders;
import semaim.target.LossType;
import semaim.train.Checkpoint;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.train.TrainingException;

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

    @Option(names = "--data", paramLabel = "PATH",
            description = "Image folder (class subfolders optional; jpg/png/bmp/gif) or IDX image file (.gz or raw). Default: embedded Fashion-MNIST subset.")
    String data;

    @Option(names = "--channels", description = "1 (grayscale) or 3 (RGB) for image folders.")
    Integer channels;

    @Option(names = "--skip-bad-images", description = "Log and skip images that cannot be decoded instead of stopping.")
    Boolean skipBadImages;

    @Option(names = "--model", paramLabel = "PRESET", description = "Model preset (timm-style name): ${COMPLETION-CANDIDATES}.",
            completionCandidates = Presets.class)
    String model;

    @Option(names = "--image-size", description = "Input size in pixels (default: the preset's).")
    Integer imageSize;

    @Option(names = "--decoder-depth", description = "Decoder depth L' <= encoder depth (default: the preset's).")
    Integer decoderDepth;

    @Option(names = "--head", description = "Prediction head: ${COMPLETION-CANDIDATES}.")
    HeadType head;

    @Option(names = "--drop-path", description = "Stochastic depth rate (reference pre-training: 0).")
    Double dropPath;

    @Option(names = "--blur-kernel", description = "Gaussian blur kernel of the target, odd, 0 = off (reference: 9).")
    Integer blurKernel;

    @Option(names = "--blur-sigma", description = "Gaussian blur sigma (reference: 1).")
    Double blurSigma;

    @Option(names = "--norm-pix", negatable = true, description = "Per-patch normalised pixel target (reference: on).")
    Boolean normPix;

    @Option(names = "--loss", description = "L2 or L1.")
    LossType loss;

    @Option(names = "--order", paramLabel = "NAME", description = "Autoregression order: ${COMPLETION-CANDIDATES}.",
            completionCandidates = OrderNames.class)
    String order;

    @Option(names = "--similarity", description = "Similarity map for semantic orders: ${COMPLETION-CANDIDATES}.")
    SimilarityKind similarity;

    @Option(names = "--epochs", description = "Epochs (cpu recipe 10, paper 800).") Integer epochs;
    @Option(names = "--batch-size", description = "Images per step before accumulation.") Integer batchSize;
    @Option(names = "--accum-steps", description = "Gradient accumulation steps.") Integer accumSteps;
    @Option(names = "--blr", description = "Base learning rate; lr = blr x batch x accum / 256.") Double blr;
    @Option(names = "--min-lr", description = "Learning rate at the end of the cosine (0).") Double minLr;
    @Option(names = "--warmup-epochs", description = "Linear warm-up from 0 (cpu 1, paper 30).") Double warmupEpochs;
    @Option(names = "--weight-decay", description = "AdamW weight decay for matrices and the CLS token (0.05).") Double weightDecay;
    @Option(names = "--clip-grad", description = "Global gradient-norm clip, 0 = off (reference: 3).") Double clipGrad;
    @Option(names = "--max-steps", description = "Stop after this many optimiser steps (0 = all epochs).") Long maxSteps;

    @Option(names = "--crop-scale", split = ",", paramLabel = "MIN,MAX",
            description = "RandomResizedCrop area range (reference 0.2,1).")
    double[] cropScale;

    @Option(names = "--flip-prob", description = "Horizontal flip probability (0.5).") Double flipProb;
    @Option(names = "--mean", split = ",", paramLabel = "M", description = "Normalisation mean per channel (default ImageNet).")
    double[] mean;
    @Option(names = "--std", split = ",", paramLabel = "S", description = "Normalisation std per channel (default ImageNet).")
    double[] std;
    @Option(names = "--workers", description = "Data decoding threads.") Integer workers;
    @Option(names = "--prefetch", description = "Batches prepared ahead.") Integer prefetch;

    @Option(names = "--seed", description = "Seed of every random choice (0).") Long seed;
    @Option(names = "--device", description = "cpu, cuda or cuda:N.") String device;
    @Option(names = "--output", paramLabel = "DIR", description = "Run folder (default runs/pretrain-<date-time>).")
    Path output;
    @Option(names = "--checkpoint-every", description = "Steps between checkpoints (0 = epoch ends only).") Integer checkpointEvery;
    @Option(names = "--keep-last", description = "Checkpoints to keep.") Integer keepLast;
    @Option(names = "--log-every", description = "Steps between metric lines.") Integer logEvery;

    @Option(names = "--viz-every", paramLabel = "EPOCHS", defaultValue = "1",
            description = "Draw the maps of 6 fixed training images into maps/epoch-NNN.png every N epochs (0 = never). Default: ${DEFAULT-VALUE}.")
    int vizEvery;

    @Option(names = "--resume", paramLabel = "auto|PATH",
            description = "Continue a run: 'auto' takes the newest valid checkpoint in --output (damaged ones are skipped with a warning); or a checkpoint folder or run folder.")
    String resume;

    static final class Presets extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Presets() {
            super(ModelConfig.presetNames());
        }
    }

    static final class OrderNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        OrderNames() {
            super(Orders.NAMES);
        }
    }

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
            List<String> changed = nonRuntimeOptionsGiven();
            if (!changed.isEmpty()) {
                throw new IllegalArgumentException("cannot change " + String.join(", ", changed)
                        + " when resuming: the run continues with its saved configuration");
            }
            cfg = withRuntimeOptions(state.config());
            out = resumeFolder.getParent().getParent();
        } else {
            if (cropScale != null && cropScale.length != 2) {
                throw new IllegalArgumentException("--crop-scale takes two values, MIN,MAX");
            }
            cfg = merge(PretrainConfig.recipe(recipe));
            out = output != null ? output
                    : Path.of("runs", "pretrain-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            if (!Checkpoint.list(out.resolve("checkpoints")).isEmpty()) {
                throw new IllegalArgumentException(out + " already holds checkpoints: pass --resume auto to continue"
                        + " that run, or choose another --output");
            }
        }
        List<String> problems = cfg.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        if (cfg.data() != null && !cfg.data().isBlank() && !Files.exists(Path.of(cfg.data()))) {
            throw new DataException("data path " + cfg.data() + " does not exist");
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
        try (ConsoleProgress progress = new ConsoleProgress(cfg.logEvery(), cfg.epochs())) {
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
        LOG.info("weights:    {}", r.lastCheckpoint() == null ? "-" : r.lastCheckpoint().resolve(Checkpoint.MODEL));
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
            Optional<Path> latest = Checkpoint.latestValid(output.resolve("checkpoints"), LOG::warn);
            return latest.orElseThrow(() -> new ResumeException("no valid checkpoint in " + output.resolve("checkpoints")));
        }
        Path p = Path.of(resume);
        if (Files.isRegularFile(p.resolve(Checkpoint.STATE))) {
            return p;
        }
        if (Files.isDirectory(p.resolve("checkpoints"))) {
            return Checkpoint.latestValid(p.resolve("checkpoints"), LOG::warn)
                    .orElseThrow(() -> new ResumeException("no valid checkpoint in " + p.resolve("checkpoints")));
        }
        throw new ResumeException(resume + " is neither a checkpoint folder nor a run folder with checkpoints/");
    }

    private List<String> nonRuntimeOptionsGiven() {
        List<String> given = new ArrayList<>();
        Object[][] opts = {{"--data", data}, {"--channels", channels}, {"--skip-bad-images", skipBadImages},
            {"--model", model}, {"--image-size", imageSize}, {"--decoder-depth", decoderDepth}, {"--head", head},
            {"--drop-path", dropPath}, {"--blur-kernel", blurKernel}, {"--blur-sigma", blurSigma},
            {"--norm-pix", normPix}, {"--loss", loss}, {"--order", order}, {"--similarity", similarity},
            {"--epochs", epochs}, {"--batch-size", batchSize}, {"--accum-steps", accumSteps}, {"--blr", blr},
            {"--min-lr", minLr}, {"--warmup-epochs", warmupEpochs}, {"--weight-decay", weightDecay},
            {"--clip-grad", clipGrad}, {"--crop-scale", cropScale}, {"--flip-prob", flipProb}, {"--mean", mean},
            {"--std", std}, {"--seed", seed}};
        for (Object[] o : opts) {
            if (o[1] != null) {
                given.add((String) o[0]);
            }
        }
        return given;
    }

    private PretrainConfig withRuntimeOptions(PretrainConfig c) {
        return new PretrainConfig(c.data(), c.channels(), c.skipBadImages(), c.cropScaleMin(), c.cropScaleMax(),
                c.cropRatioMin(), c.cropRatioMax(), c.flipProb(), c.mean(), c.std(), or(workers, c.workers()),
                or(prefetch, c.prefetch()), c.model(), c.imageSize(), c.decoderDepth(), c.head(), c.dropPath(),
                c.blurKernel(), c.blurSigma(), c.normPix(), c.loss(), c.order(), c.similarity(), c.epochs(),
                c.batchSize(), c.accumSteps(), c.blr(), c.minLr(), c.warmupEpochs(), c.weightDecay(), c.beta1(),
                c.beta2(), c.eps(), c.clipGrad(), or(maxSteps, c.maxSteps()), c.seed(), or(device, c.device()),
                or(checkpointEvery, c.checkpointEvery()), or(keepLast, c.keepLast()), or(logEvery, c.logEvery()));
    }

    private PretrainConfig merge(PretrainConfig c) {
        return new PretrainConfig(or(data, c.data()), or(channels, c.channels()), or(skipBadImages, c.skipBadImages()),
                cropScale != null ? cropScale[0] : c.cropScaleMin(), cropScale != null ? cropScale[1] : c.cropScaleMax(),
                c.cropRatioMin(), c.cropRatioMax(), or(flipProb, c.flipProb()), or(mean, c.mean()), or(std, c.std()),
                or(workers, c.workers()), or(prefetch, c.prefetch()), or(model, c.model()), or(imageSize, c.imageSize()),
                or(decoderDepth, c.decoderDepth()), or(head, c.head()), or(dropPath, c.dropPath()),
                or(blurKernel, c.blurKernel()), or(blurSigma, c.blurSigma()), or(normPix, c.normPix()),
                or(loss, c.loss()), or(order, c.order()), or(similarity, c.similarity()), or(epochs, c.epochs()),
                or(batchSize, c.batchSize()), or(accumSteps, c.accumSteps()), or(blr, c.blr()), or(minLr, c.minLr()),
                or(warmupEpochs, c.warmupEpochs()), or(weightDecay, c.weightDecay()), c.beta1(), c.beta2(), c.eps(),
                or(clipGrad, c.clipGrad()), or(maxSteps, c.maxSteps()), or(seed, c.seed()), or(device, c.device()),
                or(checkpointEvery, c.checkpointEvery()), or(keepLast, c.keepLast()), or(logEvery, c.logEvery()));
    }

    private static <T> T or(T given, T fallback) {
        return given != null ? given : fallback;
    }
}
