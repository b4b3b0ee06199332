package semaim.train;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.order.Orders;
import semaim.order.SimilarityKind;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.torch.Precision;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.Rng;

/** A tiny pre-training model (16 px, patch 4, width 32) and its raster-order training step, for step-level tests. */
final class TinySteps {
    private TinySteps() {}

    static SemAimModel model(long seed) {
        Torch.init();
        Torch.manualSeed(seed);
        return new SemAimModel(new ModelConfig("tiny-step", 16, 4, 3, 32, 2, 2, 2.0, 1, HeadType.MLP, 0.0, 1e-6),
                new TargetConfig(3, 1.0, true, LossType.L2));
    }

    /** AdamW (lr 1e-3), raster order, {@code accum} micro-batches a step, no gradient clip. */
    static TrainStep step(SemAimModel model, int accum, Precision precision) {
        return TrainStep.withAdamW(model, 0.05, 1e-3, 0.9, 0.95, 1e-8, Orders.byName("raster", SimilarityKind.CLS),
                new Rng(1), accum, 0.0, precision);
    }

    /** Copies of the trainable parameters. */
    static List<float[]> weights(TrainStep s) {
        List<float[]> w = new ArrayList<>();
        for (Tensor p : s.trainable()) {
            w.add(Tensors.toFloats(p));
        }
        return w;
    }
}
