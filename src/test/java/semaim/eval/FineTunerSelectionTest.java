package semaim.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.EvalTransform;
import semaim.data.FashionMnist;
import semaim.data.ImageSource;
import semaim.data.Subset;
import semaim.io.ModelWeights;
import semaim.model.ModelConfig;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;

/** A fine-tune whose epoch is chosen on a validation split reports the held-out score of the chosen weights. */
class FineTunerSelectionTest {
    @Test
    void theValidationSplitChoosesTheEpochAndTheHeldOutSetScoresIt(@TempDir Path dir) throws Exception {
        Torch.init();
        ModelConfig mc = ModelConfig.preset("vit_nano_patch4_28").withInChannels(1).withImageSize(16);
        ImageSource train = Subset.of(FashionMnist.embeddedTrain(), 64);
        ImageSource val = Subset.rows(FashionMnist.embeddedTrain(), new int[] {100, 101, 102, 103, 104, 105, 106, 107,
            108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119}, "20 validation images");
        ImageSource test = Subset.of(FashionMnist.embeddedTest(), 40);
        VisionTransformer vit = EncoderSource.random(mc, 3).build(VisionTransformer.Pooling.MEAN, 10);
        FineTuner.Options o = FineTuner.Options.shortRun(4, 16);
        FineTuner.Result r = FineTuner.run(vit, train, test, FineTuner.Selection.on(val, 2), o, Torch.device("cpu"),
                dir, Map.of(), semaim.torch.Distributed.single(), new FineTuner.Listener() {
                    public void started(int totalSteps) { }

                    public void step(int step, double loss, double lr) { }

                    public void epoch(int epoch, double top1, double top5, double loss) { }
                });
        assertEquals(2, r.history().size(), "validated at epochs 2 and 4");
        assertEquals(2.0, r.history().get(0)[0]);
        double best = Math.max(r.history().get(0)[2], r.history().get(1)[2]);
        assertEquals(best, r.bestValTop1(), 1e-9);
        assertEquals(r.history().get(0)[2] >= r.history().get(1)[2] ? 2 : 4, r.bestEpoch());
        VisionTransformer chosen = EncoderSource.random(mc, 9).build(VisionTransformer.Pooling.MEAN, 10);
        ModelWeights.load(chosen, r.best(), true);
        double[] acc = FineTuner.accuracy(chosen, test, EvalTransform.standard(16, 1), Torch.device("cpu"), 256);
        assertEquals(acc[0], r.bestTop1(), 1e-9, "the held-out score of the weights validation chose");
        VisionTransformer last = EncoderSource.random(mc, 9).build(VisionTransformer.Pooling.MEAN, 10);
        ModelWeights.load(last, r.last(), true);
        assertEquals(FineTuner.accuracy(last, test, EvalTransform.standard(16, 1), Torch.device("cpu"), 256)[0],
                r.lastTop1(), 1e-9);
    }
}
