package semaim.data;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import semaim.torch.Scope;
import semaim.util.Memory;

/**
 * The data path alone, timed: the pre-training loader ({@link BatchLoader} with its augmentation) drawing batches
 * as fast as it can, each turned into the normalised tensor a step takes ({@link BatchLoader.Batch#tensor}, on
 * this thread, as in pretrain) and nothing else. What a training run can be fed at most.
 */
public final class LoaderBench {
    private LoaderBench() {}

    /** What to time. {@code warmup} batches are drawn first and not counted. */
    public record Options(AugmentConfig augment, int batchSize, int workers, int prefetch,
            BatchLoader.Decoding decoding, int warmup, int batches, long seed) {}

    /** Images per second, seconds per image in each stage (summed over workers), and memory. */
    public record Result(int images, double seconds, double imagesPerSecond, Map<StageTimes.Stage, Double> msPerImage,
            boolean nativeDecoding, double rssFirstMb, double rssLastMb, double peakRssMb, double[] rssByTenthMb,
            double[] javaHeapByTenthMb) {
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("images", images);
            j.put("seconds", seconds);
            j.put("images_per_s", imagesPerSecond);
            j.put("decoder", nativeDecoding ? "native" : "java");
            msPerImage.forEach((k, v) -> j.put(k.name().toLowerCase(java.util.Locale.ROOT) + "_ms_per_image", v));
            j.put("rss_first_mb", rssFirstMb);
            j.put("rss_last_mb", rssLastMb);
            j.put("peak_rss_mb", peakRssMb);
            // after each tenth of the timed batches: a leak climbs steadily, warming-up allocators level off
            j.put("rss_mb_by_tenth", rssByTenthMb);
            j.put("java_heap_committed_mb_by_tenth", javaHeapByTenthMb);
            return j;
        }
    }

    /** Draws {@code warmup + batches} batches (epoch after epoch) and times the last {@code batches}. */
    public static Result run(ImageSource source, Options o, java.util.function.Consumer<String> warn)
            throws IOException {
        try (BatchLoader loader = new BatchLoader(source, new Augmentation(o.augment()), o.batchSize(), o.seed(),
                o.workers(), o.prefetch(), false, warn).decoding(o.decoding())) {
            Batches batches = new Batches(loader);
            for (int i = 0; i < o.warmup(); i++) {
                batches.next().recycle();
            }
            loader.times().reset();
            double rssFirst = Memory.rssMb();
            double[] rssByTenth = new double[10], heapByTenth = new double[10];
            int tenths = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < o.batches(); i++) {
                BatchLoader.Batch b = batches.next();
                long t = System.nanoTime();
                try (Scope scope = Scope.open()) {
                    b.tensor();   // normalised as pretrain does it, on the consuming thread
                }
                loader.times().add(StageTimes.Stage.NORMALISE, t);
                b.recycle();
                for (; tenths < 10 && (i + 1) * 10L >= (tenths + 1L) * o.batches(); tenths++) {
                    rssByTenth[tenths] = Memory.rssMb();
                    heapByTenth[tenths] = Runtime.getRuntime().totalMemory() / (1024.0 * 1024.0);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int images = o.batches() * o.batchSize();
            Map<StageTimes.Stage, Double> ms = new LinkedHashMap<>();
            for (StageTimes.Stage s : StageTimes.Stage.values()) {
                ms.put(s, loader.times().seconds(s) * 1e3 / images);
            }
            return new Result(images, seconds, images / seconds, ms, loader.decodesNatively(), rssFirst,
                    Memory.rssMb(), Memory.peakRssMb(), rssByTenth, heapByTenth);
        } catch (BatchLoader.UncheckedDataException e) {
            throw e.getCause();
        }
    }

    /** Batches of one epoch after another. */
    private static final class Batches {
        private final BatchLoader loader;
        private int epoch;
        private Iterator<BatchLoader.Batch> current;

        Batches(BatchLoader loader) {
            this.loader = loader;
            this.current = loader.epoch(0, 0);
        }

        BatchLoader.Batch next() {
            while (!current.hasNext()) {
                current = loader.epoch(++epoch, 0);
            }
            return current.next();
        }
    }
}
