package semaim.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;

class HogTest {
    @Test
    void aVerticalEdgePutsItsMassInBinFour() {
        Torch.init();
        try (Scope s = Scope.open()) {
            int size = 16, patch = 8;
            // dark left half, bright right half: a vertical edge between columns 7 and 8 (un-normalised 0 and 1)
            Tensor img = Tensors.floats(new long[] {1, 1, size, size}, i -> (i % size) >= size / 2 ? 1.0 : 0.0);
            Hog hog = new Hog(1, patch, new float[] {0f}, new float[] {1f});
            assertEquals(9, hog.width(), "one 8x8 cell per 8-pixel patch, 9 bins");
            float[] h = Tensors.toFloats(hog.targets(img));                    // (1, 4, 9)
            assertEquals(4 * 9, h.length);
            for (int p = 0; p < 4; p++) {
                for (int k = 0; k < 9; k++) {
                    float v = h[p * 9 + k];
                    if (k == 4) {
                        assertEquals(1.0, v, 1e-6, "patch " + p + ": all mass in bin 4 (then L2-normalised)");
                    } else {
                        assertEquals(0.0, v, 1e-6, "patch " + p + " bin " + k);
                    }
                }
            }
            // a horizontal edge: gy != 0, gx = 0, atan2(0, gy) = 0 or pi -> bin 0
            Tensor flat = Tensors.floats(new long[] {1, 1, size, size}, i -> (i / size) >= size / 2 ? 1.0 : 0.0);
            float[] g = Tensors.toFloats(hog.targets(flat));
            assertEquals(1.0, g[0], 1e-6);
            assertTrue(g[4] < 1e-6);
        }
    }

    @Test
    void undoesTheNormalisationAndSplitsLargePatchesIntoCells() {
        Torch.init();
        try (Scope s = Scope.open()) {
            Tensor raw = Tensors.floats(new long[] {1, 3, 32, 32}, i -> Math.sin(i * 0.37) * 0.5 + 0.5);
            float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
            Tensor normalised = raw.sub(Tensors.floats(mean, 1, 3, 1, 1)).div(Tensors.floats(std, 1, 3, 1, 1));
            Tensor a = new Hog(3, 16, mean, std).targets(normalised);
            Tensor b = new Hog(3, 16, new float[] {0, 0, 0}, new float[] {1, 1, 1}).targets(raw);
            assertEquals(4 * 3 * 9, Hog.width(3, 16), "a 16-pixel patch is four 8x8 cells, 3 channels, 9 bins");
            assertEquals(java.util.List.of(1L, 4L, 108L), java.util.Arrays.stream(Tensors.shape(a)).boxed().toList());
            assertTrue(Tensors.maxAbsDiff(a, b) < 1e-4, "HOG of the un-normalised image");
        }
    }
}
