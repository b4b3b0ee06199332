package semaim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import semaim.model.SemAimModel;
import semaim.torch.Precision;
import semaim.torch.Tensors;
import semaim.torch.Torch;

/**
 * Gradient accumulation ({@code --accum-steps}): one step on two accumulated half-batches is the step on the whole
 * batch (same loss, same gradients); and a non-finite loss in fp32 leaves the weights as
 * they were.
 */
class AccumulationTest {
    private static SemAimModel tinyModel() {
        return TinySteps.model(5);
    }

    private static TrainStep step(SemAimModel model, int accum) {
        return TinySteps.step(model, accum, Precision.FP32);   // no clip: the raw gradients
    }

    private static List<float[]> weights(TrainStep s) {
        return TinySteps.weights(s);
    }

    private static List<float[]> gradients(TrainStep s) {
        List<float[]> g = new ArrayList<>();
        for (Tensor p : s.trainable()) {
            g.add(Tensors.toFloats(p.grad()));
        }
        return g;
    }

    @Test
    void twoAccumulatedHalfBatchesEqualOneBatch() {
        Torch.init();
        Torch.manualSeed(11);
        Tensor images = torch.randn(8, 3, 16, 16);
        TrainStep whole = step(tinyModel(), 1);
        TrainStep.Stats one = whole.run(() -> images, null);
        TrainStep halves = step(tinyModel(), 2);
        Iterator<Tensor> parts = List.of(images.narrow(0, 0, 4), images.narrow(0, 4, 4)).iterator();
        TrainStep.Stats two = halves.run(parts::next, null);

        assertEquals(one.loss(), two.loss(), 1e-6 * one.loss(), "loss: the mean over the whole batch");
        assertEquals(one.gradNorm(), two.gradNorm(), 1e-5 * one.gradNorm(), "gradient: the whole batch's mean");
        List<float[]> ga = gradients(whole), gb = gradients(halves);
        for (int i = 0; i < ga.size(); i++) {
            for (int j = 0; j < ga.get(i).length; j++) {
                assertEquals(ga.get(i)[j], gb.get(i)[j], 1e-6 * one.gradNorm() + 1e-4 * Math.abs(ga.get(i)[j]),
                        "gradient of parameter " + i + " element " + j);
            }
        }
    }

    @Test
    void aNonFiniteLossInFp32LeavesTheWeightsUntouched() {
        TrainStep s = step(tinyModel(), 1);
        Tensor images = torch.randn(4, 3, 16, 16);
        assertFalse(s.run(() -> images, null).skipped());
        List<float[]> before = weights(s);
        Tensor bad = images.clone();
        bad.select(0, 1).fill_(new org.bytedeco.pytorch.Scalar(Float.NaN));
        TrainStep.Stats nan = s.run(() -> bad, null);
        assertFalse(Double.isFinite(nan.loss()));
        assertTrue(nan.skipped(), "the update of a NaN loss is not applied");
        List<float[]> after = weights(s);
        for (int i = 0; i < before.size(); i++) {
            assertEquals(java.util.Arrays.toString(before.get(i)), java.util.Arrays.toString(after.get(i)),
                    "a NaN step changes no weight");
        }
    }
}
