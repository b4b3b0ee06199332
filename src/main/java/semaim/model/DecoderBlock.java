package semaim.model;

import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;

/**
 * One decoder layer (Eq. 10): cross-attention only, no self-attention among the queries. The query stream g reads
 * the encoder stream h through the mask of Eq. 9 (strictly earlier patches).
 *
 * <p>As in the reference ({@code Block_SelfCrossMask}), <b>one</b> LayerNorm {@code norm1} normalises both the query
 * input and the key/value input; the paper does not say, and separate norms would not load reference weights.
 */
public final class DecoderBlock extends Module {
    final LayerNormImpl norm1;
    final CrossAttention attn;
    final LayerNormImpl norm2;
    final Mlp mlp;
    private final double dropPath;

    public DecoderBlock(int width, int heads, int mlpHidden, double eps, double dropPath) {
        super("DecoderBlock");
        this.dropPath = dropPath;
        norm1 = register_module("norm1", Nn.layerNorm(width, eps));
        attn = register_module("attn", new CrossAttention(width, heads));
        norm2 = register_module("norm2", Nn.layerNorm(width, eps));
        mlp = register_module("mlp", new Mlp(width, mlpHidden, width));
    }

    /** g (B, T, D), h (B, T, D), mask (B, 1, T, T) -> (B, T, D). */
    public Tensor forward(Tensor g, Tensor h, Tensor mask) {
        g = g.add(DropPath.apply(attn.forward(norm1.forward(g), norm1.forward(h), mask), dropPath, is_training()));
        return g.add(DropPath.apply(mlp.forward(norm2.forward(g)), dropPath, is_training()));
    }
}
