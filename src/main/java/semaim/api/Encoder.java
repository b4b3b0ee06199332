package semaim.api;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Device;

import semaim.data.DecodedImage;
import semaim.data.EvalTransform;
import semaim.data.ImageDecoder;
import semaim.data.ImageList;
import semaim.data.ImageSource;
import semaim.eval.EncoderSource;
import semaim.eval.Features;
import semaim.model.ModelConfig;
import semaim.model.VisionTransformer;
import semaim.torch.Precision;
import semaim.torch.Torch;

/**
 * A pre-trained SemAIM encoder (the ViT kept after pre-training), frozen, turning images into embeddings.
 * <pre>{@code
 * try (Encoder encoder = Encoder.load(Path.of("runs/my-run"))) {
 *     float[] v = encoder.embed(Path.of("cat.jpg"));          // D values: the CLS token after the final norm
 * }
 * }</pre>
 * Every image goes through the evaluation transform the encoder was measured with: the shorter side resized to
 * {@code imageSize() / 0.875} (bicubic), centre-cropped to {@code imageSize()} square, normalised with the
 * ImageNet mean and deviation (3 channels) or 0.5/0.5 (1 channel). Grey images are read from their samples (a
 * {@code BufferedImage}'s {@code getRGB} would gamma-encode them). An image of the model's size is only normalised.
 *
 * <p><b>Thread safety:</b> an open encoder may be used from several threads at once; each call runs its own batches
 * and the weights are only read. {@link #close()} must not race with a call.
 */
public final class Encoder implements AutoCloseable {
    /**
     * How an encoder runs.
     *
     * @param pooling    what an embedding is ({@link Pooling}); default CLS
     * @param device     {@code cpu}, {@code cuda} or {@code cuda:N}; default cpu
     * @param precision  {@code fp32}, {@code bf16}, {@code fp16} or {@code auto} (autocast); default fp32
     * @param batchSize  images per forward pass in the list and streaming forms; default 64
     */
    public record Options(Pooling pooling, String device, String precision, int batchSize) {
        /**
         * Options, the batch size checked.
         *
         * @param pooling    what an embedding is
         * @param device     {@code cpu}, {@code cuda} or {@code cuda:N}
         * @param precision  {@code fp32}, {@code bf16}, {@code fp16} or {@code auto}
         * @param batchSize  images per forward pass, positive
         * @throws IllegalArgumentException for a batch size below 1
         */
        public Options {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("the batch size must be positive, got " + batchSize);
            }
        }

        /**
         * The defaults.
         *
         * @return CLS pooling, on the CPU, in fp32, 64 images a batch
         */
        public static Options defaults() {
            return new Options(Pooling.CLS, "cpu", "fp32", 64);
        }

        /**
         * These options with another pooling.
         *
         * @param p  what an embedding is
         * @return the changed options
         */
        public Options withPooling(Pooling p) {
            return new Options(p, device, precision, batchSize);
        }

        /**
         * These options on another device.
         *
         * @param d  {@code cpu}, {@code cuda} or {@code cuda:N}
         * @return the changed options
         */
        public Options withDevice(String d) {
            return new Options(pooling, d, precision, batchSize);
        }

        /**
         * These options in another precision.
         *
         * @param p  {@code fp32}, {@code bf16}, {@code fp16} or {@code auto}
         * @return the changed options
         */
        public Options withPrecision(String p) {
            return new Options(pooling, device, p, batchSize);
        }

