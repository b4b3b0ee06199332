package semaim.eval.detection;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;
import semaim.torch.Tensors;

/** The convolution and GroupNorm layers the pyramid and the head are made of, as parameters of their module. */
final class Layers {
    private Layers() {}

    /** A conv: weight (out, in, k, k), N(0, 0.01) as FCOS initialises its head, bias 0. */
    record Conv(Tensor weight, Tensor bias, int padding) {
        static Conv create(Module m, String name, int in, int out, int k) {
            Tensor w = Tensors.handle(m.register_parameter(name + "_weight", Tensors.zeros(out, in, k, k)));
            Nn.normal(w, 0.0, 0.01);
            Tensor b = Tensors.handle(m.register_parameter(name + "_bias", Tensors.zeros(out)));
            return new Conv(w, b, k / 2);
        }

        Tensor forward(Tensor x) {
            return Tensors.conv2d(x, weight, bias, padding);
        }
    }

    /** A 2x2 stride-2 deconvolution: weight (in, out, 2, 2), He-initialised, bias 0. */
    record Deconv(Tensor weight, Tensor bias) {
        static Deconv create(Module m, String name, int in, int out) {
            Tensor w = Tensors.handle(m.register_parameter(name + "_weight", Tensors.zeros(in, out, 2, 2)));
            Nn.normal(w, 0.0, Math.sqrt(2.0 / (4.0 * in)));
            Tensor b = Tensors.handle(m.register_parameter(name + "_bias", Tensors.zeros(out)));
            return new Deconv(w, b);
        }

        Tensor forward(Tensor x) {
            return Tensors.convTranspose2d(x, weight, bias, 2);
        }
    }

    /** GroupNorm with {@code groups} groups (FCOS: 32; fewer when the width is small), weight 1, bias 0. */
    record GroupNorm(Tensor weight, Tensor bias, int groups) {
        static GroupNorm create(Module m, String name, int channels) {
            Tensor w = Tensors.handle(m.register_parameter(name + "_weight", Tensors.zeros(channels)));
            Nn.fill(w, 1.0);
            Tensor b = Tensors.handle(m.register_parameter(name + "_bias", Tensors.zeros(channels)));
            int groups = 32;
            while (channels % groups != 0) {
                groups /= 2;
            }
            return new GroupNorm(w, b, groups);
        }

        Tensor forward(Tensor x) {
            return Tensors.groupNorm(x, groups, weight, bias);
        }
    }
}
