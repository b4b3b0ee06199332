package semaim.data;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.ResizedCrop;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * Shuffled, augmented mini-batches, decoded on worker threads ahead of the training step.
 *
 * <p>Everything random is a pure function of (seed, epoch, position): the epoch's permutation comes from
 * {@code (seed, epoch)}, each sample's augmentation from {@code (seed, epoch, position in epoch)}. So batches do
 * not depend on thread timing, and resuming at (epoch, batch) reproduces the same data bit for bit. The last
 * incomplete batch of an epoch is dropped, as the reference does.
 *
 * <p>Data-parallel runs shard each global batch: with {@code worldSize} ranks of {@code batchSize} images, global
 * batch {@code b} is positions {@code [b G, (b+1) G)} of the epoch's permutation ({@code G = batchSize x
 * worldSize}) and rank {@code r} takes its {@code r}-th slice. The shards are disjoint, reshuffled every epoch from
 * the shared seed, and a sample's augmentation depends on its position only: the images of a step are the same
 * however many ranks share it, and one process with batch {@code 2b} sees exactly what two ranks with {@code b}
 * see together (PyTorch's {@code DistributedSampler} deals positions round-robin instead; the set per step is the
 * same, but a contiguous slice keeps one rank's batch equal to a single process's at {@code worldSize} 1).
 */
public final class BatchLoader implements AutoCloseable {
    private final ImageSource source;
    private final Augmentation augmentation;
    private final int batchSize;
    private final int rank;
    private final int worldSize;
    private final long seed;
    private final int prefetch;
    private final boolean skipBadImages;
    private final Consumer<String> warn;
    private final ExecutorService workers;
    /** The undecodable images met so far, each once however often an epoch draws it. */
    private final Set<Integer> badImages = ConcurrentHashMap.newKeySet();
    private final Set<Integer> reported = ConcurrentHashMap.newKeySet();
    private final StageTimes times = new StageTimes();
    /** Decodes JPEG/PNG files natively when the source has them and the augmentation is crop and flip only. */
    private NativeAugmentation nativePath;

    /**
     * One batch, as augmented images: either normalised floats (B*C*S*S, CHW per image: the Java path) or 8-bit
     * pixels (the native path, a quarter of the bytes), normalised by {@link #tensor} in one pass for the whole
     * batch. Labels are -1 where there are none. A consumer that is done with the images may {@link #recycle} the
     * batch: its array then serves a later batch instead of being allocated anew (a 224 px float batch of 64 is
     * 38 MB, and allocating it cost more than decoding a JPEG).
     */
    public static final class Batch {
        private final int epoch;
        private final int index;
        private float[] images;
        private final byte[] pixels;
        private final int[] labels;
        private final int[] sourceIndices;
        private final AugmentConfig config;
        private final java.util.function.Consumer<Object> recycler;

        Batch(int epoch, int index, float[] images, byte[] pixels, int[] labels, int[] sourceIndices,
                AugmentConfig config, java.util.function.Consumer<Object> recycler) {
            this.epoch = epoch;
            this.index = index;
            this.images = images;
            this.pixels = pixels;
            this.labels = labels;
            this.sourceIndices = sourceIndices;
            this.config = config;
            this.recycler = recycler;
        }

        public int epoch() {
            return epoch;
        }

        public int index() {
            return index;
        }

        public int[] labels() {
            return labels;
        }

        public int[] sourceIndices() {
            return sourceIndices;
        }

        /** The images as a (B, C, S, S) float32 CPU tensor, normalised. */
        public Tensor tensor() {
            return tensor(null);
        }

        /**
         * The images as a normalised (B, C, S, S) float32 tensor on {@code device} (null: the CPU). 8-bit pixels
         * travel as they are, from page-locked memory without waiting for a CUDA device, and are normalised there.
         */
        public Tensor tensor(org.bytedeco.pytorch.Device device) {
            int c = config.channels(), s = config.imageSize(), b = labels.length;
            boolean cuda = device != null && device.is_cuda();
            if (images != null) {
                Tensor x = Tensors.floats(images, b, c, s, s);
                return device == null ? x : x.to(device, org.bytedeco.pytorch.global.torch.ScalarType.Float);
            }
            Tensor u8 = Tensors.uint8s(pixels, b, c, s, s);
            if (cuda) {   // never run on a GPU here: see the README
                u8 = u8.pin_memory().to(device, org.bytedeco.pytorch.global.torch.ScalarType.Byte, true, false,
                        new org.bytedeco.pytorch.MemoryFormatOptional());
            }
            return ResizedCrop.normalise(u8, config.mean(), config.std());
        }

        /** The normalised images as floats, B*C*S*S, CHW per image (computed once from 8-bit pixels). */
        public float[] images() {
            if (images == null) {
                try (Scope scope = Scope.open()) {
                    images = Tensors.toFloats(tensor());
                }
            }
            return images;
        }

        /** Hands the images' array back to the loader; the batch must not be read afterwards. */
        public void recycle() {
            recycler.accept(pixels != null ? pixels : images);
        }
    }

