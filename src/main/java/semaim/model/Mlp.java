package semaim.model;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.torch.Nn;

/** timm's {@code Mlp}: fc1, exact (erf) GELU, fc2; no dropout. Used in blocks and as the prediction head. */
public final class Mlp extends Module {
    final LinearImpl fc1;
    final LinearImpl fc2;

    public Mlp(int in, int hidden, int out) {
        super("Mlp");
        fc1 = register_module("fc1", Nn.linear(in, hidden));
        fc2 = register_module("fc2", Nn.linear(hidden, out));
    }

    /** (..., in) -> (..., out). */
    public Tensor forward(Tensor x) {
        return fc2.forward(torch.gelu(fc1.forward(x)));
    }
}
