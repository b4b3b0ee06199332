package semaim.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.DecodedImage;
import semaim.data.SegmentationSet;
import semaim.model.VisionTransformer;
import semaim.torch.Nn;
import semaim.torch.Optimizers;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;
import semaim.util.NonFiniteException;
import semaim.util.Rng;

/**
 * Semantic segmentation on the encoder's patch tokens, with two heads:
 * <ul>
 *   <li>{@code LINEAR}: DINOv2's linear probe: the frozen encoder's patch tokens (after the final norm), one
 *       Linear(D, K) per patch, the (K, g, g) logits resized bilinearly to the image;</li>
 *   <li>{@code DECODER}: a light decoder that fine-tunes the encoder (layer-wise lr decay, as fine-tuning): tokens as a
 *       (D, g, g) map, then log2(patch) stages of 3x3 conv (64 channels) + BatchNorm + ReLU + 2x bilinear upsampling,
 *       and a 1x1 conv to K classes: progressive upsampling back to pixels.</li>
 * </ul>
 * Loss: per-pixel cross-entropy over the labelled pixels (mask value 0 = ignore, as ADE20K; class c is mask value
 * c). Evaluation: the confusion matrix over the held-out pixels gives per-class IoU = TP / (TP + FP + FN), the mean
 * over classes that occur (mIoU) and pixel accuracy; the baseline that predicts the most frequent training class
 * everywhere is reported next to it. AdamW with warm-up + cosine; inputs normalised as the encoder expects (the
 * default mean and std of its channels), random horizontal flips.
 */
public final class Segmentation {
    /** Which head. */
    public enum Head { LINEAR, DECODER }

    /** Training settings. */
    public record Options(Head head, int epochs, int batchSize, double blr, double weightDecay, double layerDecay,
            double warmupEpochs, long seed) {}

    /**
     * Held-out scores (percent): mIoU, pixel accuracy, per-class IoU (NaN for a class absent from both truth and
     * prediction), the most-frequent-class baseline's mIoU and pixel accuracy, and the history [epoch, loss, mIoU].
     */
    public record Result(double miou, double pixelAccuracy, double[] iou, double baselineMiou,
            double baselinePixelAccuracy, List<double[]> history, List<int[]> sampleMasks, Segmenter segmenter) {}

    /**
     * A trained encoder + head: saved as one safetensors file ({@code encoder.*}, {@code head.*}, and metadata with
     * the encoder's configuration, the head type and the classes), so that {@code visualize --segmenter} can draw
     * its masks.
     */
    public static final class Segmenter {
        private final VisionTransformer encoder;
        private final Module head;
        private final Head type;
        private final int classes;

        Segmenter(VisionTransformer encoder, Module head, Head type, int classes) {
            this.encoder = encoder;
            this.head = head;
            this.type = type;
            this.classes = classes;
        }

        public int classes() {
            return classes;
        }

        public VisionTransformer encoder() {
            return encoder;
        }

        /** Normalised images (B, C, S, S) -> class ids (B, S, S), 1..K, as int64. */
        public Tensor predict(Tensor images) {
            head.eval();
            encoder.eval();
            int grid = encoder.config().gridSize(), size = encoder.config().imageSize();
            return Tensors.noGrad(() -> forward(head, encoder.tokens(images).narrow(1, 1, (long) grid * grid), grid,
                    size).argmax(new org.bytedeco.pytorch.LongOptional(1), false).add(Tensors.scalar(1)));
        }

        public void save(java.nio.file.Path file, Map<String, String> provenance) throws IOException {
            Map<String, Tensor> t = new LinkedHashMap<>();
            semaim.io.ModelWeights.stateDict(encoder).forEach((k, v) -> t.put("encoder." + k, v));
            semaim.io.ModelWeights.stateDict(head).forEach((k, v) -> t.put("head." + k, v));
            Map<String, String> meta = new LinkedHashMap<>(provenance);
            meta.putAll(semaim.model.ModelMetadata.of(encoder.config(), semaim.target.TargetConfig.reference()));
            meta.put("segmentation_head", type.name());
            meta.put("classes", Integer.toString(classes));
            semaim.io.SafeTensors.write(file, t, meta);
            semaim.io.CheckpointFolders.writeChecksum(file);
        }

