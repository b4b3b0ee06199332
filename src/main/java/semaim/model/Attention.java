package semaim.model;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Autocast;
import semaim.torch.Scope;
import semaim.torch.Tensors;

/** The attention weights shared by encoder and decoder: softmax(q k^T * scale + mask). */
final class Attention {
    private Attention() {}

    /**
     * Whether libtorch's fused {@code scaled_dot_product_attention} beats the explicit softmax for queries like
     * {@code q}: in fp32 on CPU it does (a 96/6/3 step at 56 px: 2.41 -> 1.91 s, less memory). In bf16 its CPU
     * flash kernel is about 15x slower than the explicit path (B 64, H 3, T 197, hd 32, forward + backward: 360 ms
     * against 23 ms, with or without a mask), so under autocast, which would run it in bf16 whatever q's dtype,
     * and for low-precision q the explicit softmax runs.
     */
    static boolean fusedIsFaster(Tensor q) {
        return Tensors.scalarType(q) == org.bytedeco.pytorch.global.torch.ScalarType.Float && !Autocast.isOn(q);
    }

    /**
     * softmax(q k^T * scale + mask) v, fused or explicit as {@link #fusedIsFaster} chooses; q (B, H, Tq, hd), k and v
     * (B, H, Tk, hd), mask (B, 1, Tq, Tk) additive or null -> (B, H, Tq, hd).
     */
    static Tensor output(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        return fusedIsFaster(q) ? Tensors.attention(q, k, v, mask, scale) : weights(q, k, mask, scale).matmul(v);
    }

    /** q (B, H, Tq, hd), k (B, H, Tk, hd), mask (B, 1, Tq, Tk) additive or null -> (B, H, Tq, Tk). */
    static Tensor weights(Tensor q, Tensor k, Tensor mask, double scale) {
        // Scale after the product, as the reference does, so that parity holds to the last bits we can get.
        try (Scope s = Scope.nested()) {   // the (B, H, Tq, Tk) logits die here; autograd keeps what it needs
            Tensor logits = q.matmul(k.transpose(-2, -1)).mul(Tensors.scalar(scale));
            if (mask != null) {
                logits = logits.add(mask);
            }
            return s.keep(logits.softmax(-1));
        }
    }
}
