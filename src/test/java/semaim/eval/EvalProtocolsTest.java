package semaim.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.FashionMnist;
import semaim.data.Subset;
import semaim.data.TestData;
import semaim.io.CheckpointFolders;
import semaim.io.ModelWeights;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.train.ResumeTestAccess;
import semaim.util.Rng;

class EvalProtocolsTest {
    @TempDir
    Path dir;

    static Features.Set set(float[][] rows, int[] labels, int classes) {
        float[] v = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, v, i * rows[0].length, rows[0].length);
        }
        return new Features.Set(v, rows.length, rows[0].length, labels, classes);
    }

    @Test
    void knnOnHandMadeClustersGivesTheHandComputedAnswer() {
        Torch.init();
        // Train: a = (1, 0) class 0; b = (0.6, 0.8) and c = (0.8, 0.6) class 1 (all unit length).
        Features.Set train = set(new float[][] {{1, 0}, {0.6f, 0.8f}, {0.8f, 0.6f}}, new int[] {0, 1, 1}, 2);
        // Query (2, 0) normalises to (1, 0): similarities a = 1, c = 0.8, b = 0.6.
        Features.Set test = set(new float[][] {{2, 0}}, new int[] {1}, 2);
        // k = 1: nearest is a -> class 0, wrong.
        assertEquals(0.0, Knn.evaluate(train, test, new int[] {1}, 0.07, 8).get(1).top1());
        // k = 3, T = 0.07: e^(1/.07) = 1.6e6 beats e^(.8/.07) + e^(.6/.07) = 9.2e4 -> class 0, wrong.
        assertEquals(0.0, Knn.evaluate(train, test, new int[] {3}, 0.07, 8).get(3).top1());
        // k = 3, T = 1: e^1 = 2.718 < e^0.8 + e^0.6 = 4.048 -> class 1, right.
        assertEquals(100.0, Knn.evaluate(train, test, new int[] {3}, 1.0, 8).get(3).top1());
        assertEquals(100.0, Knn.evaluate(train, test, new int[] {1}, 0.07, 8).get(1).top5());
    }

    @Test
    void knnChunksGiveTheSameAnswerAsOnePass() {
        Torch.init();
        Rng r = new Rng(3);
        float[][] tr = new float[200][8], te = new float[50][8];
        int[] trl = new int[200], tel = new int[50];
        for (int i = 0; i < 200; i++) {
            trl[i] = i % 4;
            for (int d = 0; d < 8; d++) {
                tr[i][d] = (float) ((d == trl[i] ? 2 : 0) + r.nextDouble());
            }
        }
        for (int i = 0; i < 50; i++) {
            tel[i] = i % 4;
            for (int d = 0; d < 8; d++) {
                te[i][d] = (float) ((d == tel[i] ? 2 : 0) + r.nextDouble());
            }
        }
        var a = Knn.evaluate(set(tr, trl, 4), set(te, tel, 4), new int[] {10, 20}, 0.07, 7);
        var b = Knn.evaluate(set(tr, trl, 4), set(te, tel, 4), new int[] {10, 20}, 0.07, 500);
        assertEquals(a, b);
        assertTrue(a.get(20).top1() > 90);
    }

    @Test
    void linearProbeSeparatesLinearlySeparableData() {
        Torch.init();
        Rng r = new Rng(5);
        int n = 512;
        float[][] x = new float[n][4], xt = new float[128][4];
        int[] y = new int[n], yt = new int[128];
        for (int i = 0; i < n + 128; i++) {
            float[] row = new float[4];
            for (int d = 0; d < 4; d++) {
                row[d] = (float) (r.nextDouble() * 2 - 1);
            }
            int label = row[0] + 0.5f * row[1] > 0.1f ? 1 : 0;
            if (Math.abs(row[0] + 0.5f * row[1] - 0.1f) < 0.05f) {
                row[0] += label == 1 ? 0.1f : -0.1f;   // a margin
            }
            if (i < n) {
                x[i] = row;
                y[i] = label;
            } else {
                xt[i - n] = row;
                yt[i - n] = label;
            }
        }
        LinearProbe.Result res = LinearProbe.train(set(x, y, 2), set(xt, yt, 2), 60, 64, 0.1 * 4, 0, 0, e -> { });
        assertEquals(100.0, res.top1(), 0.0, "history " + res.history().get(res.history().size() - 1)[2]);
    }

    @Test
    void layerDecayScalesForTwelveBlocksAre065PowThirteenMinusId() {
        for (int id = 0; id <= 13; id++) {
            assertEquals(Math.pow(0.65, 13 - id), LayerDecay.scale(id, 12, 0.65), 1e-15);
        }
        assertEquals(0, VisionTransformer.layerId("cls_token", 12));
        assertEquals(0, VisionTransformer.layerId("patch_embed.proj.weight", 12));
        assertEquals(4, VisionTransformer.layerId("blocks.3.mlp.fc1.weight", 12));
        assertEquals(12, VisionTransformer.layerId("blocks.11.norm1.bias", 12));
        assertEquals(13, VisionTransformer.layerId("fc_norm.weight", 12));
        assertEquals(13, VisionTransformer.layerId("head.bias", 12));
        Torch.init();
        VisionTransformer vit = new VisionTransformer(semaim.model.ModelConfig.preset("vit_base_patch16_224")
                .withInChannels(3), VisionTransformer.Pooling.MEAN, 10);
        Map<String, Tensor> named = new java.util.LinkedHashMap<>();
        var p = vit.named_parameters(true);
        for (long i = 0; i < p.size(); i++) {
            named.put(p.get(i).key().getString(), semaim.torch.Tensors.handle(p.get(i).value()));
        }
        LayerDecay.Groups g = LayerDecay.of(named, 12, 0.05, 0.65);
        for (int i = 0; i < g.groups().size(); i++) {
            String name = g.groups().get(i).name();
            int id = Integer.parseInt(name.substring(6, 9));
            assertEquals(Math.pow(0.65, 13 - id), g.scales()[i], 1e-15, name);
            assertEquals(name.endsWith("no_decay") ? 0.0 : 0.05, g.groups().get(i).weightDecay(), name);
        }
        assertEquals(28, g.groups().size());   // 14 layer ids x (decay, no decay)
    }

    @Test
    void mixedTargetsSumToOne() {
        Mixup m = new Mixup(0.8, 1.0, 1.0, 0.5, 0.1, 10);
        Rng rng = new Rng(1);
        for (int trial = 0; trial < 200; trial++) {
            float[] images = new float[4 * 3 * 8 * 8];
            int[] labels = {trial % 10, (trial + 3) % 10, 7, 7};
            float[] t = m.apply(images, labels, 3, 8, rng);
            for (int i = 0; i < 4; i++) {
                double sum = 0;
                for (int c = 0; c < 10; c++) {
                    assertTrue(t[i * 10 + c] >= 0);
                    sum += t[i * 10 + c];
                }
                assertEquals(1.0, sum, 1e-5);
            }
        }
        // CutMix lambda follows the pasted box: a batch of 0s and 1s mixes to the target weights.
        Mixup cut = new Mixup(0, 1.0, 1.0, 0.5, 0.0, 2);
        float[] img = new float[2 * 16 * 16];
        java.util.Arrays.fill(img, 256, 512, 1f);   // image 1 all ones
        float[] t = cut.apply(img, new int[] {0, 1}, 1, 16, new Rng(4));
        double ones = 0;
        for (int i = 0; i < 256; i++) {
            ones += img[i];
        }
        assertEquals(ones / 256, t[1], 1e-6);   // image 0's weight on class 1 = pasted area fraction
    }

    @Test
    void fineTuningLoadsAPretrainingCheckpointAndIgnoresTheDecoder() throws Exception {
        Path data = TestData.writeIdx(dir, 64);
        PretrainConfig cfg = ResumeTestAccess.tiny(data.toString(), 2);
        Pretrainer.Result pre = new Pretrainer(cfg, dir.resolve("pre"), null).run(() -> false,
                ResumeTestAccess.quiet());
        EncoderCheckpoint ck = EncoderCheckpoint.open(dir.resolve("pre"));
        assertEquals(cfg.modelConfig(1), ck.modelConfig());
        // The weights file alone is enough to rebuild the model (architecture and target in its metadata).
        Path alone = Files.copy(pre.lastCheckpoint().resolve(CheckpointFolders.MODEL), dir.resolve("alone.safetensors"));
        EncoderCheckpoint single = EncoderCheckpoint.open(alone);
        assertEquals(cfg.modelConfig(1), single.modelConfig());
        assertEquals(cfg.target(), single.targetConfig());
        VisionTransformer vit = new VisionTransformer(ck.modelConfig(), VisionTransformer.Pooling.MEAN, 10);
        ModelWeights.LoadReport r = vit.loadEncoder(ck.weights(), "test");
        assertTrue(r.unexpected().stream().anyMatch(k -> k.startsWith("query_blocks.")));
        assertTrue(r.unexpected().stream().anyMatch(k -> k.startsWith("prediction_head.")));
        assertTrue(r.unexpected().contains("gaussian_blur.weight"));
        assertEquals(List.of("fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias"), r.missing());
        assertTrue(torch.equal(ModelWeights.stateDict(vit).get("blocks.1.attn.qkv.weight"),
                ck.weights().get("blocks.1.attn.qkv.weight")));
        assertTrue(ModelWeights.stateDict(vit).get("pos_embed").requires_grad(), "position embedding is trainable");
        // One short fine-tuning epoch runs and evaluates on the held-out split.
        FineTuner.Options o = FineTuner.Options.reference(1, 16);
        FineTuner.Result res = FineTuner.run(vit, Subset.of(FashionMnist.embeddedTrain(), 64),
                Subset.of(FashionMnist.embeddedTest(), 48), o, Torch.device("cpu"), dir.resolve("ft"), Map.of(),
                new FineTuner.Listener() {
                    @Override
                    public void started(int totalSteps) {
                        assertEquals(4, totalSteps);
                    }

                    @Override
                    public void step(int step, double loss, double lr) {
                        assertTrue(Double.isFinite(loss));
                    }

                    @Override
                    public void epoch(int epoch, double top1, double top5, double loss) { }
                });
        assertEquals(1, res.history().size());
        assertTrue(java.nio.file.Files.exists(res.best()) && java.nio.file.Files.exists(res.last()));
    }
}
