package semaim.model;

import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;

/**
 * One encoder layer (Eq. 8): a pre-norm ViT block whose self-attention is masked so that a patch sees the patches
 * before it in the order and itself (Eq. 7). Parameter names follow timm ({@code norm1, attn.qkv, attn.proj, norm2,
 * mlp.fc1, mlp.fc2}) so the encoder loads into a plain ViT for fine-tuning.
 */
public final class EncoderBlock extends Module {
    final LayerNormImpl norm1;
    final SelfAttention attn;
    final LayerNormImpl norm2;
    final Mlp mlp;
    private final double dropPath;

    public EncoderBlock(int width, int heads, int mlpHidden, double eps, double dropPath) {
        super("EncoderBlock");
        this.dropPath = dropPath;
        norm1 = register_module("norm1", Nn.layerNorm(width, eps));
        attn = register_module("attn", new SelfAttention(width, heads));
        norm2 = register_module("norm2", Nn.layerNorm(width, eps));
        mlp = register_module("mlp", new Mlp(width, mlpHidden, width));
    }

    /** h (B, T, D), mask (B, 1, T, T) or null for full attention -> (B, T, D). */
    public Tensor forward(Tensor h, Tensor mask) {
        h = h.add(DropPath.apply(attn.forward(norm1.forward(h), mask), dropPath, is_training()));
        return h.add(DropPath.apply(mlp.forward(norm2.forward(h)), dropPath, is_training()));
    }

    /** Same as {@link #forward}, also returning this block's attention weights (B, H, T, T). */
    public SelfAttention.Output forwardWithAttention(Tensor h, Tensor mask) {
        SelfAttention.Output a = attn.forward(norm1.forward(h), mask, true);
        h = h.add(DropPath.apply(a.out(), dropPath, is_training()));
        h = h.add(DropPath.apply(mlp.forward(norm2.forward(h)), dropPath, is_training()));
        return new SelfAttention.Output(h, a.attention());
    }
}
