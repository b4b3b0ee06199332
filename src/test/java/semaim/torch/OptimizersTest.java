package semaim.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** AdamW through the presets against a hand-computed AdamW (catches the reversed betas of the C++ tuple). */
class OptimizersTest {
    @Test
    void adamWMatchesAHandComputedUpdateWithBetas09And095() {
        Torch.init();
        Tensor w = Tensors.floats(new float[] {1.0f}, 1).set_requires_grad(true);
        Tensor u = Tensors.floats(new float[] {-2.0f}, 1).set_requires_grad(true);
        double lr = 0.1, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.05;
        AdamW opt = Optimizers.adamW(List.of(new Optimizers.ParamGroup("decay", List.of(w), wd),
                new Optimizers.ParamGroup("no_decay", List.of(u), 0.0)), lr, b1, b2, eps);
        double hw = 1.0, hu = -2.0;
        double[] mw = {0}, vw = {0}, mu = {0}, vu = {0};
        for (int step = 1; step <= 5; step++) {
            try (Scope s = Scope.open()) {
                opt.zero_grad();
                // loss = w^3 + u^2: gradients 3w^2 and 2u change every step, so the betas matter
                w.pow(Tensors.scalar(3)).sum().add(u.mul(u).sum()).backward();
                opt.step();
            }
            hw = adamw(hw, 3 * hw * hw, mw, vw, step, lr, b1, b2, eps, wd);
            hu = adamw(hu, 2 * hu, mu, vu, step, lr, b1, b2, eps, 0.0);
        }
        assertEquals(hw, w.item_double(), 1e-6);
        assertEquals(hu, u.item_double(), 1e-6);
        // the optimiser's result is not what swapped betas give (guards beta1/beta2 passed the wrong way round)
        double swapped = 1.0;
        double[] m = {0}, v = {0};
        for (int step = 1; step <= 5; step++) {
            swapped = adamw(swapped, 3 * swapped * swapped, m, v, step, lr, b2, b1, eps, wd);
        }
        assertTrue(Math.abs(swapped - w.item_double()) > 1e-4, "libtorch's AdamW ran with swapped betas");
    }

    private static double adamw(double p, double g, double[] m, double[] v, int t, double lr, double b1, double b2,
            double eps, double wd) {
        p *= 1 - lr * wd;
        m[0] = b1 * m[0] + (1 - b1) * g;
        v[0] = b2 * v[0] + (1 - b2) * g * g;
        double mhat = m[0] / (1 - Math.pow(b1, t)), vhat = v[0] / (1 - Math.pow(b2, t));
        return p - lr * mhat / (Math.sqrt(vhat) + eps);
    }
}
