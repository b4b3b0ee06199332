package semaim.eval.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.torch.Nn;
import semaim.torch.Optimizers;
import semaim.torch.Tensors;
import semaim.torch.Torch;

/** The simple feature pyramid's and the head's shapes, the loss terms on hand values, and a loss that falls. */
class FcosModelTest {
    @Test
    void thePyramidHasFourLevelsAroundThePatchGridAndTheHeadCoversTheirLocations() {
        Torch.init();
        SimpleFeaturePyramid pyramid = new SimpleFeaturePyramid(96, 32);
        Tensor tokens = Tensors.floats(new long[] {2, 14 * 14, 96}, i -> Math.sin(i * 0.37));
        List<Tensor> maps = pyramid.forward(tokens, 14);
        assertArrayEquals(new long[] {2, 32, 56, 56}, Tensors.shape(maps.get(0)));
        assertArrayEquals(new long[] {2, 32, 28, 28}, Tensors.shape(maps.get(1)));
        assertArrayEquals(new long[] {2, 32, 14, 14}, Tensors.shape(maps.get(2)));
        assertArrayEquals(new long[] {2, 32, 7, 7}, Tensors.shape(maps.get(3)));
        FcosHead.Output out = new FcosHead(32, 10, 4).forward(maps);
        int n = 56 * 56 + 28 * 28 + 14 * 14 + 7 * 7;
        assertArrayEquals(new long[] {2, n, 10}, Tensors.shape(out.classLogits()));
        assertArrayEquals(new long[] {2, n, 4}, Tensors.shape(out.distances()));
        assertArrayEquals(new long[] {2, n}, Tensors.shape(out.centrenessLogits()));
        // the prior: every location starts at p(class) = 0.01
        assertEquals(0.01, out.classLogits().sigmoid().mean().item_double(), 2e-3);
    }

    @Test
    void focalAndGiouTermsMatchHandValues() {
        Torch.init();
        Tensor logits = Tensors.floats(new float[] {0, 0}, 2), target = Tensors.floats(new float[] {1, 0}, 2);
        float[] focal = Tensors.toFloats(FcosLoss.focal(logits, target));
        // p = 0.5: CE = ln 2, (1 - p_t)^2 = 0.25; alpha 0.25 for the positive, 0.75 for the negative
        assertEquals(0.25 * Math.log(2) * 0.25, focal[0], 1e-6);
        assertEquals(0.75 * Math.log(2) * 0.25, focal[1], 1e-6);
        Tensor pred = Tensors.floats(new float[] {1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1}, 3, 4);
        Tensor truth = Tensors.floats(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 0, 1}, 3, 4);
        float[] giou = Tensors.toFloats(FcosLoss.generalisedIouLoss(pred, truth));
        assertEquals(0, giou[0], 1e-6, "the same box");
        assertEquals(0.75, giou[1], 1e-6, "a 2x2 box inside a 4x4 one: IoU 1/4, the enclosing box is the union");
        // pred 2x2 (x -1..1), truth 3x2 (x -3..0): inter 1x2 = 2, union 4 + 6 - 2 = 8, enclosing 4x2 = 8
        assertEquals(1 - 0.25, giou[2], 1e-6);
    }

    @Test
    void trainingOnOneImageLowersTheLoss() {
        Torch.init();
        torchSeed();
        SimpleFeaturePyramid pyramid = new SimpleFeaturePyramid(32, 16);
        FcosHead head = new FcosHead(16, 3, 4);
        int grid = 8, size = 64;                                    // a 64 px image with patch 8
        List<FcosTargets.Level> levels = FcosTargets.levels(size, 2, 4, 8, 16);
        FcosTargets.Targets t = FcosTargets.assign(levels, List.of(new FcosTargets.Truth(8, 8, 36, 30, 1),
                new FcosTargets.Truth(40, 34, 60, 62, 2)));
        int n = t.classes().length;
        float[] oneHot = new float[n * 3], pos = new float[n];
        for (int i = 0; i < n; i++) {
            if (t.classes()[i] > 0) {
                oneHot[i * 3 + t.classes()[i] - 1] = 1;
                pos[i] = 1;
            }
        }
        Tensor tokens = Tensors.floats(new long[] {1, grid * grid, 32}, i -> Math.sin(i * 0.11) + Math.cos(i * 0.07));
        List<Tensor> params = new ArrayList<>(Nn.namedParameters(pyramid).values());
        params.addAll(Nn.namedParameters(head).values());
        var opt = Optimizers.adamW(List.of(new Optimizers.ParamGroup("all", params, 0.0)), 1e-3, 0.9, 0.999, 1e-8);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++) {
            opt.zero_grad();
            FcosLoss.Terms terms = FcosLoss.compute(head.forward(pyramid.forward(tokens, grid)),
                    Tensors.floats(oneHot, 1, n, 3), Tensors.floats(pos, 1, n), Tensors.floats(t.ltrb(), 1, n, 4),
                    Tensors.floats(t.centreness(), 1, n));
            Tensor loss = terms.total();
            double v = loss.item_double();
            assertTrue(Double.isFinite(v), "step " + step + ": " + v);
            first = step == 0 ? v : first;
            last = v;
            loss.backward();
            opt.step();
        }
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
    }

    private static void torchSeed() {
        org.bytedeco.pytorch.global.torch.manual_seed(0);
    }
}
