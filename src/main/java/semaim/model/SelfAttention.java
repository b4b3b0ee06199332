package semaim.model;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;

/**
 * Multi-head self-attention of the encoder with one fused {@code qkv} projection (bias), as timm and the SemAIM
 * reference name it; the additive mask (0 visible, -inf blocked) realises Eq. 7.
 */
public final class SelfAttention extends Module {
    private final int heads;
    private final double scale;
    final LinearImpl qkv;
    final LinearImpl proj;

    /** The attended output and, when asked for, the post-softmax attention (B, H, T, T). */
    public record Output(Tensor out, Tensor attention) {}

    public SelfAttention(int width, int heads) {
        super("SelfAttention");
        this.heads = heads;
        this.scale = Math.pow(width / (double) heads, -0.5);
        qkv = register_module("qkv", Nn.linear(width, 3L * width));
        proj = register_module("proj", Nn.linear(width, width));
    }

    /** x (B, T, D), mask (B, 1, T, T) or null -> (B, T, D). */
    public Tensor forward(Tensor x, Tensor mask) {
        return forward(x, mask, false).out();
    }

    public Output forward(Tensor x, Tensor mask, boolean keepAttention) {
        long b = x.size(0), t = x.size(1), d = x.size(2);
        Tensor qkv3 = qkv.forward(x)                   // (B, T, 3D)
                .reshape(b, t, 3, heads, d / heads)    // (B, T, 3, H, hd)
                .permute(2, 0, 3, 1, 4);               // (3, B, H, T, hd)
        Tensor q = qkv3.select(0, 0), k = qkv3.select(0, 1), v = qkv3.select(0, 2);
        if (!keepAttention) {
            Tensor out = Attention.output(q, k, v, mask, scale).transpose(1, 2).reshape(b, t, d);    // (B, T, D)
            return new Output(proj.forward(out), null);
        }
        Tensor attn = Attention.weights(q, k, mask, scale);                 // (B, H, T, T)
        Tensor out = attn.matmul(v).transpose(1, 2).reshape(b, t, d);        // (B, T, D)
        return new Output(proj.forward(out), attn);
    }
}
