package semaim.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.order.OrderInput;
import semaim.order.PatchOrder;
import semaim.order.SimilarityKind;
import semaim.target.FeatureLoss;
import semaim.target.GaussianBlur;
import semaim.target.Hog;
import semaim.target.PixelTarget;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.torch.Autocast;
import semaim.torch.Nn;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * SemAIM's parallel encoder-decoder (Fig. 1): a ViT encoder with order-masked self-attention (Eq. 7-8), a stack of
 * cross-attention decoder blocks whose queries start from the position embedding (Eq. 9-10), a final LayerNorm and
 * a prediction head (Eq. 11), trained on the pixel target of Eq. 12.
 *
 * <p>Parameter and buffer names are the reference's ({@code cls_token, pos_embed, patch_embed.proj.*,
 * blocks.{i}.*, query_blocks.{i}.*, norm.*, prediction_head.*, gaussian_blur.weight}), so weights exported from
 * the official PyTorch code load unchanged and ours load there.
 *
 * <p>Shapes: B images, C channels, N patches, T = 1 + N tokens (CLS first), D width, K = P*P*C values per patch.
 */
public final class SemAimModel extends Module {
    private final ModelConfig config;
    private final TargetConfig targetConfig;
    private final int[] decoderReads;

    private final Encoder encoder;   // patch_embed, cls_token, pos_embed (fixed sin-cos), blocks
    final Tensor clsToken;           // (1, 1, D), trained
    final EncoderBlock[] blocks;
    final DecoderBlock[] queryBlocks;
    // Every registered module needs a live Java peer: libtorch calls back into it (e.g. train/eval), and a
    // collected peer makes those calls fail with a NullPointerException. So the containers are fields too.
    private final Module queryList;
    final LayerNormImpl norm;
    final Module predictionHead;
    private final PixelTarget pixelTarget;

    public SemAimModel(ModelConfig config, TargetConfig targetConfig) {
        super("SemAimModel");
        this.config = config;
        this.targetConfig = targetConfig;
        int d = config.width();
        encoder = new Encoder(this, config, false);
        clsToken = encoder.clsToken;
        blocks = encoder.blocks;
        queryList = register_module("query_blocks", new Module("ModuleList"));
        queryBlocks = new DecoderBlock[config.decoderDepth()];
        decoderReads = DecoderPairing.encoderBlocks(config.depth(), config.decoderDepth());
        for (int k = 0; k < queryBlocks.length; k++) {
            // Decoder block k gets the drop-path rate of the encoder block it reads. The reference indexes the
            // encoder's schedule by the decoder's own loop index (dpr[k]) instead; pre-training uses rate 0, where
            // both agree (docs/differences.md).
            queryBlocks[k] = queryList.register_module(Integer.toString(k), new DecoderBlock(d, config.heads(),
                    config.mlpHidden(), config.layerNormEps(), Encoder.dropPathRate(config, decoderReads[k])));
        }
        norm = register_module("norm", Nn.layerNorm(d, config.layerNormEps()));
        int out = headWidth(config, targetConfig);
        predictionHead = config.headType() == HeadType.MLP
                ? register_module("prediction_head", new Mlp(d, config.mlpHidden(), out))
                : register_module("prediction_head", Nn.linear(d, out));
        GaussianBlur blur = targetConfig.blurs()
                ? register_module("gaussian_blur",
                        new GaussianBlur(config.inChannels(), targetConfig.blurKernel(), targetConfig.blurSigma()))
                : null;
        pixelTarget = new PixelTarget(targetConfig, config.patchSize(), blur);
        initialise();
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Values the head predicts per patch: P x P x C pixels, the teacher's token width for a feature target (the EMA
     * target's is the student's own width), or the HOG histogram's size.
     */
    public static int headWidth(ModelConfig config, TargetConfig target) {
        return switch (target.kind()) {
            case PIXEL -> config.pixelsPerPatch();
            case HOG -> Hog.width(config.inChannels(), config.patchSize());
            case EMA -> config.width();
            default -> {
                if (target.featureDim() <= 0) {
                    throw new IllegalArgumentException("a " + target.kind() + " target needs the teacher's feature"
                            + " width (read from --teacher)");
                }
                yield target.featureDim();
            }
        };
    }

    public TargetConfig targetConfig() {
        return targetConfig;
    }

    /** The device the model's parameters are on. */
    public Device device() {
        return clsToken.device();
    }

