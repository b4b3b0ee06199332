package semaim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.io.ModelWeights;
import semaim.torch.Tensors;
import semaim.torch.Torch;

class PoolingTest {
    /**
     * CONCAT reads the last four blocks: its last slice is the mean-pooled feature (fc_norm starts as a weightless
     * layer norm), and each slice is standardised per image; the earlier slices come from earlier blocks.
     */
    @Test
    void concatStacksTheStandardisedMeanTokensOfTheLastFourBlocks() {
        Torch.init();
        ModelConfig mc = new ModelConfig("pool-test", 16, 4, 3, 32, 6, 2, 2.0, 2, HeadType.MLP, 0.0, 1e-6);
        Torch.manualSeed(3);
        VisionTransformer concat = new VisionTransformer(mc, VisionTransformer.Pooling.CONCAT, 0);
        VisionTransformer mean = new VisionTransformer(mc, VisionTransformer.Pooling.MEAN, 0);
        Map<String, Tensor> w = ModelWeights.stateDict(concat);
        mean.loadEncoder(w, "concat");
        assertEquals(4 * 32, concat.pooledDim());
        Tensor x = TinyModels.images(3, 3, 16, 9);
        float[] c = Tensors.toFloats(Tensors.noGrad(() -> concat.features(x)));
        float[] m = Tensors.toFloats(Tensors.noGrad(() -> mean.features(x)));
        assertEquals(3 * 128, c.length);
        for (int b = 0; b < 3; b++) {
            float[] last = java.util.Arrays.copyOfRange(c, b * 128 + 96, b * 128 + 128);
            assertArrayEquals(java.util.Arrays.copyOfRange(m, b * 32, b * 32 + 32), last, 1e-4f);
            for (int s = 0; s < 4; s++) {
                double sum = 0, sq = 0;
                for (int i = 0; i < 32; i++) {
                    double v = c[b * 128 + s * 32 + i];
                    sum += v;
                    sq += v * v;
                }
                assertEquals(0, sum / 32, 1e-4, "slice " + s + " centred");
                assertEquals(1, sq / 32, 1e-3, "slice " + s + " of unit variance");
            }
            double diff = 0;
            for (int i = 0; i < 32; i++) {
                diff += Math.abs(c[b * 128 + i] - c[b * 128 + 96 + i]);
            }
            assertTrue(diff > 1, "block 3 and block 6 differ: " + diff);
        }
    }
}
