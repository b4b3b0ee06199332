package semaim.model;

import org.bytedeco.pytorch.Tensor;

import semaim.target.TargetConfig;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.Rng;

/** Small models and inputs for tests. */
final class TinyModels {
    private TinyModels() {}

    /** 16 px, patch 4 (4x4 grid), width 32, depth 4, 2 heads, decoder depth 2. */
    static ModelConfig config() {
        return new ModelConfig("tiny-test", 16, 4, 3, 32, 4, 2, 2.0, 2, HeadType.MLP, 0.0, 1e-6);
    }

    static SemAimModel model(long seed, TargetConfig target) {
        Torch.init();
        Torch.manualSeed(seed);
        return new SemAimModel(config(), target);
    }

    /** Smooth random images (B, C, S, S) in roughly [-2, 2], like normalised photos. */
    static Tensor images(int batch, int channels, int size, long seed) {
        Rng r = new Rng(seed);
        float[] v = new float[batch * channels * size * size];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                double fx = 1 + r.nextDouble() * 3, fy = 1 + r.nextDouble() * 3, ph = r.nextDouble() * 6.28;
                double cx = r.nextDouble() * size, cy = r.nextDouble() * size;
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        double blob = Math.exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (size * 1.5));
                        double wave = Math.sin(fx * x * 6.28 / size + ph) * Math.cos(fy * y * 6.28 / size);
                        v[((b * channels + c) * size + y) * size + x] = (float) (1.5 * blob + 0.5 * wave - 0.5);
                    }
                }
            }
        }
        return Tensors.floats(v, batch, channels, size, size);
    }
}
