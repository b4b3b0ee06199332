package semaim.cli;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.order.Orders;
import semaim.order.SimilarityKind;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.train.PretrainConfig;

/**
 * The pre-training options, one group per section of {@link PretrainConfig}. An option that is not given keeps the
 * recipe's value; {@link #over} lays the given ones over a base config, section by section. Shared by
 * {@code pretrain} and {@code ablate}.
 */
final class PretrainOptions {
    /**
     * Options that may change when a run resumes: they decide how it runs, not what it computes
     * ({@code --skip-bad-images} changes no number on a clean data set, and is what a data error suggests).
     */
    static final Set<String> RUNTIME = Set.of("--workers", "--prefetch", "--max-steps", "--device",
            "--checkpoint-every", "--keep-last", "--log-every", "--precision", "--skip-bad-images");

    @ArgGroup(validate = false, heading = "%nData:%n", order = 1)
    DataOptions data = new DataOptions();

    @ArgGroup(validate = false, heading = "%nAugmentation:%n", order = 2)
    AugmentOptions augment = new AugmentOptions();

    @ArgGroup(validate = false, heading = "%nModel:%n", order = 3)
    ModelOptions model = new ModelOptions();

    @ArgGroup(validate = false, heading = "%nTarget (Eq. 12):%n", order = 4)
    TargetOptions target = new TargetOptions();

    @ArgGroup(validate = false, heading = "%nOrder (Eq. 2-6):%n", order = 5)
    OrderOptions order = new OrderOptions();

    @ArgGroup(validate = false, heading = "%nOptimisation:%n", order = 6)
    OptimOptions optim = new OptimOptions();

    @ArgGroup(validate = false, heading = "%nRun:%n", order = 7)
    RunOptions run = new RunOptions();

    /** {@code base} with every given option laid over its section. */
    PretrainConfig over(PretrainConfig base) {
        return new PretrainConfig(data.over(base.data()), augment.over(base.augment()), model.over(base.model()),
                target.over(base.target()), order.over(base.order()), optim.over(base.optim()), run.over(base.run()));
    }

    /**
     * The options whose given value differs from {@code saved} (runtime options excluded): what a resume may not
     * change. Repeating the original command line with {@code --resume auto} changes nothing.
     */
    List<String> changedFrom(PretrainConfig saved) {
        Map<String, String> before = settings(saved), after = settings(over(saved));
        List<String> changed = new ArrayList<>();
        after.forEach((option, value) -> {
            if (!value.equals(before.get(option)) && !RUNTIME.contains(option)) {
                changed.add(option);
            }
        });
        return changed;
    }

    /** Options that may differ between the machines of one multi-process run: paths and local resources. */
    static final Set<String> PER_MACHINE = Set.of("--data", "--workers", "--prefetch", "--device", "--teacher",
            "--order-teacher");

    /**
     * The settings every rank of a multi-process run must share, option -> value: everything in {@code cfg} but
     * {@link #PER_MACHINE} (ranks started with other values would train another model, or deadlock).
     */
    static java.util.SortedMap<String, String> sharedSettings(PretrainConfig cfg) {
        java.util.SortedMap<String, String> out = new java.util.TreeMap<>(settings(cfg));
        out.keySet().removeAll(PER_MACHINE);
        return out;
    }

