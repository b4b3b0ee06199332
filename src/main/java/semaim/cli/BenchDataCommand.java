package semaim.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.data.AugmentConfig;
import semaim.data.BatchLoader;
import semaim.data.Datasets;
import semaim.data.ImageSource;
import semaim.data.LoaderBench;
import semaim.data.StageTimes;
import semaim.torch.Torch;

/** {@code semaim bench-data}: how many images per second the pre-training data path delivers, stage by stage. */
@Command(name = "bench-data", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time the pre-training data loader alone on a folder of images (or an IDX file): read, decode,"
                + " RandomResizedCrop + flip (bicubic), normalisation and batch assembly, with --workers threads, as"
                + " pretrain runs it, with nothing consuming the batches. Prints one JSON line and a table: images/s,"
                + " milliseconds per image in each stage (summed over the workers), and memory."},
        footer = {"", "Example: semaim bench-data --data /data/imagenet/train --image-size 224 --workers 2",
            "scripts/bench-data-vs-torchvision.sh runs it next to the reference's torchvision pipeline."})
public final class BenchDataCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Image folder or IDX file.")
    String data;

    @Option(names = "--channels", defaultValue = "3", description = "1 or 3. Default: ${DEFAULT-VALUE}.") int channels;
    @Option(names = "--image-size", defaultValue = "224", description = "Crop size. Default: ${DEFAULT-VALUE}.") int imageSize;
    @Option(names = "--batch-size", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.") int batchSize;
    @Option(names = "--workers", defaultValue = "2", description = "Decoding threads. Default: ${DEFAULT-VALUE}.") int workers;
    @Option(names = "--prefetch", description = "Batches prepared ahead (default: 2 x workers).") Integer prefetch;
    @Option(names = "--batches", defaultValue = "30", description = "Timed batches. Default: ${DEFAULT-VALUE}.") int batches;
    @Option(names = "--warmup", defaultValue = "3", description = "Batches drawn first, not timed. Default: ${DEFAULT-VALUE}.") int warmup;
    @Option(names = "--decoder", defaultValue = "REDUCED",
            description = "reduced (libjpeg-turbo, JPEGs decoded at 1/2-1/8 size when the crop is shrunk that much anyway), exact (libjpeg-turbo at full size, as --exact-decode) or java (ImageIO and the Java resampler, semaim's earlier path). Default: ${DEFAULT-VALUE}.")
    BatchLoader.Decoding decoder;
    @Option(names = "--threads", description = "libtorch intra-op threads (default: all cores).") Integer threads;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--output", paramLabel = "FILE", description = "Also append the JSON line to this file.") Path output;

    @Override
    public Integer call() {
        return CommandErrors.guard("bench-data", () -> {
            if (batchSize <= 0 || workers <= 0 || batches <= 0 || warmup < 0 || imageSize < 2) {
                throw new IllegalArgumentException("--batch-size, --workers and --batches must be positive, --warmup"
                        + " >= 0, --image-size >= 2");
            }
            if (threads != null) {
                System.setProperty("semaim.threads", threads.toString());
            }
            Torch.init();
            long t0 = System.nanoTime();
            ImageSource source = Datasets.open(data, channels);
            double listed = (System.nanoTime() - t0) / 1e9;
            LOG.info("bench-data: {} (listed in {} s); {} px, batch {}, {} worker(s), decoder {}",
                    source.description(), String.format("%.2f", listed), imageSize, batchSize, workers,
                    decoder.name().toLowerCase(Locale.ROOT));
            LoaderBench.Result r = LoaderBench.run(source, new LoaderBench.Options(AugmentConfig.pretraining(
                    imageSize, source.channels()), batchSize, workers, prefetch != null ? prefetch : 2 * workers,
                    decoder, warmup, batches, seed), LOG::warn);
            Map<String, Object> j = r.json();
            j.put("image_size", imageSize);
            j.put("batch_size", batchSize);
            j.put("workers", workers);
            j.put("data", source.description());
            j.put("listing_seconds", listed);
            BenchCommand.printJsonLine(j, output);
            table(r);
            return ExitCodes.OK;
        });
    }

    private static void table(LoaderBench.Result r) {
        LOG.info("{} images in {} s -> {} images/s ({} decoder)", r.images(), String.format("%.2f", r.seconds()),
                String.format("%.1f", r.imagesPerSecond()), r.nativeDecoding() ? "native" : "java");
        StringBuilder stages = new StringBuilder();
        for (Map.Entry<StageTimes.Stage, Double> e : r.msPerImage().entrySet()) {
            stages.append(String.format("%s %.3f  ", e.getKey().name().toLowerCase(Locale.ROOT), e.getValue()));
        }
        LOG.info("ms per image, summed over workers: {}", stages.toString().strip());
        LOG.info("RSS {} MiB at the first timed batch, {} MiB at the last; peak {} MiB",
                Math.round(r.rssFirstMb()), Math.round(r.rssLastMb()), Math.round(r.peakRssMb()));
    }
}
