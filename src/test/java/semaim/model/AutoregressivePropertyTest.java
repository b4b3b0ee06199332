package semaim.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.order.RasterOrder;
import semaim.target.TargetConfig;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * The defining property of autoregressive modelling: a patch's prediction depends only on patches earlier in the
 * order. Changing the pixels of the patch at rank r leaves every prediction of rank &lt;= r unchanged (the encoder
 * mask keeps it out of earlier tokens, the strict decoder mask keeps it out of its own prediction) and changes
 * the predictions of later patches.
 */
class AutoregressivePropertyTest {
    @Test
    void editingALatePatchChangesOnlyLaterPredictions() {
        try (Scope scope = Scope.open()) {
            SemAimModel model = TinyModels.model(3, TargetConfig.reference());
            model.eval();
            int n = model.config().numPatches();     // 16 patches on a 4x4 grid
            int p = model.config().patchSize();
            // A scrambled order: patch t has rank ranks[t].
            float[] ranks = {5, 12, 0, 9, 14, 3, 7, 1, 10, 15, 2, 11, 6, 4, 13, 8};
            Tensor order = Tensors.floats(ranks, 1, n);
            int edited = 11;                          // rank 11 of 16: late in the order
            int rankEdited = (int) ranks[edited];
            Tensor images = TinyModels.images(1, 3, 16, 1);
            float[] px = Tensors.toFloats(images);
            int row = edited / 4, col = edited % 4;
            for (int c = 0; c < 3; c++) {
                for (int y = row * p; y < row * p + p; y++) {
                    for (int x = col * p; x < col * p + p; x++) {
                        px[(c * 16 + y) * 16 + x] += 3.0f;
                    }
                }
            }
            Tensor changed = Tensors.floats(px, 1, 3, 16, 16);
            float[][] before = Tensors.toFloats2d(Tensors.noGrad(() -> model.forwardStep(images, order)).prediction()
                    .select(0, 0));
            float[][] after = Tensors.toFloats2d(Tensors.noGrad(() -> model.forwardStep(changed, order)).prediction()
                    .select(0, 0));
            for (int t = 0; t < n; t++) {
                double diff = 0;
                for (int k = 0; k < before[t].length; k++) {
                    diff = Math.max(diff, Math.abs(before[t][k] - after[t][k]));
                }
                if (ranks[t] <= rankEdited) {
                    assertTrue(diff == 0.0, "patch " + t + " (rank " + ranks[t] + ") changed by " + diff);
                } else {
                    assertTrue(diff > 1e-4, "patch " + t + " (rank " + ranks[t] + ") did not change");
                }
            }
        }
    }

    @Test
    void explicitOrderMakesTheForwardPassDeterministic() {
        try (Scope scope = Scope.open()) {
            SemAimModel model = TinyModels.model(4, TargetConfig.reference());
            Tensor images = TinyModels.images(2, 3, 16, 2);
            Tensor order = model.orderOfImages(images, new RasterOrder(), new Rng(0));
            Tensor a = model.forwardStep(images, order).prediction();
            Tensor b = model.forwardStep(images, order).prediction();
            assertTrue(Tensors.maxAbsDiff(a, b) == 0.0);
        }
    }
}