    /**
     * Every value of {@code cfg} under the option that sets it, in section order; the fields that share an option
     * (--crop-scale's two ends) are joined by a comma.
     */
    private static Map<String, String> settings(PretrainConfig cfg) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Record section : List.of(cfg.data(), cfg.augment(), cfg.model(), cfg.target(), cfg.order(), cfg.optim(),
                cfg.run())) {
            for (RecordComponent c : section.getClass().getRecordComponents()) {
                try {
                    String v = java.util.Arrays.deepToString(new Object[] {c.getAccessor().invoke(section)});
                    out.merge(OPTION_OF.getOrDefault(c.getName(), "--" + kebab(c.getName())),
                            v.substring(1, v.length() - 1), (a, b) -> a + "," + b);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    /** Config fields whose option is not simply their name in kebab case. */
    private static final Map<String, String> OPTION_OF = Map.of("path", "--data", "preset", "--model",
            "name", "--order", "cropScaleMin", "--crop-scale", "cropScaleMax", "--crop-scale", "kind", "--target",
            "featureDim", "--teacher");

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static <T> T or(T given, T fallback) {
        return given != null ? given : fallback;
    }

    static final class DataOptions {
        @Option(names = "--data", paramLabel = "PATH", order = 10,
                description = "Image folder (class subfolders optional; jpg/png/bmp/gif) or IDX image file (.gz or raw). Default: embedded Fashion-MNIST subset.")
        String path;

        @Option(names = "--channels", order = 11, description = "1 (grayscale) or 3 (RGB) for image folders.")
        Integer channels;

        @Option(names = "--skip-bad-images", order = 12, description = "Log and skip images that cannot be decoded instead of stopping.")
        Boolean skipBadImages;

        @Option(names = "--workers", order = 13, description = "Data decoding threads.")
        Integer workers;

        @Option(names = "--prefetch", order = 14, description = "Batches prepared ahead.")
        Integer prefetch;

        @Option(names = "--max-image-pixels", order = 15, paramLabel = "N",
                description = "Refuse (or, with --skip-bad-images, skip) images declaring more pixels, before decoding them (default 89478485, Pillow's).")
        Long maxImagePixels;

        @Option(names = "--exact-decode", order = 16,
                description = "Decode every JPEG at full size. By default a JPEG whose crop will be shrunk by 2, 4 or 8 anyway is decoded at that reduction (libjpeg-turbo's DCT scaling, as PIL's draft()): a few times faster on large photos.")
        Boolean exactDecode;

        PretrainConfig.Data over(PretrainConfig.Data d) {
            return new PretrainConfig.Data(or(path, d.path()), or(channels, d.channels()),
                    or(skipBadImages, d.skipBadImages()), or(workers, d.workers()), or(prefetch, d.prefetch()),
                    or(maxImagePixels, d.maxImagePixels()), or(exactDecode, d.exactDecode()));
        }
    }

    static final class AugmentOptions {
        @Option(names = "--crop-scale", split = ",", paramLabel = "MIN,MAX", order = 20,
                description = "RandomResizedCrop area range (reference 0.2,1).")
        double[] cropScale;

        @Option(names = "--flip-prob", order = 21, description = "Horizontal flip probability (0.5).")
        Double flipProb;

        @Option(names = "--mean", split = ",", paramLabel = "M", order = 22,
                description = "Normalisation mean per channel (default ImageNet).")
        double[] mean;

        @Option(names = "--std", split = ",", paramLabel = "S", order = 23,
                description = "Normalisation std per channel (default ImageNet).")
        double[] std;

        PretrainConfig.Augment over(PretrainConfig.Augment a) {
            if (cropScale != null && cropScale.length != 2) {
                throw new IllegalArgumentException("--crop-scale takes two values, MIN,MAX");
            }
            return new PretrainConfig.Augment(cropScale != null ? cropScale[0] : a.cropScaleMin(),
                    cropScale != null ? cropScale[1] : a.cropScaleMax(), a.cropRatioMin(), a.cropRatioMax(),
                    or(flipProb, a.flipProb()), or(mean, a.mean()), or(std, a.std()));
        }
    }

    static final class ModelOptions {
        @Option(names = "--model", paramLabel = "PRESET", order = 30, completionCandidates = Presets.class,
                description = "Model preset (timm-style name): ${COMPLETION-CANDIDATES}.")
        String preset;

        @Option(names = "--image-size", order = 31, description = "Input size in pixels (default: the preset's).")
        Integer imageSize;

        @Option(names = "--decoder-depth", order = 32, description = "Decoder depth L' <= encoder depth (default: the preset's).")
        Integer decoderDepth;

        @Option(names = "--head", order = 33, description = "Prediction head: ${COMPLETION-CANDIDATES}.")
        HeadType head;

        @Option(names = "--drop-path", order = 34, description = "Stochastic depth rate (reference pre-training: 0).")
        Double dropPath;

        @Option(names = "--patch-size", order = 35, description = "Patch side (default: the preset's).") Integer patchSize;
        @Option(names = "--width", order = 36, description = "Token width D (default: the preset's).") Integer width;
        @Option(names = "--depth", order = 37, description = "Encoder depth L (default: the preset's).") Integer depth;
        @Option(names = "--heads", order = 38, description = "Attention heads (default: the preset's).") Integer heads;

        PretrainConfig.Model over(PretrainConfig.Model m) {
            return new PretrainConfig.Model(or(preset, m.preset()), or(imageSize, m.imageSize()),
                    or(decoderDepth, m.decoderDepth()), or(head, m.head()), or(dropPath, m.dropPath()),
                    or(patchSize, m.patchSize()), or(width, m.width()), or(depth, m.depth()), or(heads, m.heads()));
        }
    }

    static final class TargetOptions {
        @Option(names = "--blur-kernel", order = 40, description = "Gaussian blur kernel of the target, odd, 0 = off (reference: 9).")
        Integer blurKernel;

        @Option(names = "--blur-sigma", order = 41, description = "Gaussian blur sigma (reference: 1).")
        Double blurSigma;

        @Option(names = "--norm-pix", negatable = true, order = 42, description = "Per-patch normalised pixel target (reference: on).")
        Boolean normPix;

        @Option(names = "--loss", order = 43, description = "L2 or L1.")
        LossType loss;

        @Option(names = "--target", paramLabel = "KIND", order = 44,
                description = "What the head predicts: pixel (blurred, normalised patches: the reference and the paper recipe), hog (histograms of oriented gradients: the cpu recipe), clip, dino or vit (a frozen teacher's tokens, --teacher), ema (a moving average of the student's encoder).")
        String kind;

        @Option(names = "--teacher", paramLabel = "FILE", order = 45,
                description = "Teacher weights (.safetensors) for --target clip (OpenAI CLIP names, visual.*) or dino/vit (timm ViT names); a prefix such as module. is stripped.")
        String teacher;

        @Option(names = "--teacher-heads", paramLabel = "N", order = 46,
                description = "The teacher's attention heads (default: the file's 'heads' metadata, else width / 64).")
        Integer teacherHeads;

        @Option(names = "--teacher-norm", paramLabel = "imagenet|clip", order = 47,
                description = "Teacher input: imagenet (the batch as normalised for the student, as the reference) or clip (CLIP's own mean and std). Default: imagenet.")
        String teacherNorm;

        @Option(names = "--order-source", paramLabel = "teacher|student", order = 48,
                description = "With a teacher or ema target, whose CLS-patch similarity sets the semantic order. Default: teacher (the reference).")
        String orderSource;

        @Option(names = "--ema-decay", order = 49, description = "Decay of the ema target (timm ModelEma). Default: 0.999.")
        Double emaDecay;

        TargetConfig over(TargetConfig t) {
            return new TargetConfig(or(blurKernel, t.blurKernel()), or(blurSigma, t.blurSigma()),
                    or(normPix, t.normPix()), or(loss, t.loss()), kind != null ? TargetKind.parse(kind) : t.kind(),
                    t.featureDim(), or(teacher, t.teacher()), or(teacherHeads, t.teacherHeads()),
                    or(teacherNorm, t.teacherNorm()), or(orderSource, t.orderSource()), or(emaDecay, t.emaDecay()));
        }
    }

    static final class OrderOptions {
        @Option(names = "--order", paramLabel = "NAME", order = 50, completionCandidates = OrderNames.class,
                description = "Autoregression order: ${COMPLETION-CANDIDATES}.")
        String name;

        @Option(names = "--similarity", order = 51, description = "Similarity map for semantic orders: ${COMPLETION-CANDIDATES}.")
        SimilarityKind similarity;

        @Option(names = "--order-teacher", paramLabel = "FILE", order = 52,
                description = "A frozen encoder whose CLS-patch similarity sets the semantic order (instead of the student's own), whatever the target: a semaim run or checkpoint folder, an export, a timm-named ViT or a CLIP visual tower (.safetensors).")
        Path orderTeacher;

        PretrainConfig.Order over(PretrainConfig.Order o) {
            return new PretrainConfig.Order(or(name, o.name()), or(similarity, o.similarity()),
                    orderTeacher == null ? o.orderTeacher() : teacherFile(orderTeacher));
        }

        /** A run or checkpoint folder's model file (its newest valid checkpoint), or the file itself. */
        private static String teacherFile(Path p) {
            if (!Files.isDirectory(p)) {
                return p.toAbsolutePath().toString();
            }
            try {
                return semaim.eval.EncoderCheckpoint.open(p).file().toAbsolutePath().toString();
            } catch (IOException e) {
                throw new IllegalArgumentException("--order-teacher " + p + ": " + e.getMessage(), e);
            }
        }
    }

    static final class OptimOptions {
        @Option(names = "--epochs", order = 60, description = "Epochs (cpu recipe 20, paper 800).") Integer epochs;
        @Option(names = "--batch-size", order = 61, description = "Images per step before accumulation.") Integer batchSize;
        @Option(names = "--accum-steps", order = 62, description = "Gradient accumulation steps.") Integer accumSteps;
        @Option(names = "--blr", order = 63, description = "Base learning rate; lr = blr x batch x accum / 256.") Double blr;
        @Option(names = "--min-lr", order = 64, description = "Learning rate at the end of the cosine (0).") Double minLr;
        @Option(names = "--warmup-epochs", order = 65, description = "Linear warm-up from 0 (cpu 1, paper 30).") Double warmupEpochs;
        @Option(names = "--weight-decay", order = 66, description = "AdamW weight decay for matrices and the CLS token (0.05).") Double weightDecay;
        @Option(names = "--clip-grad", order = 67, description = "Global gradient-norm clip, 0 = off (reference: 3).") Double clipGrad;

        PretrainConfig.Optim over(PretrainConfig.Optim o) {
            return new PretrainConfig.Optim(or(epochs, o.epochs()), or(batchSize, o.batchSize()),
                    or(accumSteps, o.accumSteps()), or(blr, o.blr()), or(minLr, o.minLr()),
                    or(warmupEpochs, o.warmupEpochs()), or(weightDecay, o.weightDecay()), o.beta1(), o.beta2(),
                    o.eps(), or(clipGrad, o.clipGrad()));
        }
    }

    static final class RunOptions {
        @Option(names = "--seed", order = 70, description = "Seed of every random choice (0).") Long seed;
        @Option(names = "--device", order = 71, description = "cpu, cuda or cuda:N.") String device;
        @Option(names = "--max-steps", order = 72, description = "Stop after this many optimiser steps (0 = all epochs).") Long maxSteps;
        @Option(names = "--checkpoint-every", order = 73, description = "Steps between checkpoints (0 = epoch ends only).") Integer checkpointEvery;
        @Option(names = "--keep-last", order = 74, description = "Checkpoints to keep.") Integer keepLast;
        @Option(names = "--log-every", order = 75, description = "Steps between metric lines.") Integer logEvery;
        @Option(names = "--precision", order = 76, paramLabel = "fp32|bf16|fp16|auto",
                description = "Forward passes in fp32, or bf16/fp16 autocast (fp32 weights, optimiser state and loss; fp16 with a dynamic loss scale, as the reference on GPU); auto: fp16 on a GPU, bf16 where the CPU runs it natively, else fp32. May change on resume. Default: fp32.")
        String precision;

        PretrainConfig.Run over(PretrainConfig.Run r) {
            return new PretrainConfig.Run(or(seed, r.seed()), or(device, r.device()), or(maxSteps, r.maxSteps()),
                    or(checkpointEvery, r.checkpointEvery()), or(keepLast, r.keepLast()), or(logEvery, r.logEvery()),
                    or(precision, r.precision()), r.scheduleSteps());
        }
    }

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
}
