package semaim.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.io.ModelWeights;
import semaim.order.SemanticAwareOrder;
import semaim.target.TargetConfig;
import semaim.torch.Scope;
import semaim.util.Rng;

class GradientFlowTest {
    @Test
    void everyTrainableParameterGetsAGradientAndThePositionEmbeddingNone() {
        try (Scope scope = Scope.open()) {
            SemAimModel model = TinyModels.model(5, TargetConfig.reference());
            model.train(true);
            Tensor images = TinyModels.images(4, 3, 16, 3);
            StepOutput out = model.forwardStep(images, SemanticAwareOrder.paper(), new Rng(1));
            out.loss().backward();
            int checked = 0;
            for (Map.Entry<String, Tensor> e : ModelWeights.stateDict(model).entrySet()) {
                String name = e.getKey();
                Tensor p = e.getValue();
                if (name.equals("pos_embed") || name.startsWith("gaussian_blur")) {
                    assertFalse(p.requires_grad(), name + " must be fixed");
                    assertFalse(p.grad().defined(), name + " got a gradient");
                    continue;
                }
                assertTrue(p.requires_grad(), name);
                assertTrue(p.grad().defined(), name + " got no gradient");
                double norm = p.grad().abs().sum().item_double();
                assertTrue(norm > 0 && Double.isFinite(norm), name + " gradient norm " + norm);
                checked++;
            }
            // 4 params outside blocks (cls, conv w/b... ) + 12 per encoder block + 16 per decoder block + head + norm
            assertTrue(checked >= 4 * 12 + 2 * 16, "checked only " + checked + " parameters");
            // The similarity pass ran without gradient and restored training mode.
            assertTrue(model.is_training());
        }
    }
}