        /** Reads a file written by {@link #save}. */
        public static Segmenter load(java.nio.file.Path file) throws IOException {
            semaim.io.SafeTensors.Contents c = semaim.io.SafeTensors.read(semaim.io.CheckpointFolders
                    .verifiedWeights(file));
            String type = c.metadata().get("segmentation_head"), k = c.metadata().get("classes");
            if (type == null || k == null) {
                throw new IllegalArgumentException(file + " is not a segmenter written by semaim segment --save");
            }
            Tensor patch = c.tensors().get("encoder.patch_embed.proj.weight");
            semaim.model.ModelConfig mc = semaim.model.ModelMetadata.read(c.metadata(), (int) patch.size(1),
                    file.toString()).model();
            Head h = Head.valueOf(type);
            int classes = Integer.parseInt(k);
            Module head = h == Head.DECODER ? new DecoderHead(mc.width(), classes, mc.patchSize())
                    : new LinearHead(mc.width(), classes);
            Map<String, Tensor> e = new LinkedHashMap<>(), hd = new LinkedHashMap<>();
            c.tensors().forEach((name, v) -> {
                if (name.startsWith("encoder.")) {
                    e.put(name.substring(8), v);
                } else if (name.startsWith("head.")) {
                    hd.put(name.substring(5), v);
                }
            });
            VisionTransformer enc = EncoderSource.of(mc, e, file.toString()).build(VisionTransformer.Pooling.CLS, 0);
            semaim.io.ModelWeights.load(head, hd, true, file.toString());
            return new Segmenter(enc, head, h, classes);
        }
    }

    /** How many held-out images' predicted masks a result keeps (for the figure). */
    public static final int SAMPLES = 6;

    static final class LinearHead extends Module {
        final LinearImpl linear;

        LinearHead(int dim, int classes) {
            super("LinearSegHead");
            linear = register_module("linear", Nn.linear(dim, classes));
            Nn.normal(linear.weight(), 0.0, 0.01);
            Nn.fill(linear.bias(), 0.0);
        }

        Tensor forward(Tensor tokens, int grid, int size) {                     // (B, N, D)
            long b = tokens.size(0);
            Tensor logits = linear.forward(tokens).reshape(b, grid, grid, -1).permute(0, 3, 1, 2);   // (B, K, g, g)
            return Tensors.resizeBilinear(logits, size, size);                                      // (B, K, S, S)
        }
    }

    static final class DecoderHead extends Module {
        final List<Tensor> weights = new ArrayList<>();
        final List<Tensor> biases = new ArrayList<>();
        final List<BatchNorm2dImpl> norms = new ArrayList<>();
        final Tensor outWeight;
        final Tensor outBias;
        final int stages;

        DecoderHead(int dim, int classes, int patch) {
            super("LightDecoder");
            stages = Math.max(1, 31 - Integer.numberOfLeadingZeros(patch));          // log2(patch)
            int in = dim, width = 64;
            for (int s = 0; s < stages; s++) {
                Tensor w = Tensors.handle(register_parameter("conv" + s + "_weight", Tensors.zeros(width, in, 3, 3)));
                Nn.normal(w, 0.0, Math.sqrt(2.0 / (9.0 * in)));                       // He initialisation
                weights.add(w);
                biases.add(Tensors.handle(register_parameter("conv" + s + "_bias", Tensors.zeros(width))));
                norms.add(register_module("bn" + s, new BatchNorm2dImpl(new BatchNormOptions(width))));
                in = width;
            }
            outWeight = Tensors.handle(register_parameter("out_weight", Tensors.zeros(classes, width, 1, 1)));
            Nn.normal(outWeight, 0.0, 0.01);
            outBias = Tensors.handle(register_parameter("out_bias", Tensors.zeros(classes)));
        }

        Tensor forward(Tensor tokens, int grid, int size) {
            long b = tokens.size(0), d = tokens.size(2);
            Tensor x = tokens.transpose(1, 2).reshape(b, d, grid, grid);            // (B, D, g, g)
            for (int s = 0; s < stages; s++) {
                x = norms.get(s).forward(Tensors.conv2d(x, weights.get(s), biases.get(s), 1)).relu();
                x = Tensors.resizeBilinear(x, x.size(2) * 2, x.size(3) * 2);        // progressive upsampling
            }
            Tensor logits = Tensors.conv2d(x, outWeight, outBias, 0);                // (B, K, h, w)
            return logits.size(2) == size ? logits : Tensors.resizeBilinear(logits, size, size);
        }
    }

    private Segmentation() {}

