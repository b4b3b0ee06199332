package semaim.model;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Scope;
import semaim.torch.Tensors;

/** The attention weights shared by encoder and decoder: softmax(q k^T * scale + mask). */
final class Attention {
    private Attention() {}

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