    /** The encoder block each decoder block reads (see {@link DecoderPairing}). */
    public int[] decoderReads() {
        return decoderReads.clone();
    }

    /** The reference initialisation (see {@link ReferenceInit}), seeded by {@code Torch.manualSeed}. */
    private void initialise() {
        ReferenceInit.apply(this, encoder, 0.0);
    }

    /**
     * The input sequence x = [x_cls; x_p] + p: patch embeddings plus position embedding, CLS (plus its all-zero
     * position row) prepended. (B, C, H, W) -> (B, T, D).
     */
    public Tensor embed(Tensor images) {
        checkImages(images);
        return encoder.embed(images);
    }

    /**
     * The similarity pass (Eq. 2), as the reference runs it: the current encoder in eval mode, without gradient
     * and <b>without</b> any mask (the CLS token sees every patch), tokens taken after the final LayerNorm. Also
     * returns the last block's CLS self-attention (mean over heads) for visualisation and the SELF_ATTENTION kind.
     */
    public SimilarityMaps similarityPass(Tensor images, SimilarityKind kind) {
        boolean wasTraining = is_training();
        eval();
        try {
            return Tensors.noGrad(() -> {
                int n = config.numPatches();
                Tensor h = embed(images);
                for (int i = 0; i < blocks.length - 1; i++) {
                    try (Scope block = Scope.nested()) {
                        h = block.keep(blocks[i].forward(h, null));
                    }
                }
                SelfAttention.Output last = blocks[blocks.length - 1].forwardWithAttention(h, null);
                Tensor clsAttention = last.attention().mean(1)    // (B, T, T), mean over heads
                        .select(1, 0).narrow(1, 1, n);            // (B, N): CLS query, patch keys
                Tensor z = norm.forward(last.out());              // (B, T, D)
                Tensor similarity;
                if (kind == SimilarityKind.SELF_ATTENTION) {
                    similarity = clsAttention;
                } else {
                    Tensor patchTokens = Tensors.l2Normalize(z.narrow(1, 1, n), -1);           // (B, N, D)
                    Tensor reference = Tensors.l2Normalize(kind == SimilarityKind.CLS
                            ? z.narrow(1, 0, 1)                                                 // (B, 1, D)
                            : Tensors.meanKeep(z.narrow(1, 1, n), 1), -1);                     // (B, 1, D)
                    Tensor cosine = Tensors.sum(patchTokens.mul(reference), false, -1);        // (B, N)
                    similarity = cosine.softmax(-1);                                           // Eq. 2
                }
                return new SimilarityMaps(similarity, clsAttention, z);
            });
        } finally {
            train(wasTraining);
        }
    }

    /**
     * The autoregressive pass (Eq. 7-11) for a given order (B, N), smaller = earlier: the masked encoder runs
     * block by block; decoder block k runs right after the encoder block it reads, on that block's output.
     * Returns the head output for all tokens, (B, T, K), row 0 being the (unused) CLS row.
     */
    public Tensor autoregressivePass(Tensor images, Tensor order) {
        long b = images.size(0);
        if (order.dim() != 2 || order.size(0) != b || order.size(1) != config.numPatches()) {
            throw new IllegalArgumentException("order must have shape (" + b + ", " + config.numPatches()
                    + "), got " + java.util.Arrays.toString(Tensors.shape(order)));
        }
        // In the autocast dtype under bf16/fp16: the logits stay low precision through mask, softmax and backward
        Tensor maskH = Autocast.inRegionDtype(AttentionMasks.encoder(order));    // (B, 1, T, T), Eq. 7
        Tensor maskG = Autocast.inRegionDtype(AttentionMasks.decoder(order));    // (B, 1, T, T), Eq. 9
        Tensor h = embed(images);                                           // (B, T, D)
        Tensor g = encoder.posEmbed.expand(b, -1, -1);                              // (B, T, D): g^(0) = p
        int k = 0;
        for (int i = 0; i < blocks.length; i++) {
            try (Scope block = Scope.nested()) {   // frees each block's temporaries when it returns
                h = block.keep(blocks[i].forward(h, maskH));                // Eq. 8
            }
            while (k < queryBlocks.length && decoderReads[k] == i) {
                try (Scope block = Scope.nested()) {
                    g = block.keep(queryBlocks[k].forward(g, h, maskG));    // Eq. 10
                }
                k++;
            }
        }
        return head(norm.forward(g));                                       // (B, T, K), Eq. 11
    }

