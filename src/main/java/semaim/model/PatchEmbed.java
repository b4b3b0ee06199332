package semaim.model;

import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;

/**
 * Linear projection of non-overlapping P x P patches to D dimensions (the paper's x_p = I_p W), as timm's
 * {@code PatchEmbed}: a stride-P convolution with bias, output flattened row-major (t = row * grid + col).
 */
public final class PatchEmbed extends Module {
    final Conv2dImpl proj;

    public PatchEmbed(int inChannels, int width, int patchSize) {
        super("PatchEmbed");
        proj = register_module("proj", Nn.conv2d(inChannels, width, patchSize, patchSize));
    }

    /** (B, C, H, W) -> (B, N, D). */
    public Tensor forward(Tensor images) {
        return proj.forward(images)   // (B, D, H/P, W/P)
                .flatten(2, -1)       // (B, D, N)
                .transpose(1, 2);     // (B, N, D)
    }

    /**
     * Reference initialisation: Xavier-uniform on the weight viewed as {@code [D, C*P*P]} (so fan-out is D, not
     * D*P*P as a 4-D Xavier would take); the conv bias keeps PyTorch's default U(+-1/sqrt(fan_in)).
     */
    void initialise() {
        Tensor w = proj.weight();
        Nn.xavierUniform(w.view(w.size(0), -1));
    }
}
