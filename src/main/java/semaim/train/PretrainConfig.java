package semaim.train;

import java.util.ArrayList;
import java.util.List;

import semaim.data.AugmentConfig;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.SimilarityKind;
import semaim.order.Orders;
import semaim.target.LossType;
import semaim.target.TargetConfig;

/**
 * Every hyper-parameter of a pre-training run, in one place (nanoGPT style). Saved as JSON with each checkpoint.
 * Two recipes: {@link #cpuDefault()} (the embedded default, about ten minutes on two cores) and {@link #paper()}
 * (the reference's ViT-B/16 recipe: 800 epochs, effective batch 2048, blr 2e-4, 30 warm-up epochs, weight decay
 * 0.05, clip 3, RandomResizedCrop 0.2-1, Gaussian blur 9/1, norm-pix, semantic-aware order).
 */
public record PretrainConfig(
        // data
        String data,             // image folder, IDX image file, or null/"" for the embedded Fashion-MNIST subset
        int channels,            // 1 or 3 for image folders (IDX files are grayscale)
        boolean skipBadImages,
        double cropScaleMin,
        double cropScaleMax,
        double cropRatioMin,
        double cropRatioMax,
        double flipProb,
        double[] mean,           // null: ImageNet statistics (their average for grayscale)
        double[] std,
        int workers,
        int prefetch,
        // model
        String model,            // a ModelConfig preset name
        int imageSize,           // 0: the preset's
        int decoderDepth,        // 0: the preset's
        HeadType head,
        double dropPath,
        // target (Eq. 12)
        int blurKernel,
        double blurSigma,
        boolean normPix,
        LossType loss,
        // order (Eq. 2-6)
        String order,
        SimilarityKind similarity,
        // optimisation
        int epochs,
        int batchSize,           // per step, before accumulation
        int accumSteps,
        double blr,              // lr = blr * batchSize * accumSteps / 256
        double minLr,
        double warmupEpochs,
        double weightDecay,
        double beta1,
        double beta2,
        double eps,
        double clipGrad,         // global-norm clip; 0 = off
        long maxSteps,           // stop after this many optimiser steps (0 = run all epochs)
        // run
        long seed,
        String device,
        int checkpointEvery,     // optimiser steps between checkpoints (0 = only at epoch ends)
        int keepLast,            // checkpoints kept
        int logEvery) {          // optimiser steps between metric lines

    /** The embedded default: a small ViT on 4,000 Fashion-MNIST images, about ten minutes on two CPU cores. */
    public static PretrainConfig cpuDefault() {
        return new PretrainConfig(null, 1, false, 0.2, 1.0, 3.0 / 4, 4.0 / 3, 0.5, null, null, 2, 4,
                "vit_nano_patch4_28", 0, 0, HeadType.MLP, 0.0,
                9, 1.0, true, LossType.L2,
                "semantic", SimilarityKind.CLS,
                10, 64, 1, 4e-3, 0.0, 1, 0.05, 0.9, 0.95, 1e-8, 3.0, 0,
                0, "cpu", 200, 3, 10);
    }

    /** The reference's ViT-B/16 recipe (effective batch 2048 = 64 x 32 accumulation steps on one device). */
    public static PretrainConfig paper() {
        return new PretrainConfig(null, 3, false, 0.2, 1.0, 3.0 / 4, 4.0 / 3, 0.5, null, null, 8, 8,
                "vit_base_patch16_224", 0, 12, HeadType.MLP, 0.0,
                9, 1.0, true, LossType.L2,
                "semantic", SimilarityKind.CLS,
                800, 64, 32, 2e-4, 0.0, 30, 0.05, 0.9, 0.95, 1e-8, 3.0, 0,
                0, "cpu", 1000, 3, 20);
    }

    /** The recipe called {@code name} ({@code cpu} or {@code paper}). */
    public static PretrainConfig recipe(String name) {
        switch (name) {
            case "cpu":
                return cpuDefault();
            case "paper":
                return paper();
            default:
                throw new IllegalArgumentException("unknown recipe '" + name + "'; known: cpu, paper");
        }
    }

    /** Effective batch per optimiser step. */
    public int effectiveBatch() {
        return batchSize * accumSteps;
    }

    /** Peak learning rate: blr x effective batch / 256 (the reference's linear scaling rule). */
    public double peakLr() {
        return blr * effectiveBatch() / 256.0;
    }

    /** The model architecture for data with {@code dataChannels} channels. */
    public ModelConfig modelConfig(int dataChannels) {
        ModelConfig m = ModelConfig.preset(model).withInChannels(dataChannels).withHeadType(head)
                .withDropPath(dropPath);
        if (imageSize > 0) {
            m = m.withImageSize(imageSize);
        }
        if (decoderDepth > 0) {
            m = m.withDecoderDepth(decoderDepth);
        }
        return m;
    }

    public TargetConfig targetConfig() {
        return new TargetConfig(blurKernel, blurSigma, normPix, loss);
    }

    /** The augmentation for data with {@code dataChannels} channels and the model's image size. */
    public AugmentConfig augmentConfig(int dataChannels, int modelImageSize) {
        return new AugmentConfig(modelImageSize, cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, flipProb,
                mean != null ? mean : AugmentConfig.defaultMean(dataChannels),
                std != null ? std : AugmentConfig.defaultStd(dataChannels));
    }

    /**
     * Every problem with the values, one line each; empty when valid. Cheap: touches no data and no native code,
     * so the command line can reject a bad run before any heavy work.
     */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (channels != 1 && channels != 3) {
            p.add("--channels must be 1 or 3, got " + channels);
        }
        int ch = channels == 1 || channels == 3 ? channels : 3;
        ModelConfig m = null;
        try {
            m = modelConfig(ch);
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        try {
            targetConfig();
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        if (m != null) {
            try {
                augmentConfig(ch, m.imageSize());
            } catch (IllegalArgumentException e) {
                p.add(e.getMessage());
            }
        }
        if ((mean == null) != (std == null)) {
            p.add("--mean and --std must be given together");
        }
        try {
            Orders.byName(order, similarity);
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        if (epochs <= 0) {
            p.add("--epochs must be positive, got " + epochs);
        }
        if (batchSize <= 0) {
            p.add("--batch-size must be positive, got " + batchSize);
        }
        if (accumSteps <= 0) {
            p.add("--accum-steps must be positive, got " + accumSteps);
        }
        if (!(blr > 0)) {
            p.add("--blr must be positive, got " + blr);
        }
        if (!(minLr >= 0) || minLr > peakLr()) {
            p.add("--min-lr must be in [0, peak lr " + peakLr() + "], got " + minLr);
        }
        if (!(warmupEpochs >= 0) || warmupEpochs > epochs) {
            p.add("--warmup-epochs must be in [0, epochs], got " + warmupEpochs);
        }
        if (!(weightDecay >= 0)) {
            p.add("--weight-decay must be >= 0, got " + weightDecay);
        }
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            p.add("AdamW betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) {
            p.add("AdamW eps must be positive, got " + eps);
        }
        if (!(clipGrad >= 0)) {
            p.add("--clip-grad must be >= 0 (0 = off), got " + clipGrad);
        }
        if (maxSteps < 0) {
            p.add("--max-steps must be >= 0, got " + maxSteps);
        }
        if (workers <= 0 || prefetch <= 0) {
            p.add("--workers and --prefetch must be positive");
        }
        if (checkpointEvery < 0 || keepLast <= 0 || logEvery <= 0) {
            p.add("--checkpoint-every must be >= 0, --keep-last and --log-every positive");
        }
        if (device == null || !(device.equals("cpu") || device.equals("cuda") || device.startsWith("cuda:"))) {
            p.add("--device must be cpu, cuda or cuda:N, got " + device);
        }
        return p;
    }
}
