package semaim.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.order.SemanticAwareOrder;
import semaim.target.TargetConfig;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * Two Bytedeco lifetime traps, forced by garbage collection instead of left to chance: a registered module whose
 * Java peer is collected breaks {@code train/eval} with a NullPointerException, and a tensor handle that points
 * into a parameter list aborts the process once the list moves.
 */
class NativePeerLifetimeTest {
    @Test
    void modelSurvivesGarbageCollectionBetweenSteps() {
        SemAimModel model = TinyModels.model(1, TargetConfig.reference());
        Tensor images = TinyModels.images(2, 3, 16, 1);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            try (Scope scope = Scope.open()) {
                model.eval();
                model.train(true);
                StepOutput out = model.forwardStep(images, SemanticAwareOrder.paper(), new Rng(round));
                out.loss().backward();
                assertTrue(Double.isFinite(out.loss().item_double()));
                assertTrue(Tensors.toFloats(model.clsToken).length == 32);
            }
        }
    }
}
