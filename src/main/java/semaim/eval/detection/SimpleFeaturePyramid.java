package semaim.eval.detection;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import org.bytedeco.pytorch.global.torch;

import semaim.torch.Tensors;

/**
 * ViTDet's simple feature pyramid (Li et al. 2022, Fig. 2 and its code): from the last block's patch tokens alone, maps at
 * 4x, 2x, 1x and 1/2x the patch grid (strides patch/4, patch/2, patch, 2 patch), by
 * <pre>
 *   4x:   deconv 2x2 s2 (D -> D/2), GroupNorm, GELU, deconv 2x2 s2 (D/2 -> D/4)
 *   2x:   deconv 2x2 s2 (D -> D/2)
 *   1x:   the map itself
 *   1/2x: max-pool 2x2 s2
 * </pre>
 * each then 1x1 conv -> C, GroupNorm, 3x3 conv -> C, GroupNorm (ViTDet uses LayerNorm over channels; GroupNorm is
 * what the FCOS head uses, so one norm serves both). No FPN top-down path: that is ViTDet's finding.
 */
final class SimpleFeaturePyramid extends Module {
    /** The maps' sizes relative to the patch grid, finest first. */
    static final double[] SCALES = {4, 2, 1, 0.5};

    private final Layers.Deconv up4a;
    private final Layers.GroupNorm up4norm;
    private final Layers.Deconv up4b;
    private final Layers.Deconv up2;
    private final List<Layers.Conv> lateral = new ArrayList<>();
    private final List<Layers.GroupNorm> lateralNorm = new ArrayList<>();
    private final List<Layers.Conv> output = new ArrayList<>();
    private final List<Layers.GroupNorm> outputNorm = new ArrayList<>();

    SimpleFeaturePyramid(int dim, int channels) {
        super("SimpleFeaturePyramid");
        if (dim % 4 != 0) {
            throw new IllegalArgumentException("the encoder's width must be a multiple of 4, got " + dim);
        }
        up4a = Layers.Deconv.create(this, "p4_up1", dim, dim / 2);
        up4norm = Layers.GroupNorm.create(this, "p4_norm", dim / 2);
        up4b = Layers.Deconv.create(this, "p4_up2", dim / 2, dim / 4);
        up2 = Layers.Deconv.create(this, "p2_up", dim, dim / 2);
        int[] in = {dim / 4, dim / 2, dim, dim};
        for (int s = 0; s < SCALES.length; s++) {
            lateral.add(Layers.Conv.create(this, "level" + s + "_lateral", in[s], channels, 1));
            lateralNorm.add(Layers.GroupNorm.create(this, "level" + s + "_lateral_norm", channels));
            output.add(Layers.Conv.create(this, "level" + s + "_output", channels, channels, 3));
            outputNorm.add(Layers.GroupNorm.create(this, "level" + s + "_output_norm", channels));
        }
    }

    /** Patch tokens (B, g x g, D) -> maps (B, C, 4g, 4g), (B, C, 2g, 2g), (B, C, g, g), (B, C, g/2, g/2). */
    List<Tensor> forward(Tensor tokens, int grid) {
        long b = tokens.size(0), d = tokens.size(2);
        Tensor x = tokens.transpose(1, 2).reshape(b, d, grid, grid);                   // (B, D, g, g)
        Tensor[] maps = {
            up4b.forward(torch.gelu(up4norm.forward(up4a.forward(x)))),               // (B, D/4, 4g, 4g)
            up2.forward(x),                                                            // (B, D/2, 2g, 2g)
            x,                                                                         // (B, D, g, g)
            Tensors.maxPool2d(x, 2)};                                                  // (B, D, g/2, g/2)
        List<Tensor> out = new ArrayList<>();
        for (int s = 0; s < maps.length; s++) {
            Tensor y = lateralNorm.get(s).forward(lateral.get(s).forward(maps[s]));
            out.add(outputNorm.get(s).forward(output.get(s).forward(y)));              // (B, C, h_s, w_s)
        }
        return out;
    }
}
