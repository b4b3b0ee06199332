package semaim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import semaim.eval.EncoderSource;
import semaim.eval.EvalData;
import semaim.io.Json;
import semaim.io.Provenance;
import semaim.model.VisionTransformer;
import semaim.torch.DistEnv;
import semaim.torch.Distributed;
import semaim.torch.Precision;
import semaim.torch.Torch;

/** What the evaluation commands share: opening data and encoder, and writing a result file with provenance. */
final class Evaluation {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    final EvalOptions options;
    final EvalData data;
    final EncoderSource encoder;   // the checkpoint's weights, or a seeded random initialisation
    final long startNanos = System.nanoTime();

    final Path resultFile;
    final Distributed dist;   // the ranks sharing this evaluation (a single process without a launcher)

    Evaluation(EvalOptions options, String command, double dropPath) throws IOException {
        this.options = options;
        DistEnv env = options.dist.env();
        this.resultFile = !env.isMain() ? null : checkWritable(options.output != null ? options.output : Path.of("results", command + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json"));
        this.data = EvalData.open(options.data, options.train, options.test, options.channels, options.trainLimit,
                options.testLimit);
        int channels = data.train().channels();
        encoder = EncoderSource.openOrRandom(options.checkpoint, options.model, channels, options.imageSize,
                options.seed).withDropPath(dropPath);
        if (encoder.channels() != channels) {
            throw new IllegalArgumentException(encoder.name() + " was trained on " + encoder.channels()
                    + "-channel images but the evaluation data has " + channels + " (see --channels)");
        }
        LOG.info("train: {}", data.train().description());
        LOG.info("test:  {}", data.test().description());
        this.dist = options.dist.join(command, env, DistOptions.deviceFor(options.device, env));
    }

    /** The device of this rank: {@code --device}, or {@code cuda:LOCAL_RANK} for {@code cuda} under a launcher. */
    org.bytedeco.pytorch.Device device() {
        return Torch.device(DistOptions.deviceFor(options.device, dist.env()));
    }

    /** The encoder, {@code pooling} and a classifier head of {@code classes} (0: none), on the CPU. */
    VisionTransformer encoder(VisionTransformer.Pooling pooling, int classes) {
        return encoder.build(pooling, classes);
    }

    /** The model's pooling for {@code --pool}, which must give one vector per image (k-NN, probes). */
    static VisionTransformer.Pooling oneVector(semaim.api.Pooling pool) {
        if (pool == semaim.api.Pooling.PATCHES) {
            throw new IllegalArgumentException("--pool patches gives a grid of vectors per image; this evaluation needs"
                    + " one: choose cls, mean or concat");
        }
        return pool.model();
    }

    /** Train and test features of {@code encoder}, with a progress bar. */
    semaim.eval.Features.Set[] features(VisionTransformer encoder, org.bytedeco.pytorch.Device device, int batchSize)
            throws IOException {
        Precision p = Precision.parse(options.precision).resolve(device);
        LOG.info("features in {}", p);
        try (Bar bar = new Bar("features", data.train().size() + data.test().size())) {
            return semaim.eval.Protocols.features(encoder, data, device, batchSize, p, dist,
                    n -> bar.stepTo(n, null));
        }
    }

    /**
     * Writes {@code metrics} with provenance to the result file; returns its path. In a multi-process run only rank 0
     * writes (the others return null), and every rank then leaves the process group.
     */
    Path writeResult(String command, Map<String, Object> settings, Map<String, Object> metrics) throws IOException {
        if (!dist.isMain()) {
            dist.close();
            return null;
        }
        if (dist.enabled()) {
            settings = new LinkedHashMap<>(settings);
            settings.put("processes", dist.worldSize());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("command", command);
        out.put("metrics", metrics);
        out.put("settings", settings);
        out.put("encoder", encoder.provenance());
        out.put("train_data", data.train().description());
        out.put("test_data", data.test().description());
        out.put("seed", options.seed);
        out.put("precision", options.precision);
        out.put("wall_seconds", (System.nanoTime() - startNanos) / 1e9);
        out.put("provenance", Provenance.of(data.train().description(), data.train().size()));
        Path file = resultFile;
        Files.writeString(file, Json.toJson(out), StandardCharsets.UTF_8);
        LOG.info("result: {}", file);
        dist.close();
        return file;
    }

    /**
     * Fails now, before any features are computed, if the result cannot be written: the folder cannot be made,
     * the path is a folder, or nothing can be created there. Leaves no file behind.
     */
    private static Path checkWritable(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.isDirectory(file)) {
            throw new IOException("--output " + file + " is a folder; name a file such as " + file.resolve("result.json"));
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new IOException("--output " + file + " is not writable");
        }
        Files.delete(Files.createTempFile(parent, ".semaim-write-check", ".tmp"));
        return file;
    }

    /** The metrics of a trained probe: final top-1 and top-5 and the history [epoch, loss, top1, top5]. */
    static Map<String, Object> classificationMetrics(double top1, double top5, java.util.List<double[]> history) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("top1", top1);
        m.put("top5", top5);
        m.put("history_epoch_loss_top1_top5", history);
        return m;
    }

    static int classes(EvalData d) {
        return Math.max(d.train().classNames().size(), d.test().classNames().size());
    }
}
