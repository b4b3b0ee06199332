package semaim.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.torch.Tensors;

/** Stochastic depth per sample (timm's {@code drop_path}): identity in eval mode or at rate 0. */
final class DropPath {
    private DropPath() {}

    /** Zeroes whole residual branches of {@code x} (B, T, D) with probability {@code rate}, rescaling the rest. */
    static Tensor apply(Tensor x, double rate, boolean training) {
        if (rate == 0.0 || !training) {
            return x;
        }
        double keep = 1.0 - rate;
        Tensor mask = torch.bernoulli(x.new_full(new long[] {x.size(0), 1, 1}, Tensors.scalar(keep)));
        return x.mul(mask).div(Tensors.scalar(keep));
    }
}
