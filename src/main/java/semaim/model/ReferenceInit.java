package semaim.model;

import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;

/**
 * The reference's initialisation (MAE's {@code initialize_weights} + {@code _init_weights}), shared by the
 * pre-training model and the plain ViT: Xavier-uniform on every Linear weight (a fused qkv as one [3D, D] matrix),
 * Linear biases 0, LayerNorm weight 1 and bias 0, CLS token N(0, 0.02), the patch convolution Xavier-uniform through
 * its flattened [D, C*P*P] view with its default bias, and the fixed position embedding left as built.
 */
final class ReferenceInit {
    private ReferenceInit() {}

    /** {@code headStd} > 0: a Linear named {@code head.weight} gets N(0, headStd) instead (fine-tuning heads). */
    static void apply(Module model, Encoder encoder, double headStd) {
        encoder.patchEmbed.initialise();
        Nn.normal(encoder.clsToken, 0.0, 0.02);
        for (Map.Entry<String, Tensor> e : Nn.namedParameters(model).entrySet()) {
            String name = e.getKey();
            Tensor p = e.getValue();
            if (name.equals("cls_token") || name.equals("pos_embed") || name.startsWith("patch_embed.")) {
                continue;
            }
            if (name.endsWith(".weight")) {
                if (name.contains("norm")) {
                    Nn.fill(p, 1.0);
                } else if (headStd > 0 && name.equals("head.weight")) {
                    Nn.normal(p, 0.0, headStd);
                } else {
                    Nn.xavierUniform(p);
                }
            } else if (name.endsWith(".bias")) {
                Nn.fill(p, 0.0);
            }
        }
    }
}
