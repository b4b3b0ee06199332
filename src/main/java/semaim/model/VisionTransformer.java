package semaim.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.io.ModelWeights;
import semaim.torch.Nn;
import semaim.torch.Tensors;

/**
 * The encoder alone, as a plain ViT classifier (timm's {@code VisionTransformer} as MAE's {@code models_vit}
 * wraps it): what is kept after pre-training for k-NN, linear probing and fine-tuning. Same parameter names as the
 * pre-training model ({@code cls_token, pos_embed, patch_embed.*, blocks.{i}.*, norm.*}) plus {@code fc_norm.*}
 * and {@code head.*}, so a pre-training checkpoint loads by name and its decoder is simply not used.
 *
 * <p>No attention mask: every token sees every token. The position embedding is a trainable parameter here,
 * initialised from the fixed sin-cos values, as in the reference's fine-tuning.
 */
public final class VisionTransformer extends Module implements Teacher {
    /** How the image feature is read off the tokens. */
    public enum Pooling {
        /** CLS token after the final norm (linear probing and k-NN in the reference). */
        CLS,
        /** Mean of the patch tokens, then {@code fc_norm} (the reference's fine-tuning default). */
        MEAN,
        /**
         * The mean of the patch tokens after each of the last {@link #CONCAT_BLOCKS} blocks, each standardised (a
         * layer norm without weights, so blocks of different scale weigh alike), concatenated: (B, 4D). AIM probes
         * a concatenation of its last blocks: in an autoregressive encoder the last block specialises in the
         * next-patch prediction, and the more semantic features sit a few blocks earlier. No parameters, so a
         * pre-training checkpoint loads unchanged.
         */
        CONCAT,
        /** Every patch token after the final norm, not pooled: (B, N, D). For embeddings and dense probes. */
        PATCHES
    }

    /** Blocks read by {@link Pooling#CONCAT} (fewer when the encoder is shallower). */
    public static final int CONCAT_BLOCKS = 4;

    private final ModelConfig config;
    private final Pooling pooling;
    private final Encoder encoder;   // patch_embed, cls_token, pos_embed (trainable), blocks
    final LayerNormImpl norm;
    final LayerNormImpl fcNorm;
    public final LinearImpl head;

    /** {@code numClasses} 0: no head, {@link #forward} returns features. */
    public VisionTransformer(ModelConfig config, Pooling pooling, int numClasses) {
        super("VisionTransformer");
        this.config = config;
        this.pooling = pooling;
        int d = config.width();
        encoder = new Encoder(this, config, true);
        norm = register_module("norm", Nn.layerNorm(d, config.layerNormEps()));
        fcNorm = pooling == Pooling.MEAN ? register_module("fc_norm", Nn.layerNorm(d, config.layerNormEps())) : null;
        if (numClasses > 0 && pooling == Pooling.PATCHES) {
            throw new IllegalArgumentException("a classifier head needs one vector per image; PATCHES gives N");
        }
        head = numClasses > 0 ? register_module("head", Nn.linear(pooledDim(), numClasses)) : null;
        initialise();
    }

    public ModelConfig config() {
        return config;
    }

    public Pooling pooling() {
        return pooling;
    }

    /** The width of one pooled vector: 4D for {@link Pooling#CONCAT}, D otherwise (PATCHES gives N of them). */
    public int pooledDim() {
        return pooling == Pooling.CONCAT ? config.width() * Math.min(CONCAT_BLOCKS, config.depth()) : config.width();
    }

    /** D, the width of a token (as a teacher: what a feature target predicts per patch), whatever the pooling. */
    @Override
    public int tokenDim() {
        return config.width();
    }

    /** The reference initialisation; the classifier head starts at N(0, 2e-5) as the reference re-initialises it. */
    private void initialise() {
        ReferenceInit.apply(this, encoder, 2e-5);
    }

