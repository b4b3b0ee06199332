package semaim.model;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;

/**
 * Multi-head cross-attention of the decoder (Eq. 10): queries from the decoder stream g, keys and values from the
 * encoder stream h, with separate {@code q}, {@code k}, {@code v} projections (bias) as in the reference.
 */
public final class CrossAttention extends Module {
    private final int heads;
    private final double scale;
    final LinearImpl q;
    final LinearImpl k;
    final LinearImpl v;
    final LinearImpl proj;

    public CrossAttention(int width, int heads) {
        super("CrossAttention");
        this.heads = heads;
        this.scale = Math.pow(width / (double) heads, -0.5);
        q = register_module("q", Nn.linear(width, width));
        k = register_module("k", Nn.linear(width, width));
        v = register_module("v", Nn.linear(width, width));
        proj = register_module("proj", Nn.linear(width, width));
    }

    /** query (B, Tq, D), keyValue (B, Tk, D), mask (B, 1, Tq, Tk) -> (B, Tq, D). */
    public Tensor forward(Tensor query, Tensor keyValue, Tensor mask) {
        long b = query.size(0), tq = query.size(1), tk = keyValue.size(1), d = query.size(2);
        long hd = d / heads;
        Tensor qh = q.forward(query).reshape(b, tq, heads, hd).transpose(1, 2);      // (B, H, Tq, hd)
        Tensor kh = k.forward(keyValue).reshape(b, tk, heads, hd).transpose(1, 2);   // (B, H, Tk, hd)
        Tensor vh = v.forward(keyValue).reshape(b, tk, heads, hd).transpose(1, 2);   // (B, H, Tk, hd)
        Tensor out = Attention.output(qh, kh, vh, mask, scale);                      // (B, H, Tq, hd)
        return proj.forward(out.transpose(1, 2).reshape(b, tq, d));                  // (B, Tq, D)
    }
}
