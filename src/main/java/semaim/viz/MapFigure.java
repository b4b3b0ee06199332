package semaim.viz;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.AugmentConfig;
import semaim.data.DecodedImage;
import semaim.data.EvalTransform;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.model.SimilarityMaps;
import semaim.model.Teacher;
import semaim.order.OrderInput;
import semaim.order.PatchOrder;
import semaim.order.RasterOrder;
import semaim.order.SemanticAwareOrder;
import semaim.order.SimilarityKind;
import semaim.order.SimilarityOrder;
import semaim.order.StochasticOrder;
import semaim.target.FeatureLoss;
import semaim.target.Patches;
import semaim.target.TargetKind;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * The rows of the paper's Fig. 2 / S1 for any model and images: the input, the last block's CLS self-attention
 * (mean over heads), the similarity map S, the raster, stochastic, similarity and semantic-aware orders (warm =
 * predicted first), and the semantic-order predictions de-normalised next to the (blurred) target. A model trained
 * on a teacher's features also shows the teacher's similarity map (min-max, as the reference's
 * {@code calculate_similarity}), which then sets the similarity and semantic orders, as in training; feature and
 * HOG predictions are not pixels, so their two panels are left out.
 */
public final class MapFigure {
    public static final List<String> CAPTIONS = List.of("input", "self-attention", "similarity S", "raster",
            "stochastic", "similarity order", "semantic order", "prediction", "target", "PCA of patches");

    private MapFigure() {}

    /** A segmenter's predictions: normalised images (B, C, S, S) -> class ids (B, S, S), 1..classes. */
    public record Masks(java.util.function.Function<Tensor, Tensor> predict, int classes) {}

    /** The panel captions with a segmenter's masks (null: none). */
    public static List<String> captions(SemAimModel model, Teacher teacher, Masks masks) {
        List<String> c = captions(model, teacher);
        if (masks != null) {
            c.add("predicted mask");
        }
        return c;
    }

    /** The panel captions for {@code model}, with or without a teacher. */
    public static List<String> captions(SemAimModel model, Teacher teacher) {
        List<String> c = new ArrayList<>(CAPTIONS.subList(0, 3));
        if (teacher != null) {
            c.add("teacher similarity");
        }
        c.addAll(CAPTIONS.subList(3, 7));
        if (model.targetConfig().kind() == TargetKind.PIXEL) {
            c.addAll(CAPTIONS.subList(7, 9));
        }
        c.add(CAPTIONS.get(9));
        return c;
    }

    /** One row of panels per image (all panels of side about 112 px). */
    public static List<List<BufferedImage>> rows(SemAimModel model, List<DecodedImage> images, long seed) {
        return rows(model, images, seed, null);
    }

    /** As above, with the teacher whose similarity orders the patches ({@code teacher} may be null). */
    public static List<List<BufferedImage>> rows(SemAimModel model, List<DecodedImage> images, long seed,
            Teacher teacher) {
        return rows(model, images, seed, teacher, null);
    }

