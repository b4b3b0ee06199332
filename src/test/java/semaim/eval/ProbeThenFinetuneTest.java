package semaim.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.EvalTransform;
import semaim.data.FashionMnist;
import semaim.data.ImageSource;
import semaim.data.Subset;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.VisionTransformer;
import semaim.torch.Distributed;
import semaim.torch.Torch;
import semaim.util.Rng;

/** LP-FT: the linear probe folded into one linear map, and a fine-tune whose head starts from it. */
class ProbeThenFinetuneTest {
    @TempDir
    Path dir;

    /**
     * Features far from zero mean and of unequal scales, so the folded map is wrong unless both the BatchNorm's
     * mean shift and its per-input scale are folded in: it must score as the probe itself (eval-mode BatchNorm).
     */
    @Test
    void foldedProbeScoresAsTheProbe() {
        Torch.init();
        int d = 6, classes = 3;
        Features.Set train = blobs(new Rng(1), 600, d, classes), test = blobs(new Rng(2), 300, d, classes);
        LinearProbe.Result probe = LinearProbe.train(train, test, 8, 64, 0.1, 0, 5, e -> { });
        float[][] wb = LinearProbe.fitFolded(train, classes, 8, 64, 0.1, 0, 0.0, 5, Distributed.single());
        int hits = 0;
        for (int i = 0; i < test.rows(); i++) {
            int best = 0;
            double bestLogit = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double logit = wb[1][c];
                for (int j = 0; j < d; j++) {
                    logit += wb[0][c * d + j] * test.values()[i * d + j];
                }
                if (logit > bestLogit) {
                    bestLogit = logit;
                    best = c;
                }
            }
            hits += best == test.labels()[i] ? 1 : 0;
        }
        assertTrue(probe.top1() > 60 && probe.top1() < 100, "the probe should be good, not perfect: " + probe.top1());
        assertEquals(probe.top1(), 100.0 * hits / test.rows(), 100.0 / test.rows() + 1e-9);
    }

    /**
     * With a learning rate too small to move anything, LP-FT scores what the linear probe on the frozen (random)
     * encoder's features scores, far above the chance a randomly started head gives.
     */
    @Test
    void fineTuningStartsFromTheFittedProbe() throws IOException {
        Torch.init();
        ModelConfig mc = new ModelConfig("lpft-test", 28, 7, 1, 32, 2, 2, 2.0, 1, HeadType.MLP, 0.0, 1e-6);
        ImageSource train = Subset.of(FashionMnist.embeddedTrain(), 256), test = Subset.of(FashionMnist.embeddedTest(), 200);
        FineTuner.Options frozen = new FineTuner.Options(1, 64, 1e-12, 0, 0, 0, 1.0, 0, 0, 0, 0, 0, 1.0, false, 0, 0, 1,
                0);
        Torch.manualSeed(4);
        VisionTransformer vit = new VisionTransformer(mc, VisionTransformer.Pooling.MEAN, 10);
        EvalTransform t = EvalTransform.standard(28, 1);
        Features.Set[] f = {Features.extract(vit, train, t, Torch.device("cpu"), 64, n -> { }),
                Features.extract(vit, test, t, Torch.device("cpu"), 64, n -> { })};
        double probe = LinearProbe.train(f[0], f[1], 30, 256, 0.1, 0, 0, e -> { }).top1();

        double lpft = finetune(vit, train, test, frozen.withProbeEpochs(30));
        Torch.manualSeed(4);
        double randomHead = finetune(new VisionTransformer(mc, VisionTransformer.Pooling.MEAN, 10), train, test, frozen);
        assertTrue(probe > 40, "a linear probe on random features of Fashion-MNIST: " + probe);
        assertEquals(probe, lpft, 1.0, "LP-FT at a zero learning rate is the probe");
        assertTrue(randomHead < probe - 15, "a random head: " + randomHead + " vs the probe's " + probe);
    }

    private double finetune(VisionTransformer vit, ImageSource train, ImageSource test, FineTuner.Options o)
            throws IOException {
        return FineTuner.run(vit, train, test, o, Torch.device("cpu"), dir, Map.of(), new FineTuner.Listener() {
            @Override
            public void started(int totalSteps) { }

            @Override
            public void step(int step, double loss, double lr) { }

            @Override
            public void epoch(int epoch, double top1, double top5, double loss) { }
        }).lastTop1();
    }

    /** Gaussian blobs, class c centred at 20 + 1.5 c on dimension c % d, each dimension scaled by 1 + j. */
    private static Features.Set blobs(Rng r, int n, int d, int classes) {
        float[] v = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < d; j++) {
                double centre = 20 + (j == y[i] % d ? 1.5 : 0);
                v[i * d + j] = (float) ((centre + r.nextGaussian()) * (1 + j));
            }
        }
        return new Features.Set(v, n, d, y, classes);
    }
}
