package semaim.eval;

import java.io.IOException;
import java.util.function.LongConsumer;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.DecodedImage;
import semaim.data.EvalTransform;
import semaim.data.ImageSource;
import semaim.model.VisionTransformer;
import semaim.torch.Autocast;
import semaim.torch.Distributed;
import semaim.torch.Precision;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.NonFiniteException;

/** Frozen-encoder features of a whole dataset, computed in batches with bounded memory. */
public final class Features {
    /** Features (N x D, row-major) and labels. */
    public record Set(float[] values, int rows, int dim, int[] labels, int classes) {
        public Tensor tensor() {
            return Tensors.floats(values, rows, dim);
        }
    }

    /**
     * The raw-pixel baseline: each image, resized and normalised as the encoders see it, flattened to one vector
     * (C x S x S values) and standardised per dimension with the training split's mean and deviation, so that k-NN
     * and the linear probe read pixels as they read features. Returns {train, test}.
     */
    public static Set[] pixels(ImageSource train, ImageSource test, EvalTransform transform) throws IOException {
        Set tr = rawPixels(train, transform), te = rawPixels(test, transform);
        int d = tr.dim();
        for (int j = 0; j < d; j++) {
            double sum = 0, sq = 0;
            for (int i = 0; i < tr.rows(); i++) {
                double v = tr.values()[i * d + j];
                sum += v;
                sq += v * v;
            }
            double mean = sum / tr.rows(), std = Math.sqrt(Math.max(sq / tr.rows() - mean * mean, 0)) + 1e-6;
            for (Set set : new Set[] {tr, te}) {
                for (int i = 0; i < set.rows(); i++) {
                    set.values()[i * d + j] = (float) ((set.values()[i * d + j] - mean) / std);
                }
            }
        }
        return new Set[] {tr, te};
    }