    /** Trains a head of {@code o} on {@code train}, scores it on {@code val}. */
    public static Result run(VisionTransformer encoder, SegmentationSet train, SegmentationSet val, int classes,
            Options o, Device device, IntConsumer onEpoch) throws IOException {
        if (o.epochs() <= 0 || o.batchSize() <= 0 || !(o.blr() > 0) || !(o.warmupEpochs() >= 0)
                || o.warmupEpochs() > o.epochs()) {
            throw new IllegalArgumentException("segmentation needs epochs > 0, batch size > 0, --blr > 0 and warm-up"
                    + " in [0, epochs]; got " + o);
        }
        int size = encoder.config().imageSize(), grid = encoder.config().gridSize(), dim = encoder.tokenDim();
        int steps = train.size() / o.batchSize();
        if (steps == 0) {
            throw new IllegalArgumentException("fewer training images (" + train.size() + ") than one batch ("
                    + o.batchSize() + ")");
        }
        Torch.manualSeed(o.seed());
        boolean fineTune = o.head() == Head.DECODER;
        Module head = fineTune ? new DecoderHead(dim, classes, encoder.config().patchSize())
                : new LinearHead(dim, classes);
        head.to(device, false);
        double lr = o.blr() * o.batchSize() / 256.0;
        List<Optimizers.ParamGroup> groups = new ArrayList<>();
        List<Double> scales = new ArrayList<>();
        List<Tensor> headDecay = new ArrayList<>(), headNoDecay = new ArrayList<>();
        Nn.namedParameters(head).forEach((n, p) -> (p.dim() >= 2 ? headDecay : headNoDecay).add(p));
        groups.add(new Optimizers.ParamGroup("head_decay", headDecay, o.weightDecay()));
        groups.add(new Optimizers.ParamGroup("head_no_decay", headNoDecay, 0.0));
        scales.add(1.0);
        scales.add(1.0);
        if (fineTune) {
            Map<String, Tensor> named = new LinkedHashMap<>(Nn.namedParameters(encoder));
            named.values().removeIf(p -> !p.requires_grad());
            LayerDecay.Groups ld = LayerDecay.of(named, encoder.config().depth(), o.weightDecay(), o.layerDecay());
            groups.addAll(ld.groups());
            for (double s : ld.scales()) {
                scales.add(s);
            }
        } else {
            for (Tensor p : Tensors.list(encoder.parameters())) {
                p.requires_grad_(false);
            }
        }
        double[] scale = scales.stream().mapToDouble(Double::doubleValue).toArray();
        AdamW opt = Optimizers.adamW(groups, lr, 0.9, 0.999, 1e-8);
        LrSchedule schedule = new LrSchedule(lr, 0.0, o.warmupEpochs(), o.epochs());
        float[] mean = mean(train.channels()), std = std(train.channels());
        Rng rng = new Rng(o.seed());
        List<double[]> history = new ArrayList<>();
        int c = train.channels();
        long[] counts = new long[classes];
        double[] last = null;
        for (int epoch = 0; epoch < o.epochs(); epoch++) {
            int[] order = rng.permutation(train.size());
            head.train(true);
            encoder.train(fineTune);
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                Optimizers.setLearningRates(opt, schedule.at(epoch + s / (double) steps), scale);
                float[] px = new float[o.batchSize() * c * size * size];
                long[] labels = new long[o.batchSize() * size * size];
                for (int k = 0; k < o.batchSize(); k++) {
                    int i = order[s * o.batchSize() + k];
                    boolean flip = rng.nextDouble() < 0.5;
                    load(train, i, size, mean, std, flip, px, k * c * size * size, labels, k * size * size,
                            epoch == 0 ? counts : null);
                }
                try (Scope scope = Scope.open()) {
                    Tensor x = Tensors.floats(px, o.batchSize(), c, size, size).to(device, torch.ScalarType.Float);
                    Tensor y = Tensors.int64s(labels, o.batchSize(), size, size).to(device, torch.ScalarType.Long);
                    Tensor tokens = fineTune ? encoder.tokens(x).narrow(1, 1, (long) grid * grid)
                            : Tensors.noGrad(() -> encoder.tokens(x).narrow(1, 1, (long) grid * grid));
                    Tensor logits = forward(head, tokens, grid, size);
                    Tensor loss = crossEntropyIgnoringZero(logits, y);
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                    double l = loss.item_double();
                    if (!Double.isFinite(l)) {
                        throw new NonFiniteException("segmentation loss became " + l + " at epoch " + (epoch + 1)
                                + "; try a lower --blr");
                    }
                    lossSum += l;
                }
            }
            last = score(encoder, head, val, classes, size, grid, mean, std, device);
            history.add(new double[] {epoch + 1, lossSum / steps, last[0]});
            onEpoch.accept(epoch + 1);
        }
        int majority = 0;
        for (int k = 1; k < classes; k++) {
            majority = counts[k] > counts[majority] ? k : majority;
        }
        double[] baseline = baseline(val, classes, size, majority);
        double[] iou = java.util.Arrays.copyOfRange(last, 2, last.length);
        return new Result(last[0], last[1], iou, baseline[0], baseline[1], history,
                samples(encoder, head, val, size, grid, mean, std, device), new Segmenter(encoder, head, o.head(),
                classes));
    }

    /** Predicted class ids (1..K) of the first held-out images, S x S each. */
    private static List<int[]> samples(VisionTransformer encoder, Module head, SegmentationSet val, int size, int grid,
            float[] mean, float[] std, Device device) throws IOException {
        head.eval();
        encoder.eval();
        int b = Math.min(SAMPLES, val.size()), c = val.channels();
        float[] px = new float[b * c * size * size];
        long[] labels = new long[b * size * size];
        for (int k = 0; k < b; k++) {
            load(val, k, size, mean, std, false, px, k * c * size * size, labels, k * size * size, null);
        }
        List<int[]> out = new ArrayList<>();
        try (Scope scope = Scope.open()) {
            Tensor x = Tensors.floats(px, b, c, size, size).to(device, torch.ScalarType.Float);
            long[] p = Tensors.toLongs(Tensors.noGrad(() -> forward(head, encoder.tokens(x).narrow(1, 1,
                    (long) grid * grid), grid, size).argmax(new org.bytedeco.pytorch.LongOptional(1), false)));
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

    private static Tensor forward(Module head, Tensor tokens, int grid, int size) {
        return head instanceof LinearHead l ? l.forward(tokens, grid, size)
                : ((DecoderHead) head).forward(tokens, grid, size);
    }

    /**
     * Mean cross-entropy over the pixels whose label is not 0: logits (B, K, S, S) for classes 1..K, labels
     * (B, S, S) with 0 = ignore.
     */
    static Tensor crossEntropyIgnoringZero(Tensor logits, Tensor labels) {
        Tensor logp = logits.log_softmax(1);                                          // (B, K, S, S)
        Tensor valid = labels.gt(Tensors.scalar(0));                                  // (B, S, S)
        Tensor index = labels.sub(Tensors.scalar(1)).clamp_min(Tensors.scalar(0)).to(torch.ScalarType.Long)
                .unsqueeze(1);                                                        // (B, 1, S, S)
        Tensor picked = logp.gather(1, index).squeeze(1);                             // (B, S, S)
        Tensor v = valid.to(picked.scalar_type());
        return picked.mul(v).sum().neg().div(v.sum().clamp_min(Tensors.scalar(1)));
    }

    /** [mIoU, pixel accuracy, IoU per class...] in percent over the held-out set. */
    static double[] score(VisionTransformer encoder, Module head, SegmentationSet val, int classes, int size, int grid,
            float[] mean, float[] std, Device device) throws IOException {
        head.eval();
        encoder.eval();
        long[][] confusion = new long[classes][classes];   // [truth][prediction]
        int c = val.channels();
        for (int start = 0; start < val.size(); start += 64) {
            int b = Math.min(64, val.size() - start);
            float[] px = new float[b * c * size * size];
            long[] labels = new long[b * size * size];
            for (int k = 0; k < b; k++) {
                load(val, start + k, size, mean, std, false, px, k * c * size * size, labels, k * size * size, null);
            }
            try (Scope scope = Scope.open()) {
                Tensor x = Tensors.floats(px, b, c, size, size).to(device, torch.ScalarType.Float);
                Tensor pred = Tensors.noGrad(() -> forward(head, encoder.tokens(x).narrow(1, 1, (long) grid * grid),
                        grid, size).argmax(new org.bytedeco.pytorch.LongOptional(1), false));
                long[] p = Tensors.toLongs(pred);
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

    private static void load(SegmentationSet set, int i, int size, float[] mean, float[] std, boolean flip,
            float[] px, int pxOffset, long[] labels, int labelOffset, long[] counts) throws IOException {
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

    private static float[] mean(int channels) {
        return floats(semaim.data.AugmentConfig.defaultMean(channels));
    }

    private static float[] std(int channels) {
        return floats(semaim.data.AugmentConfig.defaultStd(channels));
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