    private Tensor head(Tensor x) {
        return predictionHead instanceof Mlp mlp ? mlp.forward(x) : ((LinearImpl) predictionHead).forward(x);
    }

    /**
     * One training step's forward pass with an explicit order (B, N): deterministic (drop path aside).
     * Returns loss, per-patch loss, order, predictions and targets.
     */
    public StepOutput forwardStep(Tensor images, Tensor order) {
        return forwardStep(images, order, null);
    }

    /**
     * As {@link #forwardStep(Tensor, Tensor)}, against {@code targets} for the targets computed outside the model:
     * a teacher's tokens (B, T, F) for clip, dino, vit and ema, or HOG histograms (B, N, K); null for pixels.
     */
    public StepOutput forwardStep(Tensor images, Tensor order, Tensor targets) {
        Tensor all = autoregressivePass(images, order);                         // (B, T, K)
        Tensor prediction = all.narrow(1, 1, config.numPatches());              // (B, N, K): CLS row dropped
        TargetKind kind = targetConfig.kind();
        if (kind == TargetKind.PIXEL) {
            PixelTarget.Loss loss = pixelTarget.loss(prediction, images);       // Eq. 12
            return new StepOutput(loss.loss(), loss.perPatch(), order, prediction, loss.target());
        }
        if (targets == null) {
            throw new IllegalArgumentException("a " + kind + " target needs its target tensor");
        }
        if (kind == TargetKind.HOG) {
            Tensor d = prediction.sub(targets);
            return new StepOutput(Hog.loss(prediction, targets), Tensors.sum(d.mul(d), false, -1).div(Tensors.scalar(prediction.size(2))), order,
                    prediction, targets);
        }
        Tensor y = targets.narrow(1, 1, config.numPatches());                   // (B, N, F)
        Tensor d = Tensors.l2Normalize(prediction, -1).sub(Tensors.l2Normalize(y, -1));
        return new StepOutput(FeatureLoss.loss(prediction, targets), Tensors.sum(d.mul(d), false, -1), order,
                prediction, y);
    }

    /**
     * The order values (B, N) that {@code strategy} gives for a similarity map (B, N) computed elsewhere (a
     * teacher's): Eq. 3-6 without the similarity pass.
     */
    public Tensor orderFromSimilarity(Tensor similarity, int batch, PatchOrder strategy, Rng rng, Device device) {
        int g = config.gridSize();
        float[][] values = strategy.generate(new OrderInput(batch, g, g,
                strategy.similarityNeeded() == null ? null : Tensors.toFloats2d(similarity)), rng);
        return Tensors.fromFloats2d(values).to(device, torch.ScalarType.Float);
    }

    /**
     * One training step's forward pass as the reference runs it: the order strategy first (with the similarity
     * pass when it needs one), then {@link #forwardStep(Tensor, Tensor)}.
     */
    public StepOutput forwardStep(Tensor images, PatchOrder strategy, Rng rng) {
        return forwardStep(images, orderOfImages(images, strategy, rng));
    }

    /**
     * The order values (B, N) that {@code strategy} gives for these images, on the images' device: the similarity
     * pass of this model (when the strategy needs one, Eq. 2), then Eq. 3-6.
     */
    public Tensor orderOfImages(Tensor images, PatchOrder strategy, Rng rng) {
        int g = config.gridSize();
        float[][] similarity = null;
        if (strategy.similarityNeeded() != null) {
            similarity = Tensors.toFloats2d(similarityPass(images, strategy.similarityNeeded()).similarity());
        }
        float[][] values = strategy.generate(new OrderInput((int) images.size(0), g, g, similarity), rng);
        return Tensors.fromFloats2d(values).to(images.device(), torch.ScalarType.Float);
    }

    /** The pixel target of these images and how to map predictions back to pixels. */
    public PixelTarget pixelTarget() {
        return pixelTarget;
    }

    private void checkImages(Tensor images) {
        if (images.dim() != 4 || images.size(1) != config.inChannels() || images.size(2) != config.imageSize()
                || images.size(3) != config.imageSize()) {
            throw new IllegalArgumentException("expected images (B, " + config.inChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + "), got "
                    + java.util.Arrays.toString(Tensors.shape(images)));
        }
    }
}
