package semaim.eval.detection;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * FCOS's head (Tian et al. 2019, with its v2 choices: centre-ness on the regression branch, distances predicted in
 * strides), shared by every pyramid level: a classification tower and a regression tower of {@link #TOWER} x (3x3 conv,
 * GroupNorm, ReLU) each (FCOS uses 4; 2 keeps it light), then class logits (K), distances relu(scale_l x conv) (4, a
 * learnt scale per level) and a centre-ness logit (1). The class bias starts at -log((1 - 0.01) / 0.01), so every
 * location first says "background" with probability 0.99, as RetinaNet and FCOS start.
 */
final class FcosHead extends Module {
    static final int TOWER = 2;
    static final double PRIOR = 0.01;

    private final List<Layers.Conv> clsTower = new ArrayList<>();
    private final List<Layers.GroupNorm> clsNorm = new ArrayList<>();
    private final List<Layers.Conv> regTower = new ArrayList<>();
    private final List<Layers.GroupNorm> regNorm = new ArrayList<>();
    private final Layers.Conv clsLogits;
    private final Layers.Conv boxDistances;
    private final Layers.Conv centreness;
    private final Tensor scales;

    FcosHead(int channels, int classes, int levels) {
        super("FcosHead");
        for (int i = 0; i < TOWER; i++) {
            clsTower.add(Layers.Conv.create(this, "cls_tower" + i, channels, channels, 3));
            clsNorm.add(Layers.GroupNorm.create(this, "cls_tower" + i + "_norm", channels));
            regTower.add(Layers.Conv.create(this, "bbox_tower" + i, channels, channels, 3));
            regNorm.add(Layers.GroupNorm.create(this, "bbox_tower" + i + "_norm", channels));
        }
        clsLogits = Layers.Conv.create(this, "cls_logits", channels, classes, 3);
        semaim.torch.Nn.fill(clsLogits.bias(), -Math.log((1 - PRIOR) / PRIOR));
        boxDistances = Layers.Conv.create(this, "bbox_pred", channels, 4, 3);
        centreness = Layers.Conv.create(this, "centerness", channels, 1, 3);
        scales = Tensors.handle(register_parameter("scales", Tensors.zeros(levels)));
        semaim.torch.Nn.fill(scales, 1.0);
    }

    /** The three outputs over all levels' locations, levels in order, row-major within a level. */
    record Output(Tensor classLogits, Tensor distances, Tensor centrenessLogits) {}  // (B,N,K) (B,N,4) (B,N)

    Output forward(List<Tensor> maps) {
        List<Tensor> cls = new ArrayList<>(), dist = new ArrayList<>(), ctr = new ArrayList<>();
        for (int l = 0; l < maps.size(); l++) {
            Tensor c = maps.get(l), r = maps.get(l);
            for (int i = 0; i < TOWER; i++) {
                c = clsNorm.get(i).forward(clsTower.get(i).forward(c)).relu();
                r = regNorm.get(i).forward(regTower.get(i).forward(r)).relu();
            }
            cls.add(flatten(clsLogits.forward(c)));                                          // (B, h w, K)
            dist.add(flatten(boxDistances.forward(r).mul(scales.select(0, l)).relu()));       // (B, h w, 4)
            ctr.add(flatten(centreness.forward(r)).squeeze(2));                               // (B, h w)
        }
        return new Output(Tensors.cat(1, cls.toArray(Tensor[]::new)), Tensors.cat(1, dist.toArray(Tensor[]::new)),
                Tensors.cat(1, ctr.toArray(Tensor[]::new)));
    }

    /** (B, C, h, w) -> (B, h w, C), row-major over the map as FcosTargets orders locations. */
    private static Tensor flatten(Tensor x) {
        return x.permute(0, 2, 3, 1).reshape(x.size(0), -1, x.size(1));
    }
}
