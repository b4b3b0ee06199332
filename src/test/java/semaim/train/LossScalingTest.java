package semaim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import semaim.model.SemAimModel;
import semaim.torch.LossScaler;
import semaim.torch.Precision;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;

/**
 * fp16 training's dynamic loss scale (the code path the GPU build uses, run here under CPU fp16 autocast):
 * GradScaler's schedule, exact unscaling, and a step with overflowing gradients skipped without touching a weight.
 */
class LossScalingTest {
    private static SemAimModel tinyModel() {
        return TinySteps.model(3);
    }

    private static TrainStep step(SemAimModel model, Precision precision) {
        return TinySteps.step(model, 1, precision);
    }

    private static List<float[]> weights(TrainStep s) {
        return TinySteps.weights(s);
    }

    @Test
    void scheduleFollowsGradScaler() {
        LossScaler s = LossScaler.dynamic();
        assertEquals(65536.0, s.scale());
        assertFalse(s.update(Double.POSITIVE_INFINITY), "inf gradients: skip");
        assertEquals(32768.0, s.scale());
        assertFalse(s.update(Double.NaN));
        assertEquals(16384.0, s.scale());
        for (int i = 0; i < LossScaler.GROWTH_INTERVAL - 1; i++) {
            assertTrue(s.update(1.0));
        }
        assertEquals(16384.0, s.scale(), "grows only after 2000 good steps in a row");
        assertTrue(s.update(1.0));
        assertEquals(32768.0, s.scale());
        assertEquals(new LossScaler.State(32768.0, 0), s.state());
        LossScaler none = LossScaler.forPrecision(Precision.BF16);
        assertTrue(none.update(Double.NaN), "bf16/fp32 never skip");
        assertEquals(1.0, none.scale());
        assertEquals(null, none.state());
    }

    @Test
    void unscaledGradientsEqualUnscaledBackwardBitForBit() {
        try (Scope s = Scope.open()) {
            Torch.init();
            Tensor w = torch.randn(4, 3).set_requires_grad(true);
            Tensor x = torch.randn(5, 4);
            x.matmul(w).pow(Tensors.scalar(2)).mean().backward();
            float[] plain = Tensors.toFloats(w.grad());
            w.grad().zero_();
            LossScaler scaler = LossScaler.dynamic();
            scaler.scale(x.matmul(w).pow(Tensors.scalar(2)).mean()).backward();
            scaler.unscale(List.of(w));
            assertEquals(java.util.Arrays.toString(plain), java.util.Arrays.toString(Tensors.toFloats(w.grad())));
        }
    }

    @Test
    void overflowingStepIsSkippedAndTheScaleHalved() {
        SemAimModel model = tinyModel();
        TrainStep s = step(model, Precision.FP16);
        Tensor images = torch.randn(4, 3, 16, 16);
        TrainStep.Stats first = s.run(() -> images, null);
        assertFalse(first.skipped());
        assertEquals(65536.0, first.lossScale());
        assertTrue(Double.isFinite(first.loss()) && Double.isFinite(first.gradNorm()));

        s.lossScaler().restore(new LossScaler.State(1e39, 0));   // loss x scale overflows: inf gradients
        List<float[]> before = weights(s);
        TrainStep.Stats overflow = s.run(() -> images, null);
        assertTrue(overflow.skipped(), "inf/NaN gradients skip the update");
        assertFalse(Double.isFinite(overflow.gradNorm()));
        List<float[]> after = weights(s);
        for (int i = 0; i < before.size(); i++) {
            assertEquals(java.util.Arrays.toString(before.get(i)), java.util.Arrays.toString(after.get(i)),
                    "a skipped step changes no weight");
        }
        assertEquals(5e38, s.lossScaler().scale());
        s.lossScaler().restore(new LossScaler.State(1024, 0));
        TrainStep.Stats next = s.run(() -> images, null);
        assertFalse(next.skipped(), "training goes on at a sane scale");
        assertTrue(Double.isFinite(next.gradNorm()));
    }

    @Test
    void fp16GradientsMatchFp32Closely() {
        SemAimModel a = tinyModel(), b = tinyModel();
        Tensor images = torch.randn(4, 3, 16, 16);
        double g32 = step(a, Precision.FP32).run(() -> images, null).gradNorm();
        double g16 = step(b, Precision.FP16).run(() -> images, null).gradNorm();
        assertEquals(g32, g16, 0.02 * g32, "fp16 autocast with loss scaling: gradient norm " + g16 + " vs " + g32);
    }
}
