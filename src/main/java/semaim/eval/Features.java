package semaim.eval;

import java.io.IOException;
import java.util.function.Function;
import java.util.function.LongConsumer;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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
        return new Set(out, n, d, labels, classes(source, labels));
    }

    /** Patch tokens ({@code rows} x {@code tokens} x {@code dim}, row-major) and labels. */
    public record Tokens(float[] values, int rows, int tokens, int dim, int[] labels, int classes) {}

    /** Receives one batch of a frozen pass: images {@code start .. start + count - 1}, their outputs and labels. */
    public interface BatchSink {
        /** {@code values}: the batch's outputs, row-major, checked finite; {@code labels}: its images' labels. */
        void accept(int start, int count, float[] values, int[] labels) throws IOException;
    }

    private Features() {}

    /**
     * The one loop that runs a frozen network over images: images {@code lo .. hi - 1} of {@code source}, in batches
     * of {@code batchSize}, each transformed as for evaluation, moved to {@code device} and given to {@code network}
     * in eval mode, without gradient, under {@code precision}'s autocast; its output (returned in fp32) goes to
     * {@code sink}. A non-finite output is an error that names the image. The module's training mode is restored.
     * {@code progress} is told how many images of the slice are done.
     */
    public static void forEachBatch(org.bytedeco.pytorch.Module module, Function<Tensor, Tensor> network,
            ImageSource source, EvalTransform transform, int lo, int hi, int batchSize, Device device,
            Precision precision, BatchSink sink, LongConsumer progress) throws IOException {
        boolean wasTraining = module.is_training();
        module.eval();
        int c = source.channels(), s = transform.size();
        try {
            for (int start = lo; start < hi; start += batchSize) {
                int b = Math.min(batchSize, hi - start);
                float[] px = new float[b * c * s * s];                                  // (B, C, S, S)
                int[] labels = new int[b];
                for (int k = 0; k < b; k++) {
                    transform.apply(source.load(start + k), px, k * c * s * s);
                    labels[k] = source.label(start + k);
                }
                float[] values;
                try (Scope scope = Scope.open()) {
                    Tensor x = Tensors.floats(px, b, c, s, s).to(device, torch.ScalarType.Float);
                    Tensor y;
                    try (Autocast autocast = precision.autocast(device)) {
                        y = Tensors.noGrad(() -> network.apply(x));                   // (B, ...)
                    }
                    values = Tensors.toFloats(y);
                }
                int bad = NonFiniteException.firstNonFinite(values, 0, values.length);
                if (bad >= 0) {
                    throw new NonFiniteException("the encoder gave a non-finite feature (" + values[bad] + ") for "
                            + source.describe(start + bad / (values.length / b)) + "; its weights are damaged or"
                            + " diverged");
                }
                sink.accept(start, b, values, labels);
                progress.accept(start + b - lo);
            }
        } finally {
            module.train(wasTraining);
        }
    }

    /**
     * Every image's patch tokens after the final norm (the attentive probe's input, {@code PATCHES} pooling), eval
     * mode, no gradient. They are held in memory: a set too large for one Java array fails with a message.
     */
    public static Tokens extractTokens(VisionTransformer encoder, ImageSource source, EvalTransform transform,
            Device device, int batchSize, Precision precision, LongConsumer progress) throws IOException {
        int n = source.size(), g = encoder.config().numPatches(), d = encoder.tokenDim();
        long total = (long) n * g * d;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the patch tokens of " + n + " images (" + g + " x " + d + " each) need "
                    + (total * 4 >> 20) + " MiB, more than one array holds; use --train-limit/--test-limit");
        }
        float[] out = new float[(int) total];
        int[] labels = new int[n];
        forEachBatch(encoder, x -> encoder.tokens(x).narrow(1, 1, g), source, transform, 0, n, batchSize, device,
                precision, into(out, labels, g * d), progress);
        return new Tokens(out, n, g, d, labels, classes(source, labels));
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
        if (encoder.pooling() == VisionTransformer.Pooling.PATCHES) {
            throw new IllegalArgumentException("PATCHES gives a grid of vectors per image; use extractTokens");
        }
        int n = source.size(), d = encoder.pooledDim();
        int world = dist.worldSize();
        int lo = (int) ((long) n * dist.rank() / world), hi = (int) ((long) n * (dist.rank() + 1) / world);
        float[] out = new float[n * d];
        int[] labels = new int[n];
        forEachBatch(encoder, encoder::features, source, transform, lo, hi, batchSize, device, precision,
                into(out, labels, d), done -> progress.accept(Math.min(n, done * world)));
        if (dist.enabled()) {
            gather(dist, out, labels, lo, hi, d);
        }
        return new Set(out, n, d, labels, classes(source, labels));
    }

    /** A sink that copies each batch's rows ({@code per} values each) and labels into place. */
    private static BatchSink into(float[] out, int[] labels, int per) {
        return (start, count, values, batchLabels) -> {
            System.arraycopy(values, 0, out, start * per, count * per);
            System.arraycopy(batchLabels, 0, labels, start, count);
        };
    }

    private static int classes(ImageSource source, int[] labels) {
        return Math.max(source.classNames().size(), 1 + java.util.Arrays.stream(labels).max().orElse(0));
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