    /** (B, C, H, W) -> (B, D) features (B, 4D for CONCAT; B, N, D for PATCHES), pooled as configured. */
    public Tensor features(Tensor images) {
        int n = config.numPatches();
        if (pooling == Pooling.PATCHES) {
            return tokens(images).narrow(1, 1, n);                                  // (B, N, D)
        }
        Tensor h = encoder.embed(images);                                           // (B, T, D)
        int depth = encoder.blocks.length, first = depth - Math.min(CONCAT_BLOCKS, depth);
        List<Tensor> read = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            h = encoder.blocks[i].forward(h, null);
            if (pooling == Pooling.CONCAT && i >= first) {
                read.add(standardise(h.narrow(1, 1, n).mean(1)));                   // (B, D)
            }
        }
        if (pooling == Pooling.CONCAT) {
            return Tensors.cat(1, read.toArray(new Tensor[0]));                     // (B, 4D)
        }
        if (pooling == Pooling.MEAN) {
            return fcNorm.forward(h.narrow(1, 1, n).mean(1));                       // (B, D)
        }
        return norm.forward(h).select(1, 0);                                        // (B, D)
    }

    /** Layer norm over the last dimension without weights: (x - mean) / sqrt(var + eps), var biased. */
    private Tensor standardise(Tensor x) {
        Tensor centred = x.sub(Tensors.meanKeep(x, -1));
        Tensor var = Tensors.meanKeep(centred.mul(centred), -1);
        return centred.div(var.add(Tensors.scalar(config.layerNormEps())).sqrt());
    }

    /**
     * Every token after the final norm, (B, C, H, W) -> (B, T, D): what a timm-named ViT teacher (DINO's) gives the
     * reference's feature target ({@code forward_features} of timm 0.4.5, all 197 tokens).
     */
    @Override
    public Tensor tokens(Tensor images) {
        Tensor h = encoder.embed(images);                                           // (B, T, D)
        for (EncoderBlock blk : encoder.blocks) {
            h = blk.forward(h, null);
        }
        return norm.forward(h);                                                     // (B, T, D)
    }

    @Override
    public void moveTo(org.bytedeco.pytorch.Device device) {
        to(device, false);
    }

    /** Logits (B, classes), or features when the model has no head. */
    public Tensor forward(Tensor images) {
        Tensor f = features(images);
        return head == null ? f : head.forward(f);
    }

    /**
     * Loads the encoder of a pre-training (or fine-tuning) state dict. Keys this model lacks (the decoder, the
     * prediction head, the blur kernel) are returned as unused; keys the file lacks ({@code fc_norm}, {@code head})
     * keep their fresh initialisation and are returned as missing. Shapes must match.
     */
    public ModelWeights.LoadReport loadEncoder(Map<String, Tensor> weights, String source) {
        ModelWeights.LoadReport r = ModelWeights.load(this, weights, false, source);
        List<String> missingEncoder = new ArrayList<>();
        for (String k : r.missing()) {
            if (!k.startsWith("head.") && !k.startsWith("fc_norm.")) {
                missingEncoder.add(k);
            }
        }
        if (!missingEncoder.isEmpty()) {
            throw new IllegalArgumentException(source + " is not a SemAIM/ViT checkpoint of this architecture: "
                    + "missing " + missingEncoder.subList(0, Math.min(5, missingEncoder.size())));
        }
        return r;
    }

    /**
     * The reference's layer ids for layer-wise learning-rate decay: 0 for {@code cls_token}, {@code pos_embed} and
     * {@code patch_embed.*}; i + 1 for {@code blocks.i.*}; depth + 1 for everything else (norms and head).
     */
    public static int layerId(String name, int depth) {
        if (name.equals("cls_token") || name.equals("pos_embed") || name.startsWith("patch_embed.")) {
            return 0;
        }
        if (name.startsWith("blocks.")) {
            int end = name.indexOf('.', 7);
            return Integer.parseInt(name.substring(7, end)) + 1;
        }
        return depth + 1;
    }
}