        /**
         * These options with another batch size.
         *
         * @param b  images per forward pass, positive
         * @return the changed options
         */
        public Options withBatchSize(int b) {
            return new Options(pooling, device, precision, b);
        }
    }

    /**
     * One batch of the streaming form.
     *
     * @param start       index of the batch's first image in the source
     * @param count       images in the batch
     * @param embeddings  their embeddings, {@code count x length()} floats, row-major
     * @param labels      their labels (class indices from the source's folders or IDX labels; -1 where none)
     */
    public record Batch(int start, int count, float[] embeddings, int[] labels) {}

    /** Receives the batches of the streaming form, in order. */
    public interface BatchConsumer {
        /**
         * Takes one batch; the next is computed after this returns.
         *
         * @param batch  the batch's embeddings
         * @throws IOException to stop the stream (e.g. the output file could not be written)
         */
        void accept(Batch batch) throws IOException;
    }

    private final EncoderSource source;
    private final VisionTransformer model;
    private final Options options;
    private final Device device;
    private final Precision precision;
    private final EvalTransform transform;
    private volatile boolean closed;

    private Encoder(EncoderSource source, Options options) {
        Torch.init();
        this.source = source;
        this.options = options;
        this.device = Torch.device(options.device());
        this.precision = Precision.parse(options.precision()).resolve(device);
        this.model = source.build(options.pooling().model(), 0);
        model.moveTo(device);
        model.eval();
        this.transform = EvalTransform.standard(source.config().imageSize(), source.channels());
    }

    /**
     * The encoder saved in a run folder (its newest valid checkpoint), a checkpoint folder or a {@code
     * model.safetensors} written by semaim, with default {@link Options}. The file's SHA-256 is checked.
     *
     * @param path  a run folder, checkpoint folder or model file
     * @return the open encoder; close it to free its native memory
     * @throws IOException for a missing, damaged or foreign file
     */
    public static Encoder load(Path path) throws IOException {
        return load(path, Options.defaults());
    }

    /**
     * As {@link #load(Path)}, run as {@code options} say.
     *
     * @param path     a run folder, checkpoint folder or model file
     * @param options  pooling, device, precision and batch size
     * @return the open encoder; close it to free its native memory
     * @throws IOException for a missing, damaged or foreign file
     */
    public static Encoder load(Path path, Options options) throws IOException {
        return new Encoder(EncoderSource.open(path), options);
    }

    /**
     * A randomly initialised encoder of a model preset, drawn from {@code seed}: the baseline a pre-trained encoder
     * should beat.
     *
     * @param preset    a model preset, e.g. {@code vit_nano_patch4_28} or {@code vit_base_patch16_224}
     * @param channels  input channels, 1 or 3
     * @param seed      seed of the initial weights
     * @param options   pooling, device, precision and batch size
     * @return the open encoder
     */
    public static Encoder random(String preset, int channels, long seed, Options options) {
        return new Encoder(EncoderSource.random(ModelConfig.preset(preset).withInChannels(channels), seed), options);
    }

    /**
     * The input size.
     *
     * @return the side, in pixels, images are resized and cropped to
     */
    public int imageSize() {
        return source.config().imageSize();
    }

    /**
     * The input channels; every image is converted to them.
     *
     * @return 1 (grey) or 3 (RGB)
     */
    public int channels() {
        return source.channels();
    }

    /**
     * The shape of one embedding (D: the encoder's width; N: its number of patches).
     *
     * @return {D}, {4D} for CONCAT, {N, D} for PATCHES
     */
    public long[] shape() {
        ModelConfig c = source.config();
        return options.pooling() == Pooling.PATCHES ? new long[] {c.numPatches(), c.width()}
                : new long[] {model.pooledDim()};
    }

    /**
     * The size of one embedding.
     *
     * @return the number of floats in one embedding, the product of {@link #shape()}
     */
    public int length() {
        long n = 1;
        for (long d : shape()) {
            n *= d;
        }
        return (int) n;
    }

    /**
     * What an embedding is.
     *
     * @return the pooling this encoder was opened with
     */
    public Pooling pooling() {
        return options.pooling();
    }

    /**
     * The precision the encoder runs in.
     *
     * @return {@code fp32}, {@code bf16} or {@code fp16}, as resolved for the device ({@code auto} becomes one)
     */
    public String precision() {
        return precision.toString();
    }

    /**
     * Where the weights come from, for logs and provenance.
     *
     * @return the file and its SHA-256, or the random initialisation and its seed
     */
    public String description() {
        return source.description();
    }

    /**
     * What identifies the weights.
     *
     * @return {@code sha256 <hex>} of the file, or the random initialisation and its seed
     */
    public String id() {
        return source.id();
    }

    /**
     * The embedding of one image file.
     *
     * @param image  a JPEG, PNG, BMP or GIF file
     * @return its embedding, {@link #length()} floats
     * @throws IOException if the file cannot be read or decoded
     */
    public float[] embed(Path image) throws IOException {
        return embed(List.of(image)).get(0);
    }

    /**
     * The embedding of a picture in memory.
     *
     * @param image  any type: grey read from its samples (not gamma-encoded), colour through sRGB
     * @return its embedding, {@link #length()} floats
     * @throws IOException never for a picture in memory; declared for the shared path
     */
    public float[] embed(BufferedImage image) throws IOException {
        return single(ImageDecoder.pixels(image, channels()));
    }

    /**
     * The embedding of a square picture given as an array.
     *
     * @param chw  {@code channels()} planes of side x side values in [0, 1], channel-first (what {@code ToTensor}
     *             gives); any side, resized as files are
     * @return its embedding, {@link #length()} floats
     * @throws IOException never for an array; declared for the shared path
     */
    public float[] embed(float[] chw) throws IOException {
        int c = channels(), side = (int) Math.round(Math.sqrt(chw.length / (double) c));
        if (side <= 0 || c * side * side != chw.length) {
            throw new IllegalArgumentException(chw.length + " values are not " + c + " square plane(s); give C x S x S"
                    + " values, channel-first");
        }
        return single(new DecodedImage(side, side, c, chw.clone()));
    }

    /**
     * The embeddings of image files, computed {@code batchSize} at a time.
     *
     * @param images  JPEG, PNG, BMP or GIF files
     * @return their embeddings, in order, {@link #length()} floats each
     * @throws IOException if a file cannot be read or decoded (naming it)
     */
    public List<float[]> embed(List<Path> images) throws IOException {
        List<float[]> out = new ArrayList<>(images.size());
        embed(ImageList.ofFiles(images, channels()), 0, b -> split(b, out));
        return out;
    }

    /**
     * The streaming form: embeds images {@code from .. size - 1} of {@code images} (any of semaim's sources:
     * {@code semaim.data.Datasets.open} gives an image folder, IDX file or tar shards) a batch at a time, handing
     * each batch to {@code out} before the next is computed, so memory stays bounded by one batch. A non-finite
     * value is an error that names the image ({@code semaim.util.NonFiniteException}).
     *
     * @param images  the images; their channels must be {@link #channels()}
     * @param from    index of the first image to embed (a stopped stream continues here)
     * @param out     receives each batch in order
     * @throws IOException if an image cannot be read or decoded, or {@code out} fails
     */
    public void embed(ImageSource images, int from, BatchConsumer out) throws IOException {
        checkOpen();
        if (images.channels() != channels()) {
            throw new IllegalArgumentException(images.description() + " has " + images.channels() + " channel(s);"
                    + " this encoder reads " + channels());
        }
        Features.forEachBatch(model, model::features, images, transform, from, images.size(),
                options.batchSize(), device, precision,
                (start, count, values, labels) -> out.accept(new Batch(start, count, values, labels)), n -> { });
    }

    private float[] single(DecodedImage image) throws IOException {
        List<float[]> out = new ArrayList<>(1);
        embed(ImageList.ofImages(List.of(image), channels()), 0, b -> split(b, out));
        return out.get(0);
    }

    private void split(Batch b, List<float[]> out) {
        int per = b.embeddings().length / b.count();
        for (int k = 0; k < b.count(); k++) {
            out.add(java.util.Arrays.copyOfRange(b.embeddings(), k * per, (k + 1) * per));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this encoder is closed");
        }
    }

    /** Frees the native weights; the encoder cannot be used afterwards. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            model.close();
        }
    }
}
