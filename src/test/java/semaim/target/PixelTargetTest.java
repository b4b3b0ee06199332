package semaim.target;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.torch.Tensors;

class PixelTargetTest {
    @Test
    void gaussianKernelCentreWeightIsTheReferenceValue() {
        float[] k = GaussianBlur.kernel(9, 1.0);
        assertEquals(0.159156, k[4 * 9 + 4], 1e-6);
        double sum = 0;
        for (float v : k) {
            sum += v;
        }
        assertEquals(1.0, sum, 1e-6);
        assertEquals(k[0], k[80]);   // symmetric
    }

    @Test
    void blurUsesZeroPadding() {
        // A constant image: inside it stays constant, at the border the zero padding pulls it down.
        GaussianBlur blur = new GaussianBlur(1, 3, 1.0);
        Tensor out = blur.forward(Tensors.floats(new long[] {1, 1, 5, 5}, i -> 1.0));
        float[] v = Tensors.toFloats(out);
        assertEquals(1.0, v[2 * 5 + 2], 1e-6);
        float[] k = GaussianBlur.kernel(3, 1.0);
        assertEquals(k[4] + k[5] + k[7] + k[8], v[0], 1e-6);   // corner sees only 4 of 9 weights
    }

    @Test
    void patchifyPutsChannelsLastInsideAPatch() {
        // 2 channels, 4x4 image, value = 100*c + 10*y + x
        Tensor img = Tensors.floats(new long[] {1, 2, 4, 4}, i -> 100 * (i / 16) + 10 * ((i % 16) / 4) + i % 4);
        float[] p = Tensors.toFloats(Patches.patchify(img, 2));   // (1, 4, 8)
        // patch 1 = rows 0-1, cols 2-3; element (py*2+px)*2+c
        assertArrayEquals(new float[] {2, 102, 3, 103, 12, 112, 13, 113}, java.util.Arrays.copyOfRange(p, 8, 16));
        Tensor back = Patches.unpatchify(Patches.patchify(img, 2), 2, 2);
        assertEquals(0.0, Tensors.maxAbsDiff(back, img));
    }

    @Test
    void plainL2AndL1LossOnAHandComputedExample() {
        // 1 channel, 2x2 image, patch 1: four 1-value patches. target = [1, 1, 0, 3], pred = [1, 0, 2, -1]
        Tensor img = Tensors.floats(new float[] {1, 1, 0, 3}, 1, 1, 2, 2);
        Tensor pred = Tensors.floats(new float[] {1, 0, 2, -1}, 1, 4, 1);
        PixelTarget l2 = new PixelTarget(TargetConfig.plainPixels(), 1, null);
        PixelTarget.Loss loss = l2.loss(pred, img);
        assertEquals(21.0 / 4, loss.loss().item_double(), 1e-6);   // (0 + 1 + 4 + 16) / 4
        assertArrayEquals(new float[] {0, 1, 4, 16}, Tensors.toFloats(loss.perPatch()));
        PixelTarget l1 = new PixelTarget(new TargetConfig(0, 0, false, LossType.L1), 1, null);
        assertEquals(7.0 / 4, l1.loss(pred, img).loss().item_double(), 1e-6);
    }

    @Test
    void normPixUsesUnbiasedVarianceAndEpsilonInsideTheRoot() {
        // One 2x2 patch [1, 2, 3, 4] (and three constant ones): mean 2.5, unbiased var 5/3.
        float[] px = new float[16];
        px[0] = 1;
        px[1] = 2;
        px[4] = 3;
        px[5] = 4;
        Tensor img = Tensors.floats(px, 1, 1, 4, 4);
        PixelTarget t = new PixelTarget(new TargetConfig(0, 0, true, LossType.L2), 2, null);
        float[] target = Tensors.toFloats(t.targets(img));
        double s = Math.sqrt(5.0 / 3 + 1e-6);
        assertArrayEquals(new float[] {(float) (-1.5 / s), (float) (-0.5 / s), (float) (0.5 / s), (float) (1.5 / s)},
                java.util.Arrays.copyOf(target, 4), 1e-6f);
        assertEquals(0f, target[4]);   // a constant patch normalises to 0 thanks to the epsilon
        // Loss against zero predictions: patch 0 has mean square 5 / (5/3 + 1e-6) / 4, the rest 0.
        PixelTarget.Loss loss = t.loss(Tensors.zeros(1, 4, 4), img);
        assertEquals(5 / (5.0 / 3 + 1e-6) / 4 / 4, loss.loss().item_double(), 1e-7);
    }
}