    /** Image arrays (float[] or byte[]) handed back by consumers, reused by the next batches. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Object> spare =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    public BatchLoader(ImageSource source, Augmentation augmentation, int batchSize, long seed, int workers,
            int prefetch, boolean skipBadImages, Consumer<String> warn) {
        this(source, augmentation, batchSize, 0, 1, seed, workers, prefetch, skipBadImages, warn);
    }

    /** Rank {@code rank}'s shard of the global batches of {@code worldSize} ranks of {@code batchSize} each. */
    public BatchLoader(ImageSource source, Augmentation augmentation, int batchSize, int rank, int worldSize,
            long seed, int workers, int prefetch, boolean skipBadImages, Consumer<String> warn) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is not in [0, " + worldSize + ")");
        }
        batchesPerEpoch(source, batchSize, worldSize);   // at least one
        this.rank = rank;
        this.worldSize = worldSize;
        if (source.channels() != augmentation.config().channels()) {
            throw new IllegalArgumentException("dataset has " + source.channels() + " channels but normalisation has "
                    + augmentation.config().channels() + " mean/std values");
        }
        this.source = source;
        this.augmentation = augmentation;
        this.batchSize = batchSize;
        this.seed = seed;
        this.prefetch = Math.max(1, prefetch);
        this.skipBadImages = skipBadImages;
        this.warn = warn;
        int n = Math.max(1, workers);
        if (source instanceof EncodedImages && augmentation.isCropFlipOnly()) {
            nativePath = new NativeAugmentation(augmentation.config(), false, times);
        }
        this.workers = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "semaim-data");
            t.setDaemon(true);
            return t;
        });
    }

    /** How JPEG and PNG files are decoded. */
    public enum Decoding {
        /** libjpeg-turbo/libpng; a JPEG whose crop is shrunk by 2, 4 or 8 anyway is decoded reduced (default). */
        REDUCED,
        /** libjpeg-turbo/libpng at full size ({@code --exact-decode}). */
        EXACT,
        /** ImageIO and the Java resampler (what semaim did before; for comparison). */
        JAVA
    }

    /** Chooses how files are decoded; call before the first epoch. */
    public BatchLoader decoding(Decoding d) {
        boolean possible = source instanceof EncodedImages && augmentation.isCropFlipOnly();
        nativePath = possible && d != Decoding.JAVA
                ? new NativeAugmentation(augmentation.config(), d == Decoding.EXACT, times) : null;
        return this;
    }

    /** Whether JPEG and PNG files are decoded natively (libjpeg-turbo, libpng) rather than by ImageIO. */
    public boolean decodesNatively() {
        return nativePath != null;
    }

    /** Time spent so far in each stage, summed over the worker threads. */
    public StageTimes times() {
        return times;
    }

    /** Full global batches per epoch (drop last): each rank gets this many batches of {@code batchSize}. */
    public int batchesPerEpoch() {
        return batchesPerEpoch(source, batchSize, worldSize);
    }

    /**
     * Full batches per epoch of {@code source} for each of {@code worldSize} ranks: a share of the global
     * permutation, or of the smallest rank's shards for a {@link ShardOrder} source.
     */
    public static int batchesPerEpoch(ImageSource source, int batchSize, int worldSize) {
        if (!(source instanceof ShardOrder sharded)) {
            return batchesPerEpoch(source.size(), batchSize, worldSize);
        }
        int perRank = sharded.samplesPerRank(worldSize);
        if (perRank < batchSize) {
            throw new IllegalArgumentException("the smallest rank's shards hold " + perRank + " images, fewer than"
                    + " one batch of " + batchSize + " (lower --batch-size, or pack into more even shards)");
        }
        return perRank / batchSize;
    }

    /** Full global batches per epoch of {@code size} images in batches of {@code batchSize} per rank. */
    public static int batchesPerEpoch(int size, int batchSize, int worldSize) {
        if (size < (long) batchSize * worldSize) {
            throw new IllegalArgumentException("the dataset has " + size + " images, fewer than one batch of "
                    + batchSize + (worldSize > 1 ? " on each of " + worldSize + " processes" : "")
                    + " (lower --batch-size)");
        }
        return size / (batchSize * worldSize);
    }

    public int batchSize() {
        return batchSize;
    }

    /** Number of distinct undecodable images skipped so far (a file met in several epochs counts once). */
    public int badImages() {
        return badImages.size();
    }

    /** The epoch's order of source indices: a Fisher-Yates shuffle seeded by (seed, epoch). */
    public int[] permutation(int epoch) {
        return new Rng(mix(seed, 0x5EED_0F_E90C4L, epoch)).permutation(source.size());
    }

    /** Batches {@code startBatch..} of {@code epoch}, prepared up to {@code prefetch} batches ahead. */
    public Iterator<Batch> epoch(int epoch, int startBatch) {
        // A global permutation that every rank slices, or this rank's own stream of its shards.
        int[] perm = source instanceof ShardOrder sharded ? sharded.order(epoch, seed, rank, worldSize)
                : permutation(epoch);
        int total = batchesPerEpoch();
        return new Iterator<>() {
            private final ArrayDeque<Future<Batch>> queue = new ArrayDeque<>();
            private int nextToSubmit = startBatch;

            private void fill() {
                while (queue.size() < prefetch && nextToSubmit < total) {
                    int b = nextToSubmit++;
                    queue.add(workers.submit(() -> build(epoch, b, perm)));
                }
            }

            @Override
            public boolean hasNext() {
                fill();
                return !queue.isEmpty();
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    Batch b = queue.poll().get();
                    fill();
                    return b;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for data", e);
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof DataException d) {
                        throw new UncheckedDataException(d);
                    }
                    throw new IllegalStateException("data worker failed: " + c, c);
                }
            }
        };
    }

    private Batch build(int epoch, int b, int[] perm) throws IOException {
        int s = augmentation.config().imageSize(), c = augmentation.config().channels();
        int per = c * s * s;
        long t = System.nanoTime();
        // Every value is written below: a spare array needs no clearing.
        float[] images = nativePath != null ? null : spare(float[].class, batchSize * per, float[]::new);
        byte[] pixels = nativePath == null ? null : spare(byte[].class, batchSize * per, byte[]::new);
        int[] labels = new int[batchSize];
        int[] indices = new int[batchSize];
        times.add(StageTimes.Stage.ASSEMBLE, t);
        for (int k = 0; k < batchSize; k++) {
            int position = (b * worldSize + rank) * batchSize + k;   // unique over ranks: seeds the augmentation
            int index = perm[source instanceof ShardOrder ? b * batchSize + k : position];
            for (int tries = 0; ; tries++) {
                try {
                    String damage = sample(index, new Rng(mix(seed, epoch, position)), images, pixels, k * per);
                    if (damage != null) {
                        if (skipBadImages) {
                            throw new DataException("damaged image " + source.describe(index) + ": " + damage);
                        }
                        if (reported.add(index)) {
                            warn.accept("image " + source.describe(index) + " is damaged (" + damage
                                    + "); training on what could be decoded (--skip-bad-images skips such files)");
                        }
                    }
                    break;
                } catch (DataException e) {
                    if (!skipBadImages) {
                        throw new DataException(e.getMessage() + " (pass --skip-bad-images to skip such files)", e);
                    }
                    badImages.add(index);
                    if (reported.add(index)) {
                        warn.accept("skipping undecodable image: " + e.getMessage());
                    }
                    if (tries >= source.size()) {
                        throw new DataException("no decodable image in " + source.description());
                    }
                    index = (index + 1) % source.size();   // deterministic replacement
                }
            }
            indices[k] = index;
            labels[k] = source.label(index);
        }
        return new Batch(epoch, b, images, pixels, labels, indices, augmentation.config(), a -> {
            if (spare.size() < prefetch + 2) {
                spare.add(a);
            }
        });
    }

    /**
     * Decodes image {@code index} and augments it into {@code out} from {@code offset}, drawing from {@code rng};
     * returns what the decoder found damaged, or null.
     */
    private String sample(int index, Rng rng, float[] out, byte[] pixels, int offset) throws IOException {
        if (nativePath != null) {
            long t = System.nanoTime();
            byte[] bytes = ((EncodedImages) source).bytes(index);
            times.add(StageTimes.Stage.READ, t);
            ImageHeader h = ImageHeader.of(bytes);
            if (NativeAugmentation.handles(h)) {
                nativePath.apply(bytes, h, source.describe(index), ((EncodedImages) source).maxPixels(), rng,
                        pixels, offset);
                return null;
            }
        }
        long t = System.nanoTime();
        DecodedImage img = source.load(index);
        t = times.add(StageTimes.Stage.DECODE, t);
        if (pixels != null) {   // a BMP or GIF (or 16-bit PNG) among JPEGs: 8 bits, as PIL would hold it
            float[] px = augmentation.cropFlip(img, rng);
            for (int i = 0; i < px.length; i++) {
                pixels[offset + i] = (byte) Math.round(Math.min(1f, Math.max(0f, px[i])) * 255f);
            }
        } else {
            augmentation.apply(img, rng, out, offset);
        }
        times.add(StageTimes.Stage.CROP_RESIZE, t);
        return img.damage();
    }

    /** A spare array of {@code length} values of this type from a recycled batch, or a new one. */
    private <A> A spare(Class<A> type, int length, java.util.function.IntFunction<A> fresh) {
        Object a = spare.poll();
        return type.isInstance(a) && java.lang.reflect.Array.getLength(a) == length ? type.cast(a)
                : fresh.apply(length);
    }

    static long mix(long a, long b, long c) {
        long h = a * 0x9E3779B97F4A7C15L + b;
        h = (h ^ (h >>> 29)) * 0xBF58476D1CE4E5B9L + c;
        return h ^ (h >>> 32);
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    /** A {@link DataException} surfacing through the iterator. */
    public static final class UncheckedDataException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UncheckedDataException(DataException cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized DataException getCause() {
            return (DataException) super.getCause();
        }
    }
}
