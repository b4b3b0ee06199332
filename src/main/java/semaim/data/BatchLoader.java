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

    /** One batch: normalised images (B*C*S*S values, CHW per image), labels (-1 if none), source indices. */
    public record Batch(int epoch, int index, float[] images, int[] labels, int[] sourceIndices) {}

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
        batchesPerEpoch(source.size(), batchSize, worldSize);   // at least one
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
        this.workers = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "semaim-data");
            t.setDaemon(true);
            return t;
        });
    }

    /** Full global batches per epoch (drop last): each rank gets this many batches of {@code batchSize}. */
    public int batchesPerEpoch() {
        return batchesPerEpoch(source.size(), batchSize, worldSize);
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
        int[] p = new int[source.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        Rng rng = new Rng(mix(seed, 0x5EED_0F_E90C4L, epoch));
        for (int i = p.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Batches {@code startBatch..} of {@code epoch}, prepared up to {@code prefetch} batches ahead. */
    public Iterator<Batch> epoch(int epoch, int startBatch) {
        int[] perm = permutation(epoch);
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
        float[] images = new float[batchSize * per];
        int[] labels = new int[batchSize];
        int[] indices = new int[batchSize];
        for (int k = 0; k < batchSize; k++) {
            int position = (b * worldSize + rank) * batchSize + k;
            int index = perm[position];
            DecodedImage img = null;
            for (int tries = 0; img == null; tries++) {
                try {
                    img = source.load(index);
                    if (img.damage() != null) {
                        if (skipBadImages) {
                            throw new DataException("damaged image " + source.describe(index) + ": " + img.damage());
                        }
                        if (reported.add(index)) {
                            warn.accept("image " + source.describe(index) + " is damaged (" + img.damage()
                                    + "); training on what could be decoded (--skip-bad-images skips such files)");
                        }
                    }
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
            augmentation.apply(img, new Rng(mix(seed, epoch, position)), images, k * per);
        }
        return new Batch(epoch, b, images, labels, indices);
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
