package semaim.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import semaim.torch.Torch;
import semaim.util.Rng;

class AttentiveProbeTest {
    /**
     * Separable by one token: every image is 16 tokens of noise, one of which (at a random place) carries its class's
     * direction. The mean of the tokens dilutes that signal 16 times; a learned query finds the token.
     */
    static Features.Tokens data(int rows, long seed) {
        int n = 16, d = 32, classes = 4;
        Rng r = new Rng(seed);
        float[] v = new float[rows * n * d];
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = i % classes;
            for (int j = 0; j < n * d; j++) {
                v[i * n * d + j] = (float) (r.nextGaussian() * 0.5);
            }
            int at = r.nextInt(n);
            v[(i * n + at) * d + labels[i]] += 4f;
            v[(i * n + at) * d + 8] += 4f;   // "I carry the class" marker, the same for all classes
        }
        return new Features.Tokens(v, rows, n, d, labels, classes);
    }

    @Test
    void reachesAHundredPercentOnSeparableTokens() {
        Torch.init();
        AttentiveProbe.Result r = AttentiveProbe.train(data(512, 1), data(128, 2), 25, 64, 0.01, 0.0, 1, 0, e -> { });
        System.out.printf("attentive probe on separable tokens: top-1 %.1f%%%n", r.top1());
        assertEquals(100.0, r.top1(), 1e-9);
    }
}
