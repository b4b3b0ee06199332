package semaim.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.SegmentationSet;
import semaim.model.VisionTransformer;
import semaim.torch.Scope;
import semaim.torch.Tensors;

/**
 * How a segmentation is scored on held-out images: the confusion matrix over the labelled pixels gives per-class
 * IoU = TP / (TP + FP + FN), their mean over the classes that occur (mIoU) and pixel accuracy; the baseline predicts
 * the most frequent training class everywhere.
 */
final class SegmentationScores {
    private SegmentationScores() {}

    /** Predicted classes (0-based) of normalised images (B, C, S, S): (B, S, S), eval mode, no gradient. */
    static Tensor predict(VisionTransformer encoder, Module head, Tensor images) {
        head.eval();
        encoder.eval();
        int grid = encoder.config().gridSize(), size = encoder.config().imageSize();
        return Tensors.noGrad(() -> SegmentationHeads.forward(head, encoder.tokens(images).narrow(1, 1,
                (long) grid * grid), grid, size).argmax(new org.bytedeco.pytorch.LongOptional(1), false));
    }

    /** [mIoU, pixel accuracy, IoU per class...] in percent over the held-out set. */
    static double[] score(VisionTransformer encoder, Module head, SegmentationData val, int classes, Device device)
            throws IOException {
        long[][] confusion = new long[classes][classes];   // [truth][prediction]
        int c = val.set.channels(), size = val.size;
        for (int start = 0; start < val.set.size(); start += 64) {
            SegmentationData.Batch b = val.range(start, Math.min(64, val.set.size() - start));
            try (Scope scope = Scope.open()) {
                Tensor x = Tensors.floats(b.pixels(), b.count(), c, size, size).to(device, torch.ScalarType.Float);
                long[] p = Tensors.toLongs(predict(encoder, head, x));
                long[] labels = b.labels();
                for (int i = 0; i < p.length; i++) {
                    if (labels[i] > 0 && labels[i] <= classes) {
                        confusion[(int) labels[i] - 1][(int) p[i]]++;
                    }
                }
            }
        }
        head.train(true);
        return fromConfusion(confusion);
    }

    /** Predicted class ids (1..K) of the first {@code n} held-out images, S x S each. */
    static List<int[]> samples(VisionTransformer encoder, Module head, SegmentationData val, int n, Device device)
            throws IOException {
        int b = Math.min(n, val.set.size()), c = val.set.channels(), size = val.size;
        SegmentationData.Batch batch = val.range(0, b);
        List<int[]> out = new ArrayList<>();
        try (Scope scope = Scope.open()) {
            Tensor x = Tensors.floats(batch.pixels(), b, c, size, size).to(device, torch.ScalarType.Float);
            long[] p = Tensors.toLongs(predict(encoder, head, x));
            for (int k = 0; k < b; k++) {
                int[] m = new int[size * size];
                for (int i = 0; i < m.length; i++) {
                    m[i] = (int) p[k * size * size + i] + 1;
                }
                out.add(m);
            }
        }
        return out;
    }

    /** [mIoU, pixel accuracy, IoU per class...] in percent; mIoU over the classes that occur in truth or prediction. */
    static double[] fromConfusion(long[][] confusion) {
        int k = confusion.length;
        double[] out = new double[2 + k];
        long correct = 0, total = 0;
        double sum = 0;
        int present = 0;
        for (int i = 0; i < k; i++) {
            long tp = confusion[i][i], fn = 0, fp = 0;
            for (int j = 0; j < k; j++) {
                if (j != i) {
                    fn += confusion[i][j];
                    fp += confusion[j][i];
                }
                total += confusion[i][j];
            }
            correct += tp;
            long union = tp + fp + fn;
            out[2 + i] = union == 0 ? Double.NaN : 100.0 * tp / union;
            if (union > 0) {
                sum += out[2 + i];
                present++;
            }
        }
        out[0] = present == 0 ? 0 : sum / present;
        out[1] = total == 0 ? 0 : 100.0 * correct / total;
        return out;
    }

    /** The scores of predicting {@code cls} (0-based) everywhere. */
    static double[] baseline(SegmentationSet val, int classes, int size, int cls) throws IOException {
        long[][] confusion = new long[classes][classes];
        for (int i = 0; i < val.size(); i++) {
            for (int v : val.mask(i, size)) {
                if (v > 0 && v <= classes) {
                    confusion[v - 1][cls]++;
                }
            }
        }
        return fromConfusion(confusion);
    }
}
