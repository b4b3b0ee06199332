package semaim.eval.detection;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import semaim.data.CocoDetections;
import semaim.data.DecodedImage;
import semaim.data.Resize;

/**
 * The images and boxes of a {@link CocoDetections} split as the detector reads them. An image is letterboxed: scaled
 * by {@code size / max(width, height)} (aspect kept), placed at the top-left of a {@code size} x {@code size} canvas
 * and the rest padded with the mean (0 after normalisation), as Detectron pads batches; boxes are scaled by the same
 * factor, so predictions divide by it to return to the image's pixels. Values are normalised with the default mean
 * and deviation of their channels; optionally mirrored. Crowd regions are left out of the training targets (as
 * Detectron2); the evaluation still sees them.
 */
final class DetectionData {
    final CocoDetections set;
    final int size;
    final int channels;
    private final Map<Integer, Integer> classIndex;

    DetectionData(CocoDetections set, int size, int channels, Map<Integer, Integer> classIndex) {
        this.set = set;
        this.size = size;
        this.channels = channels;
        this.classIndex = classIndex;
    }

    int count() {
        return set.images().size();
    }

    /** One image as the detector sees it: CHW normalised pixels and its boxes in input pixels. */
    record Sample(float[] pixels, List<FcosTargets.Truth> truths) {}

    /** An image letterboxed into the detector's input: normalised CHW pixels, the scale, the scaled width/height. */
    record Letterboxed(float[] pixels, double scale, int width, int height) {}

    /** {@code img} scaled by {@code size / max side}, top-left on a {@code size}-pixel canvas, normalised, mirrored. */
    static Letterboxed letterbox(DecodedImage img, int size, boolean flip) {
        int channels = img.channels();
        float[] mean = floats(semaim.data.AugmentConfig.defaultMean(channels));
        float[] std = floats(semaim.data.AugmentConfig.defaultStd(channels));
        double scale = size / (double) Math.max(img.width(), img.height());
        int w = Math.max(1, Math.min(size, (int) Math.round(img.width() * scale)));
        int h = Math.max(1, Math.min(size, (int) Math.round(img.height() * scale)));
        DecodedImage resized = Resize.cropResize(img, 0, 0, img.height(), img.width(), h, w);
        float[] px = new float[channels * size * size];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int tx = flip ? w - 1 - x : x;
                    px[(c * size + y) * size + tx] = (resized.chw()[(c * h + y) * w + x] - mean[c]) / std[c];
                }
            }
        }
        return new Letterboxed(px, scale, w, h);
    }

    /** Image {@code i}, mirrored when {@code flip}; its non-crowd boxes with a known category. */
    Sample load(int i, boolean flip) throws IOException {
        CocoDetections.Image meta = set.images().get(i);
        Letterboxed lb = letterbox(set.load(meta, channels), size, flip);
        double scale = lb.scale();
        int w = lb.width();
        float[] px = lb.pixels();
        List<FcosTargets.Truth> truths = new ArrayList<>();
        for (CocoDetections.Annotation a : set.annotations(meta.id())) {
            Integer k = classIndex.get(a.categoryId());
            double[] b = a.bbox();
            if (a.crowd() || k == null || b[2] <= 0 || b[3] <= 0) {
                continue;
            }
            double x0 = b[0] * scale, x1 = (b[0] + b[2]) * scale;
            truths.add(new FcosTargets.Truth(flip ? w - x1 : x0, b[1] * scale, flip ? w - x0 : x1,
                    (b[1] + b[3]) * scale, k));
        }
        return new Sample(px, truths);
    }

    /** A batch's pixels (B, C, S, S) and FCOS targets over {@code levels}, flattened for tensors. */
    record Batch(float[] pixels, float[] oneHot, float[] positive, float[] ltrb, float[] centreness, int count,
            int locations) {}

    Batch batch(int[] indices, boolean[] flips, List<FcosTargets.Level> levels, int classes) throws IOException {
        int b = indices.length, n = levels.stream().mapToInt(l -> l.height() * l.width()).sum();
        int pixels = channels * size * size;
        float[] px = new float[b * pixels], oneHot = new float[b * n * classes], pos = new float[b * n];
        float[] ltrb = new float[b * n * 4], ctr = new float[b * n];
        for (int k = 0; k < b; k++) {
            Sample s = load(indices[k], flips != null && flips[k]);
            System.arraycopy(s.pixels(), 0, px, k * pixels, pixels);
            FcosTargets.Targets t = FcosTargets.assign(levels, s.truths());
            for (int i = 0; i < n; i++) {
                if (t.classes()[i] > 0) {
                    oneHot[(k * n + i) * classes + t.classes()[i] - 1] = 1;
                    pos[k * n + i] = 1;
                }
            }
            System.arraycopy(t.ltrb(), 0, ltrb, k * n * 4, n * 4);
            System.arraycopy(t.centreness(), 0, ctr, k * n, n);
        }
        return new Batch(px, oneHot, pos, ltrb, ctr, b, n);
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
