package semaim.train;

import java.util.ArrayList;
import java.util.List;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import semaim.data.AugmentConfig;
import semaim.data.ImageDecoder;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.order.Orders;
import semaim.order.SimilarityKind;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.torch.Precision;

/**
 * Every hyper-parameter of a pre-training run, one record per concern, saved as JSON in {@code config.json} and
 * with each checkpoint. The two recipes below, {@link #CPU} and {@link #PAPER}, spell out every value (nanoGPT
 * style); the command line overrides them section by section.
 *
 * @param data      where the images come from and how they are loaded
 * @param augment   the pre-training augmentation (RandomResizedCrop, flip, normalisation)
 * @param model     the architecture: a preset and what overrides it
 * @param target    the prediction target and loss of Eq. 12
 * @param order     the autoregression order (Eq. 2-6)
 * @param optim     AdamW, the learning-rate schedule, clipping and the length of training
 * @param run       seed, device, budget and what is logged and kept
 */
public record PretrainConfig(Data data, Augment augment, Model model, TargetConfig target, Order order, Optim optim,
        Run run) {

    /**
     * @param path           an image folder, an IDX image file, or null for the embedded Fashion-MNIST subset
     * @param channels       1 or 3 for image folders (IDX files are grayscale)
     * @param skipBadImages  log and skip undecodable images instead of stopping
     * @param workers        decoding threads
     * @param prefetch       batches prepared ahead
     * @param maxImagePixels images declaring more pixels are refused before decoding (a bad image); 0 = the
     *                       default, Pillow's 89,478,485
     * @param exactDecode    decode every JPEG at full size; by default one whose crop will be shrunk by 2, 4 or 8
     *                       anyway is decoded at that reduction (PIL's {@code draft()}; a few times faster)
     */
    public record Data(String path, int channels, boolean skipBadImages, int workers, int prefetch,
            long maxImagePixels, boolean exactDecode) {
        /** The pixel limit in force. */
        public long pixelLimit() {
            return maxImagePixels > 0 ? maxImagePixels : ImageDecoder.DEFAULT_MAX_PIXELS;
        }
    }

    /**
     * torchvision's {@code RandomResizedCrop(scale, ratio)} + {@code RandomHorizontalFlip} + {@code Normalize}.
     *
     * @param mean  per-channel normalisation mean, or null for ImageNet's (their average for grayscale)
     * @param std   per-channel normalisation std, or null for ImageNet's; given together with {@code mean}
     */
    public record Augment(double cropScaleMin, double cropScaleMax, double cropRatioMin, double cropRatioMax,
            double flipProb, double[] mean, double[] std) {}

    /**
     * @param preset        a {@link ModelConfig} preset name
     * @param imageSize     input side in pixels; 0 = the preset's
     * @param decoderDepth  decoder depth L'; 0 = the preset's
     * @param head          the prediction head (Eq. 11)
     * @param dropPath      stochastic depth of the last block (the reference pre-trains with 0)
     * @param patchSize     patch side; 0 = the preset's (likewise {@code width}, {@code depth}, {@code heads}: shapes
     *                      between presets)
     */
    public record Model(String preset, int imageSize, int decoderDepth, HeadType head, double dropPath,
            int patchSize, int width, int depth, int heads) {}

    /**
     * @param name        an {@link Orders} name ({@code semantic} is the paper's)
     * @param similarity  the similarity map of Eq. 2 for the orders that need one
     * @param orderTeacher a frozen encoder's weights file whose CLS-patch similarity sets a semantic order instead of
     *                    the student's own (whatever the target); null (and in configs before it) = the student's,
     *                    or a feature target's teacher
     */
    public record Order(String name, SimilarityKind similarity, String orderTeacher) {
        public Order(String name, SimilarityKind similarity) {
            this(name, similarity, null);
        }
    }

    /**
     * @param batchSize   images per micro-batch (before accumulation)
     * @param blr         base learning rate: lr = blr x batchSize x accumSteps / 256 (the reference's scaling rule)
     * @param clipGrad    global gradient-norm clip, 0 = off
     */
    public record Optim(int epochs, int batchSize, int accumSteps, double blr, double minLr, double warmupEpochs,
            double weightDecay, double beta1, double beta2, double eps, double clipGrad) {}

    /**
     * @param maxSteps         stop after this many optimiser steps (0 = run every epoch)
     * @param checkpointEvery  optimiser steps between checkpoints (0 = only at epoch ends)
     * @param keepLast         checkpoints kept
     * @param logEvery         optimiser steps between metric lines
     * @param precision        {@code fp32}, {@code bf16} (autocast) or {@code auto}; null (configs of semaim 0.1)
     *                         means fp32
     * @param scheduleSteps    the optimiser step at which the cosine reaches its end (an image budget's last step);
     *                         0 (configs before it) = the end of the last epoch. {@code maxSteps} alone only stops
     *                         a run: raised on resume, the run goes on along the same schedule.
     */
    public record Run(long seed, String device, long maxSteps, int checkpointEvery, int keepLast, int logEvery,
            String precision, long scheduleSteps) {
        public Run(long seed, String device, long maxSteps, int checkpointEvery, int keepLast, int logEvery,
                String precision) {
            this(seed, device, maxSteps, checkpointEvery, keepLast, logEvery, precision, 0);
        }

        /** The precision asked for (not yet resolved for a device). */
        public Precision precisionAsked() {
            return precision == null ? Precision.FP32 : Precision.parse(precision);
        }
    }

    /**
     * The embedded default: a small ViT on 4,000 Fashion-MNIST images, about ten minutes on two CPU cores. What makes
     * pre-training pay at this scale (issue 14, docs/results-small-budget.md): a HOG target (MaskFeat's histograms of
     * oriented gradients) instead of blurred pixels, which at a few CPU-minutes spend the small model on textures;
     * 20 epochs; probes reading the last blocks ({@code --pool concat}). The reference's pixel target is
     * {@code --target pixel}.
     */
    public static final PretrainConfig CPU = new PretrainConfig(
            new Data(/* path: embedded */ null, /* channels */ 1, /* skipBadImages */ false, /* workers */ 2,
                    /* prefetch */ 4, /* maxImagePixels */ ImageDecoder.DEFAULT_MAX_PIXELS, /* exactDecode */ false),
            new Augment(/* crop scale */ 0.2, 1.0, /* crop ratio */ 3.0 / 4, 4.0 / 3, /* flipProb */ 0.5,
                    /* mean, std: ImageNet's */ null, null),
            new Model(/* preset */ "vit_nano_patch4_28", /* imageSize: preset's */ 0, /* decoderDepth: preset's */ 0,
                    HeadType.MLP, /* dropPath */ 0.0, /* patch, width, depth, heads: preset's */ 0, 0, 0, 0),
            new TargetConfig(/* blur, norm-pix, loss: for --target pixel */ 9, 1.0, true, LossType.L2,
                    TargetKind.HOG, /* featureDim: derived */ 0, /* teacher */ null, 0, null, null,
                    /* emaDecay */ 0.999),
            new Order("semantic", SimilarityKind.CLS),
            new Optim(/* epochs */ 20, /* batchSize */ 64, /* accumSteps */ 1, /* blr */ 4e-3, /* minLr */ 0.0,
                    /* warmupEpochs */ 1, /* weightDecay */ 0.05, /* betas */ 0.9, 0.95, /* eps */ 1e-8,
                    /* clipGrad */ 3.0),
            new Run(/* seed */ 0, /* device */ "cpu", /* maxSteps: all */ 0, /* checkpointEvery */ 200,
                    /* keepLast */ 3, /* logEvery */ 10, /* precision */ "fp32"));

    /**
     * The reference's ViT-B/16 recipe: 800 epochs, effective batch 2048 (64 x 32 accumulation steps on one device),
     * blr 2e-4, 30 warm-up epochs, weight decay 0.05, clip 3, RandomResizedCrop 0.2-1, Gaussian blur 9/1,
     * norm-pix, semantic-aware order.
     */
    public static final PretrainConfig PAPER = new PretrainConfig(
            new Data(/* path */ null, /* channels */ 3, /* skipBadImages */ false, /* workers */ 8, /* prefetch */ 8,
                    /* maxImagePixels */ ImageDecoder.DEFAULT_MAX_PIXELS, /* exactDecode */ false),
            new Augment(/* crop scale */ 0.2, 1.0, /* crop ratio */ 3.0 / 4, 4.0 / 3, /* flipProb */ 0.5,
                    /* mean, std: ImageNet's */ null, null),
            new Model(/* preset */ "vit_base_patch16_224", /* imageSize: preset's */ 0, /* decoderDepth */ 12,
                    HeadType.MLP, /* dropPath */ 0.0, /* patch, width, depth, heads: preset's */ 0, 0, 0, 0),
            new TargetConfig(/* blurKernel */ 9, /* blurSigma */ 1.0, /* normPix */ true, LossType.L2),
            new Order("semantic", SimilarityKind.CLS),
            new Optim(/* epochs */ 800, /* batchSize */ 64, /* accumSteps */ 32, /* blr */ 2e-4, /* minLr */ 0.0,
                    /* warmupEpochs */ 30, /* weightDecay */ 0.05, /* betas */ 0.9, 0.95, /* eps */ 1e-8,
                    /* clipGrad */ 3.0),
            new Run(/* seed */ 0, /* device */ "cpu", /* maxSteps: all */ 0, /* checkpointEvery */ 1000,
                    /* keepLast */ 3, /* logEvery */ 20, /* precision */ "fp32"));

    /** The recipe called {@code name} ({@code cpu} or {@code paper}). */
    public static PretrainConfig recipe(String name) {
        switch (name) {
            case "cpu":
                return CPU;
            case "paper":
                return PAPER;
            default:
                throw new IllegalArgumentException("unknown recipe '" + name + "'; known: cpu, paper");
        }
    }

    public PretrainConfig withModel(Model v) {
        return new PretrainConfig(data, augment, v, target, order, optim, run);
    }

    public PretrainConfig withTarget(TargetConfig v) {
        return new PretrainConfig(data, augment, model, v, order, optim, run);
    }

    public PretrainConfig withOrder(Order v) {
        return new PretrainConfig(data, augment, model, target, v, optim, run);
    }

    public PretrainConfig withRun(Run v) {
        return new PretrainConfig(data, augment, model, target, order, optim, v);
    }

    public PretrainConfig withOptim(Optim v) {
        return new PretrainConfig(data, augment, model, target, order, v, run);
    }

    /**
     * This config with a budget of {@code images} training images seen, on a dataset of {@code datasetSize}: as
     * many epochs as the budget spans (rounded up, so the warm-up and cosine schedule run over the budget) and the
     * step count that reaches it ({@code images / effective batch}).
     */
    public PretrainConfig withImageBudget(long images, int datasetSize) {
        if (images <= 0 || datasetSize <= 0) {
            throw new IllegalArgumentException("the image budget must be positive, got " + images);
        }
        int epochs = (int) Math.max(1, (images + datasetSize - 1) / datasetSize);
        long steps = Math.max(1, images / effectiveBatch());
        Optim o = optim;
        Run r = run;
        return withOptim(new Optim(epochs, o.batchSize(), o.accumSteps(), o.blr(), o.minLr(),
                Math.min(o.warmupEpochs(), epochs), o.weightDecay(), o.beta1(), o.beta2(), o.eps(), o.clipGrad()))
                .withRun(new Run(r.seed(), r.device(), steps, r.checkpointEvery(), r.keepLast(), r.logEvery(),
                        r.precision(), steps));
    }

    /** Effective batch per optimiser step. */
    public int effectiveBatch() {
        return optim.batchSize() * optim.accumSteps();
    }

    /** Peak learning rate: blr x effective batch / 256 (the reference's linear scaling rule). */
    public double peakLr() {
        return optim.blr() * effectiveBatch() / 256.0;
    }

    /** The model architecture for data with {@code dataChannels} channels. */
    public ModelConfig modelConfig(int dataChannels) {
        return ModelConfig.preset(model.preset()).withInChannels(dataChannels).withHeadType(model.head())
                .withDropPath(model.dropPath()).withOverrides(model.imageSize(), model.patchSize(), model.width(),
                        model.depth(), model.heads(), model.decoderDepth());
    }

    /** Values that are valid but probably not meant (a preset's grid blown up by --image-size alone). */
    public List<String> warnings() {
        try {
            return modelConfig(data.channels()).gridWarning(ModelConfig.preset(model.preset())).stream().toList();
        } catch (IllegalArgumentException invalid) {
            return List.of();   // problems() says what is wrong
        }
    }

    /** The augmentation for data with {@code dataChannels} channels and the model's image size. */
    public AugmentConfig augmentConfig(int dataChannels, int modelImageSize) {
        return new AugmentConfig(modelImageSize, augment.cropScaleMin(), augment.cropScaleMax(),
                augment.cropRatioMin(), augment.cropRatioMax(), augment.flipProb(),
                augment.mean() != null ? augment.mean() : AugmentConfig.defaultMean(dataChannels),
                augment.std() != null ? augment.std() : AugmentConfig.defaultStd(dataChannels));
    }

    /** The order's problems: an unknown name or similarity, an order teacher that is not a file or not used. */
    private void orderProblems(List<String> p) {
        try {
            if (Orders.byName(order.name(), order.similarity()).similarityNeeded() == null
                    && order.orderTeacher() != null) {
                p.add("--order-teacher sets a semantic order's similarity; the " + order.name() + " order uses none");
            }
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        if (order.orderTeacher() != null && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(
                order.orderTeacher()))) {
            p.add("--order-teacher " + order.orderTeacher() + " is not a file");
        }
    }

    /**
     * Every problem with the values, one line each; empty when valid. Cheap: touches no data and no native code,
     * so the command line can reject a bad run before any heavy work.
     */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (target.kind().needsTeacherFile() && (target.teacher() == null || target.teacher().isBlank())) {
            p.add("--target " + target.kind() + " needs --teacher FILE.safetensors");
        }
        if (!target.kind().needsTeacherFile() && target.teacher() != null) {
            p.add("--teacher is for --target clip, dino or vit, not " + target.kind());
        }
        if ("clip".equals(target.teacherNorm()) && data.channels() != 3) {
            p.add("--teacher-norm clip needs RGB images (--channels 3)");
        }
        if (data.channels() != 1 && data.channels() != 3) {
            p.add("--channels must be 1 or 3, got " + data.channels());
        }
        int ch = data.channels() == 1 || data.channels() == 3 ? data.channels() : 3;
        ModelConfig m = null;
        try {
            m = modelConfig(ch);
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        if (target == null) {
            p.add("the target configuration is missing");
        }
        if (m != null) {
            try {
                augmentConfig(ch, m.imageSize());
            } catch (IllegalArgumentException e) {
                p.add(e.getMessage());
            }
        }
        if ((augment.mean() == null) != (augment.std() == null)) {
            p.add("--mean and --std must be given together");
        }
        orderProblems(p);
        if (optim.epochs() <= 0) {
            p.add("--epochs must be positive, got " + optim.epochs());
        }
        if (optim.batchSize() <= 0) {
            p.add("--batch-size must be positive, got " + optim.batchSize());
        }
        if (optim.accumSteps() <= 0) {
            p.add("--accum-steps must be positive, got " + optim.accumSteps());
        }
        if (!(optim.blr() > 0)) {
            p.add("--blr must be positive, got " + optim.blr());
        } else if (!(peakLr() <= Float.MAX_VALUE)) {
            p.add("--blr " + optim.blr() + " gives a learning rate of " + peakLr() + ", beyond float range");
        }
        if (!(optim.minLr() >= 0) || optim.minLr() > peakLr()) {
            p.add("--min-lr must be in [0, peak lr " + peakLr() + "], got " + optim.minLr());
        }
        if (!(optim.warmupEpochs() >= 0) || optim.warmupEpochs() > optim.epochs()) {
            p.add("--warmup-epochs must be in [0, epochs], got " + optim.warmupEpochs());
        }
        if (!(optim.weightDecay() >= 0)) {
            p.add("--weight-decay must be >= 0, got " + optim.weightDecay());
        }
        if (!(optim.beta1() >= 0 && optim.beta1() < 1 && optim.beta2() >= 0 && optim.beta2() < 1)) {
            p.add("AdamW betas must be in [0, 1), got " + optim.beta1() + ", " + optim.beta2());
        }
        if (!(optim.eps() > 0)) {
            p.add("AdamW eps must be positive, got " + optim.eps());
        }
        if (!(optim.clipGrad() >= 0)) {
            p.add("--clip-grad must be >= 0 (0 = off), got " + optim.clipGrad());
        }
        if (run.maxSteps() < 0) {
            p.add("--max-steps must be >= 0, got " + run.maxSteps());
        }
        if (data.workers() <= 0 || data.prefetch() <= 0) {
            p.add("--workers and --prefetch must be positive");
        }
        if (run.checkpointEvery() < 0 || run.keepLast() <= 0 || run.logEvery() <= 0) {
            p.add("--checkpoint-every must be >= 0, --keep-last and --log-every positive");
        }
        try {
            run.precisionAsked();
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        String device = run.device();
        if (device == null || !(device.equals("cpu") || device.equals("cuda") || device.startsWith("cuda:"))) {
            p.add("--device must be cpu, cuda or cuda:N, got " + device);
        }
        return p;
    }

    // ---- JSON -------------------------------------------------------------------------------------------------

    private static final Gson GSON = semaim.io.Json.gson(true);

    /** This config as JSON, the form of {@code config.json} and of the {@code config} field of checkpoints. */
    public String toJson() {
        return GSON.toJson(this);
    }

    /** Parses a config written by {@link #toJson()}, or the flat form that semaim 0.1 wrote. */
    public static PretrainConfig fromJson(String json) {
        return fromJson(JsonParser.parseString(json));
    }

    /** Parses a config from a JSON tree (the nested form, or semaim 0.1's flat one). */
    public static PretrainConfig fromJson(JsonElement json) {
        if (json == null || !json.isJsonObject()) {
            throw new IllegalArgumentException("a pre-training config must be a JSON object");
        }
        JsonObject o = json.getAsJsonObject();
        if (o.has("optim") && o.get("optim").isJsonObject()) {
            return GSON.fromJson(o, PretrainConfig.class);
        }
        return GSON.fromJson(o, FlatV1.class).nested();
    }

    /**
     * The flat 40-field layout in which semaim 0.1 saved {@code config.json} and the {@code config} of
     * {@code state.json}: read so that runs and checkpoints of that version still resume and evaluate.
     */
    private record FlatV1(String data, int channels, boolean skipBadImages, double cropScaleMin, double cropScaleMax,
            double cropRatioMin, double cropRatioMax, double flipProb, double[] mean, double[] std, int workers,
            int prefetch, String model, int imageSize, int decoderDepth, HeadType head, double dropPath,
            int blurKernel, double blurSigma, boolean normPix, LossType loss, String order,
            SimilarityKind similarity, int epochs, int batchSize, int accumSteps, double blr, double minLr,
            double warmupEpochs, double weightDecay, double beta1, double beta2, double eps, double clipGrad,
            long maxSteps, long seed, String device, int checkpointEvery, int keepLast, int logEvery) {

        PretrainConfig nested() {
            if (model == null || order == null || head == null || loss == null || similarity == null) {
                throw new IllegalArgumentException("not a semaim pre-training config (fields are missing)");
            }
            return new PretrainConfig(new Data(data, channels, skipBadImages, workers, prefetch,
                    ImageDecoder.DEFAULT_MAX_PIXELS, false),
                    new Augment(cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, flipProb, mean, std),
                    new Model(model, imageSize, decoderDepth, head, dropPath, 0, 0, 0, 0),
                    new TargetConfig(blurKernel, blurSigma, normPix, loss), new Order(order, similarity),
                    new Optim(epochs, batchSize, accumSteps, blr, minLr, warmupEpochs, weightDecay, beta1, beta2, eps,
                            clipGrad),
                    new Run(seed, device, maxSteps, checkpointEvery, keepLast, logEvery, "fp32"));
        }
    }
}
