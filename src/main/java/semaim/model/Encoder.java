package semaim.model;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * The ViT encoder that the pre-training model and the plain ViT share: the stem (patch embedding, CLS token, 2-D
 * sin-cos position embedding) and the L blocks. It is not a module of its own: its parts are registered directly
 * on the owning model under timm's top-level names ({@code patch_embed.proj.*}, {@code cls_token},
 * {@code pos_embed}, {@code blocks.{i}.*}), so weights move by name between the two models and the reference.
 * Registration order (and with it the order of every random initialisation) is the reference's.
 */
final class Encoder {
    final PatchEmbed patchEmbed;
    final Tensor clsToken;   // (1, 1, D)
    final Tensor posEmbed;   // (1, T, D), sin-cos values, CLS row zeros
    final EncoderBlock[] blocks;
    // libtorch calls back into registered modules (e.g. train/eval): the container needs a live Java peer.
    private final Module blockList;
    private final int numPatches;

    /**
     * Registers the encoder on {@code owner}. {@code trainablePosEmbed}: false in pre-training (the fixed sin-cos
     * embedding of Eq. 7), true when fine-tuning (the reference then learns it from the sin-cos start).
     */
    Encoder(Module owner, ModelConfig config, boolean trainablePosEmbed) {
        int d = config.width();
        numPatches = config.numPatches();
        patchEmbed = owner.register_module("patch_embed", new PatchEmbed(config.inChannels(), d, config.patchSize()));
        // register_* returns a reference into the module's parameter list, which moves when the list grows:
        // keep owning handles instead (see Tensors.handle).
        clsToken = Tensors.handle(owner.register_parameter("cls_token", Tensors.zeros(1, 1, d)));
        posEmbed = Tensors.handle(owner.register_parameter("pos_embed", Tensors.floats(
                PositionEmbedding.sinCos2d(d, config.gridSize(), config.gridSize()), 1, 1 + numPatches, d),
                trainablePosEmbed));
        blockList = owner.register_module("blocks", new Module("ModuleList"));
        blocks = new EncoderBlock[config.depth()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = blockList.register_module(Integer.toString(i), new EncoderBlock(d, config.heads(),
                    config.mlpHidden(), config.layerNormEps(), dropPathRate(config, i)));
        }
    }

    /** Stochastic depth of block {@code i}: linear from 0 at the first block to the config's rate at the last. */
    static double dropPathRate(ModelConfig config, int i) {
        return config.depth() == 1 ? 0.0 : config.dropPath() * i / (config.depth() - 1);
    }

    /**
     * The input sequence x = [x_cls; x_p] + p: patch embeddings plus position embedding, CLS (plus its all-zero
     * position row) prepended. (B, C, H, W) -> (B, T, D).
     */
    Tensor embed(Tensor images) {
        long b = images.size(0);
        Tensor patches = patchEmbed.forward(images).add(posEmbed.narrow(1, 1, numPatches));  // (B, N, D)
        Tensor cls = clsToken.add(posEmbed.narrow(1, 0, 1)).expand(b, -1, -1);               // (B, 1, D)
        return Tensors.cat(1, cls, patches);                                                   // (B, T, D)
    }
}
