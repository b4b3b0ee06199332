package semaim.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.io.ModelWeights;
import semaim.order.SemanticAwareOrder;
import semaim.target.TargetConfig;
import semaim.torch.Optimizers;
import semaim.torch.Scope;
import semaim.torch.Torch;
import semaim.util.Rng;

/**
 * A tiny model memorises 8 images with the full SemAIM step (similarity pass, semantic-aware order, masked
 * encoder-decoder, blurred norm-pix target, AdamW with the reference's betas and decay groups).
 */
class OverfitTest {
    @Test
    void lossFallsMoreThanTenfoldOnEightImages() {
        Torch.init();
        Torch.manualSeed(0);
        ModelConfig cfg = new ModelConfig("overfit", 28, 4, 1, 64, 4, 4, 4.0, 4, HeadType.MLP, 0.0, 1e-6);
        SemAimModel model = new SemAimModel(cfg, TargetConfig.reference());
        model.train(true);
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : ModelWeights.stateDict(model).entrySet()) {
            Tensor p = e.getValue();
            if (!p.requires_grad()) {
                continue;
            }
            (p.dim() <= 1 || e.getKey().endsWith(".bias") ? noDecay : decay).add(p);
        }
        AdamW opt = Optimizers.adamW(List.of(new Optimizers.ParamGroup("decay", decay, 0.05),
                new Optimizers.ParamGroup("no_decay", noDecay, 0.0)), 1e-3, 0.9, 0.95, 1e-8);
        Tensor images = TinyModels.images(8, 1, 28, 11);
        Rng rng = new Rng(5);
        double first = Double.NaN, last = Double.NaN;
        int steps = 300;
        long start = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            try (Scope scope = Scope.open()) {
                StepOutput out = model.forwardStep(images, SemanticAwareOrder.paper(), rng);
                opt.zero_grad();
                out.loss().backward();
                opt.step();
                double loss = out.loss().item_double();
                if (step == 0) {
                    first = loss;
                }
                last = loss;
            }
        }
        System.out.printf("overfit: loss %.4f -> %.4f (%.1fx) in %d steps, %.1f s%n", first, last, first / last,
                steps, (System.nanoTime() - start) / 1e9);
        assertTrue(first / last > 10, "loss fell only from " + first + " to " + last);
    }
}