    /** As above, with a segmenter's predicted masks as the last panel ({@code masks} may be null). */
    public static List<List<BufferedImage>> rows(SemAimModel model, List<DecodedImage> images, long seed,
            Teacher teacher, Masks masks) {
        ModelConfig mc = model.config();
        int s = mc.imageSize(), c = mc.inChannels(), g = mc.gridSize();
        int scale = Math.max(1, Math.round(112f / s));
        double[] mean = AugmentConfig.defaultMean(c), std = AugmentConfig.defaultStd(c);
        EvalTransform t = new EvalTransform(s, 0.875, mean, std);
        float[] px = new float[images.size() * c * s * s];
        for (int i = 0; i < images.size(); i++) {
            t.apply(images.get(i), px, i * c * s * s);
        }
        List<List<BufferedImage>> rows = new ArrayList<>();
        boolean wasTraining = model.is_training();
        model.eval();
        try (Scope scope = Scope.open()) {
            Device device = model.device();   // the model may live on a GPU; the maps are drawn on the CPU
            Tensor x = Tensors.floats(px, images.size(), c, s, s).to(device, torch.ScalarType.Float);
            SimilarityMaps maps = model.similarityPass(x, SimilarityKind.CLS);
            float[][] sim = Tensors.toFloats2d(maps.similarity());
            float[][] att = Tensors.toFloats2d(maps.clsAttention());
            float[] pca = pcaColours(maps.tokens(), g);                                          // (B, 3, g, g)
            long[] predicted = masks == null ? null : Tensors.toLongs(masks.predict().apply(x));   // (B, S, S)
            float[][] teacherSim = teacher == null ? null : Tensors.toFloats2d(
                    FeatureLoss.similarity(Tensors.noGrad(() -> teacher.tokens(x))));
            boolean pixels = model.targetConfig().kind() == TargetKind.PIXEL;
            Rng rng = new Rng(seed);
            OrderInput in = new OrderInput(images.size(), g, g,
                    teacherSim != null && model.targetConfig().orderFromTeacher() ? teacherSim : sim);
            List<PatchOrder> orders = List.of(new RasterOrder(), new StochasticOrder(),
                    new SimilarityOrder(SimilarityKind.CLS), SemanticAwareOrder.paper());
            List<float[][]> orderValues = new ArrayList<>();
            for (PatchOrder o : orders) {
                orderValues.add(o.generate(in, rng));
            }
            float[] predPx = null, targetPx = null;
            if (pixels) {
                Tensor semantic = Tensors.fromFloats2d(orderValues.get(3)).to(device, torch.ScalarType.Float);
                Tensor pred = Tensors.noGrad(() -> model.forwardStep(x, semantic).prediction());       // (B, N, K)
                Tensor predPixels = model.pixelTarget().denormalise(pred, x);
                Tensor predImage = Patches.unpatchify(predPixels, mc.patchSize(), c);                    // (B, C, S, S)
                Tensor targetImage = Patches.unpatchify(model.pixelTarget().blurredPatches(x), mc.patchSize(), c);
                predPx = Tensors.toFloats(predImage);
                targetPx = Tensors.toFloats(targetImage);
            }
            int per = c * s * s;
            for (int i = 0; i < images.size(); i++) {
                BufferedImage input = Panels.image(unnormalise(px, i * per, c, s, mean, std), c, s, scale);
                List<BufferedImage> row = new ArrayList<>();
                row.add(input);
                row.add(Panels.overlay(input, att[i], g, true, true));
                row.add(Panels.overlay(input, sim[i], g, true, true));
                if (teacherSim != null) {
                    row.add(Panels.overlay(input, teacherSim[i], g, true, true));
                }
                for (float[][] v : orderValues) {
                    row.add(Panels.overlay(input, Panels.orderHeat(v[i]), g, false, false));
                }
                if (pixels) {
                    row.add(Panels.image(unnormalise(predPx, i * per, c, s, mean, std), c, s, scale));
                    row.add(Panels.image(unnormalise(targetPx, i * per, c, s, mean, std), c, s, scale));
                }
                row.add(Panels.image(java.util.Arrays.copyOfRange(pca, i * 3 * g * g, (i + 1) * 3 * g * g), 3, g,
                        input.getWidth() / g));
                if (predicted != null) {
                    row.add(Panels.image(maskColours(predicted, i * s * s, s, masks.classes()), 3, s, scale));
                }
                rows.add(row);
            }
        } finally {
            model.train(wasTraining);
        }
        return rows;
    }

    /**
     * The picture DINO papers show: the patch tokens of all images (after the final norm) projected on their first
     * three principal components, each scaled to [0, 1] over the batch and shown as red, green and blue.
     * (B, T, D) tokens -> (B x 3 x g x g) values, channel-first per image.
     */
    static float[] pcaColours(Tensor tokens, int g) {
        long b = tokens.size(0), n = (long) g * g, d = tokens.size(2);
        Tensor patches = tokens.narrow(1, 1, n).reshape(b * n, d);
        float[] p = Tensors.toFloats(Tensors.principalComponents(patches, 3));                 // (B*N, 3)
        float[] lo = {Float.MAX_VALUE, Float.MAX_VALUE, Float.MAX_VALUE};
        float[] hi = {-Float.MAX_VALUE, -Float.MAX_VALUE, -Float.MAX_VALUE};
        for (int i = 0; i < p.length; i++) {
            lo[i % 3] = Math.min(lo[i % 3], p[i]);
            hi[i % 3] = Math.max(hi[i % 3], p[i]);
        }
        float[] out = new float[p.length];
        for (int img = 0; img < b; img++) {
            for (int t = 0; t < n; t++) {
                for (int k = 0; k < 3; k++) {
                    float v = p[(int) ((img * n + t) * 3 + k)];
                    out[(int) ((img * 3 + k) * n + t)] = hi[k] > lo[k] ? (v - lo[k]) / (hi[k] - lo[k]) : 0.5f;
                }
            }
        }
        return out;
    }

    /** Class ids 1..K of one image to colours (0: black), CHW. */
    static float[] maskColours(long[] ids, int offset, int s, int classes) {
        int n = s * s;
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            int k = (int) ids[offset + i];
            if (k > 0) {
                float[] c = ColorMap.category(k - 1, classes);
                for (int ch = 0; ch < 3; ch++) {
                    out[ch * n + i] = c[ch];
                }
            }
        }
        return out;
    }

    private static float[] unnormalise(float[] px, int offset, int c, int s, double[] mean, double[] std) {
        float[] out = new float[c * s * s];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < s * s; i++) {
                out[ch * s * s + i] = (float) Math.max(0, Math.min(1, px[offset + ch * s * s + i] * std[ch] + mean[ch]));
            }
        }
        return out;
    }
}
