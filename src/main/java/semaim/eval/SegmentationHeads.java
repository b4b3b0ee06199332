package semaim.eval;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;
import semaim.torch.Tensors;

/**
 * The segmentation heads on the encoder's patch tokens (B, N, D) -> logits (B, K, S, S): DINOv2's linear probe
 * ({@link Segmentation.Head#LINEAR}) and a light progressive-upsampling decoder ({@link Segmentation.Head#DECODER}).
 */
final class SegmentationHeads {
    private SegmentationHeads() {}

    /** A fresh head of {@code type}: tokens of width {@code dim}, {@code classes} classes, patches of {@code patch}. */
    static Module create(Segmentation.Head type, int dim, int classes, int patch) {
        return type == Segmentation.Head.DECODER ? new DecoderHead(dim, classes, patch) : new LinearHead(dim, classes);
    }

    /** Patch tokens (B, g x g, D) -> logits (B, K, S, S). */
    static Tensor forward(Module head, Tensor tokens, int grid, int size) {
        return head instanceof LinearHead l ? l.forward(tokens, grid, size)
                : ((DecoderHead) head).forward(tokens, grid, size);
    }

    static final class LinearHead extends Module {
        final LinearImpl linear;

        LinearHead(int dim, int classes) {
            super("LinearSegHead");
            linear = register_module("linear", Nn.linear(dim, classes));
            Nn.normal(linear.weight(), 0.0, 0.01);
            Nn.fill(linear.bias(), 0.0);
        }

        Tensor forward(Tensor tokens, int grid, int size) {                     // (B, N, D)
            long b = tokens.size(0);
            Tensor logits = linear.forward(tokens).reshape(b, grid, grid, -1).permute(0, 3, 1, 2);   // (B, K, g, g)
            return Tensors.resizeBilinear(logits, size, size);                                      // (B, K, S, S)
        }
    }

    static final class DecoderHead extends Module {
        final List<Tensor> weights = new ArrayList<>();
        final List<Tensor> biases = new ArrayList<>();
        final List<BatchNorm2dImpl> norms = new ArrayList<>();
        final Tensor outWeight;
        final Tensor outBias;
        final int stages;

        DecoderHead(int dim, int classes, int patch) {
            super("LightDecoder");
            stages = Math.max(1, 31 - Integer.numberOfLeadingZeros(patch));          // log2(patch)
            int in = dim, width = 64;
            for (int s = 0; s < stages; s++) {
                Tensor w = Tensors.handle(register_parameter("conv" + s + "_weight", Tensors.zeros(width, in, 3, 3)));
                Nn.normal(w, 0.0, Math.sqrt(2.0 / (9.0 * in)));                       // He initialisation
                weights.add(w);
                biases.add(Tensors.handle(register_parameter("conv" + s + "_bias", Tensors.zeros(width))));
                norms.add(register_module("bn" + s, new BatchNorm2dImpl(new BatchNormOptions(width))));
                in = width;
            }
            outWeight = Tensors.handle(register_parameter("out_weight", Tensors.zeros(classes, width, 1, 1)));
            Nn.normal(outWeight, 0.0, 0.01);
            outBias = Tensors.handle(register_parameter("out_bias", Tensors.zeros(classes)));
        }

        Tensor forward(Tensor tokens, int grid, int size) {
            long b = tokens.size(0), d = tokens.size(2);
            Tensor x = tokens.transpose(1, 2).reshape(b, d, grid, grid);            // (B, D, g, g)
            for (int s = 0; s < stages; s++) {
                x = norms.get(s).forward(Tensors.conv2d(x, weights.get(s), biases.get(s), 1)).relu();
                x = Tensors.resizeBilinear(x, x.size(2) * 2, x.size(3) * 2);        // progressive upsampling
            }
            Tensor logits = Tensors.conv2d(x, outWeight, outBias, 0);                // (B, K, h, w)
            return logits.size(2) == size ? logits : Tensors.resizeBilinear(logits, size, size);
        }
    }
}