    private static Set rawPixels(ImageSource source, EvalTransform transform) throws IOException {
        int n = source.size(), c = source.channels(), s = transform.size(), d = c * s * s;
        float[] out = new float[n * d];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            transform.apply(source.load(i), out, i * d);
            labels[i] = source.label(i);
        }
        int classes = Math.max(source.classNames().size(), 1 + java.util.Arrays.stream(labels).max().orElse(0));
        return new Set(out, n, d, labels, classes);
    }

    /** Patch tokens ({@code rows} x {@code tokens} x {@code dim}, row-major) and labels. */
    public record Tokens(float[] values, int rows, int tokens, int dim, int[] labels, int classes) {}

    private Features() {}

    /**
     * Every image's patch tokens after the final norm (the attentive probe's input), eval mode, no gradient. They
     * are held in memory: a set too large for one Java array fails with a message.
     */
    public static Tokens extractTokens(VisionTransformer encoder, ImageSource source, EvalTransform transform,
            Device device, int batchSize, Precision precision, LongConsumer progress) throws IOException {
        boolean wasTraining = encoder.is_training();
        encoder.eval();
        int n = source.size(), g = encoder.config().numPatches(), d = encoder.featureDim();
        int c = source.channels(), s = transform.size();
        long total = (long) n * g * d;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the patch tokens of " + n + " images (" + g + " x " + d + " each) need "
                    + (total * 4 >> 20) + " MiB, more than one array holds; use --train-limit/--test-limit");
        }
        float[] out = new float[(int) total];
        int[] labels = new int[n];
        try {
            for (int start = 0; start < n; start += batchSize) {
                int b = Math.min(batchSize, n - start);
                float[] px = new float[b * c * s * s];
                for (int k = 0; k < b; k++) {
                    transform.apply(source.load(start + k), px, k * c * s * s);
                    labels[start + k] = source.label(start + k);
                }
                try (Scope scope = Scope.open()) {
                    Tensor x = Tensors.floats(px, b, c, s, s).to(device, torch.ScalarType.Float);
                    Tensor t;
                    try (Autocast autocast = precision.autocast(device)) {
                        t = Tensors.noGrad(() -> encoder.tokens(x).narrow(1, 1, g));
                    }
                    float[] values = Tensors.toFloats(t);
                    int bad = NonFiniteException.firstNonFinite(values, 0, values.length);
                    if (bad >= 0) {
                        throw new NonFiniteException("the encoder gave a non-finite token for "
                                + source.describe(start + bad / (g * d)) + "; its weights are damaged or diverged");
                    }
                    System.arraycopy(values, 0, out, start * g * d, values.length);
                }
                progress.accept(start + b);
            }
        } finally {
            encoder.train(wasTraining);
        }
        int classes = Math.max(source.classNames().size(), 1 + java.util.Arrays.stream(labels).max().orElse(0));
        return new Tokens(out, n, g, d, labels, classes);
    }

    /**
     * Runs {@code encoder} (eval mode, no gradient) over every image of {@code source}; {@code progress} is told
     * how many images are done.
     */
    public static Set extract(VisionTransformer encoder, ImageSource source, EvalTransform transform, Device device,
            int batchSize, LongConsumer progress) throws IOException {
        return extract(encoder, source, transform, device, batchSize, Precision.FP32, progress);
    }

    /** As above, the encoder running under {@code precision}'s autocast (features returned in fp32). */
    public static Set extract(VisionTransformer encoder, ImageSource source, EvalTransform transform, Device device,
            int batchSize, Precision precision, LongConsumer progress) throws IOException {
        return extract(encoder, source, transform, device, batchSize, precision, Distributed.single(), progress);
    }

    /**
     * As above, shared by the ranks of {@code dist}: rank r encodes the r-th contiguous slice of the images, and
     * every rank receives all features, in the dataset's order. {@code progress} is told this rank's count scaled
     * to the whole set.
     */
    public static Set extract(VisionTransformer encoder, ImageSource source, EvalTransform transform, Device device,
            int batchSize, Precision precision, Distributed dist, LongConsumer progress) throws IOException {
        boolean wasTraining = encoder.is_training();
        encoder.eval();
        int n = source.size(), d = encoder.featureDim(), c = source.channels(), s = transform.size();
        int world = dist.worldSize();
        int lo = (int) ((long) n * dist.rank() / world), hi = (int) ((long) n * (dist.rank() + 1) / world);
        float[] out = new float[n * d];
        int[] labels = new int[n];
        try {
            for (int start = lo; start < hi; start += batchSize) {
                int b = Math.min(batchSize, hi - start);
                float[] px = new float[b * c * s * s];
                for (int k = 0; k < b; k++) {
                    DecodedImage img = source.load(start + k);
                    transform.apply(img, px, k * c * s * s);
                    labels[start + k] = source.label(start + k);
                }
                try (Scope scope = Scope.open()) {
                    Tensor x = Tensors.floats(px, b, c, s, s).to(device, torch.ScalarType.Float);
                    Tensor f;
                    try (Autocast autocast = precision.autocast(device)) {
                        f = Tensors.noGrad(() -> encoder.features(x));
                    }
                    float[] values = Tensors.toFloats(f);
                    int bad = NonFiniteException.firstNonFinite(values, 0, values.length);
                    if (bad >= 0) {
                        throw new NonFiniteException("the encoder gave a non-finite feature (" + values[bad]
                                + ") for " + source.describe(start + bad / d) + "; its weights are damaged or"
                                + " diverged");
                    }
                    System.arraycopy(values, 0, out, start * d, b * d);
                }
                progress.accept(Math.min(n, (long) (start + b - lo) * world));
            }
        } finally {
            encoder.train(wasTraining);
        }
        if (dist.enabled()) {
            gather(dist, out, labels, lo, hi, d);
        }
        int classes = Math.max(source.classNames().size(), 1 + java.util.Arrays.stream(labels).max().orElse(0));
        return new Set(out, n, d, labels, classes);
    }

    /** Fills {@code out} and {@code labels} with every rank's slice (this rank holds rows lo..hi). */
    private static void gather(Distributed dist, float[] out, int[] labels, int lo, int hi, int d) {
        try (Scope scope = Scope.open()) {
            int m = hi - lo;
            Tensor mine = Tensors.floats(java.util.Arrays.copyOfRange(out, lo * d, hi * d), m, d);
            float[] all = Tensors.toFloats(dist.allGatherRows(mine));
            System.arraycopy(all, 0, out, 0, out.length);
            long[] myLabels = new long[m];
            for (int i = 0; i < m; i++) {
                myLabels[i] = labels[lo + i];
            }
            long[] allLabels = Tensors.toLongs(dist.allGatherRows(Tensors.int64s(myLabels, m, 1)));
            for (int i = 0; i < labels.length; i++) {
                labels[i] = (int) allLabels[i];
            }
        }
    }
}
