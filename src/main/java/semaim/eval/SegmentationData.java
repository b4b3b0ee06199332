package semaim.eval;

import java.io.IOException;

import semaim.data.DecodedImage;
import semaim.data.SegmentationSet;

/**
 * Images and masks of a {@link SegmentationSet} as the segmentation heads read them: resized to the encoder's side,
 * normalised with the default mean and deviation of their channels, optionally flipped; masks as class ids (0 =
 * ignore), with the class counts of the training set gathered on the way.
 */
final class SegmentationData {
    final SegmentationSet set;
    final int size;
    private final float[] mean;
    private final float[] std;

    SegmentationData(SegmentationSet set, int size) {
        this.set = set;
        this.size = size;
        this.mean = floats(semaim.data.AugmentConfig.defaultMean(set.channels()));
        this.std = floats(semaim.data.AugmentConfig.defaultStd(set.channels()));
    }

    /** A batch of images (B x C x S x S, normalised) and masks (B x S x S). */
    record Batch(float[] pixels, long[] labels, int count) {}

    /**
     * Images {@code indices} as one batch; {@code flips} (null: none) says which to mirror; {@code counts} (null:
     * not counted) gathers the pixels of each class.
     */
    Batch batch(int[] indices, boolean[] flips, long[] counts) throws IOException {
        int b = indices.length, c = set.channels();
        float[] px = new float[b * c * size * size];
        long[] labels = new long[b * size * size];
        for (int k = 0; k < b; k++) {
            load(indices[k], flips != null && flips[k], px, k * c * size * size, labels, k * size * size, counts);
        }
        return new Batch(px, labels, b);
    }

    /** Images {@code start .. start + count - 1}, unflipped. */
    Batch range(int start, int count) throws IOException {
        int[] idx = new int[count];
        for (int k = 0; k < count; k++) {
            idx[k] = start + k;
        }
        return batch(idx, null, null);
    }

    private void load(int i, boolean flip, float[] px, int pxOffset, long[] labels, int labelOffset, long[] counts)
            throws IOException {
        SegmentationSet set = this.set;
        DecodedImage img = set.image(i, size);
        int[] mask = set.mask(i, size);
        int c = set.channels();
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int sx = flip ? size - 1 - x : x;
                    px[pxOffset + (ch * size + y) * size + x] = (img.chw()[(ch * size + y) * size + sx] - mean[ch])
                            / std[ch];
                }
            }
        }
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int v = mask[y * size + (flip ? size - 1 - x : x)];
                if (v > (counts == null ? Integer.MAX_VALUE : counts.length) && counts != null) {
                    throw new semaim.data.DataException("mask " + set.maskFile(i) + " has class " + v
                            + " but --classes is " + counts.length);
                }
                labels[labelOffset + y * size + x] = v;
                if (counts != null && v > 0 && v <= counts.length) {
                    counts[v - 1]++;
                }
            }
        }
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
