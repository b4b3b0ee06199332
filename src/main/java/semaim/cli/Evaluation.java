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

import semaim.eval.EncoderCheckpoint;
import semaim.eval.EvalData;
import semaim.io.Json;
import semaim.io.ModelWeights;
import semaim.io.Provenance;
import semaim.model.ModelConfig;
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
    final EncoderCheckpoint checkpoint;   // null for a random encoder
    final ModelConfig modelConfig;
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
        if (options.checkpoint != null) {
            checkpoint = EncoderCheckpoint.open(options.checkpoint);
            if (checkpoint.channels() != channels) {
                throw new IllegalArgumentException(checkpoint.file() + " was trained on " + checkpoint.channels()
                        + "-channel images but the evaluation data has " + channels + " (see --channels)");
            }
            modelConfig = checkpoint.modelConfig().withDropPath(dropPath);
        } else {
            checkpoint = null;
            ModelConfig m = ModelConfig.preset(options.model).withInChannels(channels).withDropPath(dropPath);
            modelConfig = options.imageSize != null ? m.withImageSize(options.imageSize) : m;
        }
        LOG.info("train: {}", data.train().description());
        LOG.info("test:  {}", data.test().description());
        this.dist = options.dist.join(command, env, DistOptions.deviceFor(options.device, env));
    }

    /** The device of this rank: {@code --device}, or {@code cuda:LOCAL_RANK} for {@code cuda} under a launcher. */
    org.bytedeco.pytorch.Device device() {
        return Torch.device(DistOptions.deviceFor(options.device, dist.env()));
    }

    /** The encoder: the checkpoint's weights, or a seeded random initialisation. */
    VisionTransformer encoder(VisionTransformer.Pooling pooling, int classes) {
        Torch.manualSeed(options.seed);
        VisionTransformer vt = new VisionTransformer(modelConfig, pooling, classes);
        if (checkpoint != null) {
            ModelWeights.LoadReport r = vt.loadEncoder(checkpoint.weights(), checkpoint.file().toString());
            LOG.info("loaded {} tensors from {}", r.loaded().size(), checkpoint.file());
            LOG.info("unused (decoder, head of pre-training): {}", summary(r.unexpected()));
            LOG.info("missing (newly initialised): {}", r.missing().isEmpty() ? "none" : String.join(", ", r.missing()));
        } else {
            LOG.info("randomly initialised {} encoder (seed {})", modelConfig.name(), options.seed);
        }
        return vt;
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

    private static String summary(java.util.List<String> keys) {
        if (keys.isEmpty()) {
            return "none";
        }
        Map<String, Integer> byPrefix = new LinkedHashMap<>();
        for (String k : keys) {
            byPrefix.merge(k.contains(".") ? k.substring(0, k.indexOf('.')) : k, 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        byPrefix.forEach((p, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(p).append(" (").append(n).append(')'));
        return sb.toString();
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
        Map<String, Object> encoder = new LinkedHashMap<>();
        if (checkpoint != null) {
            encoder.put("checkpoint", checkpoint.file().toAbsolutePath().toString());
            encoder.put("sha256", checkpoint.sha256());
            if (checkpoint.pretrainConfig() != null) {
                encoder.put("pretrain_config", checkpoint.pretrainConfig());
            }
        } else {
            encoder.put("checkpoint", "none (random initialisation)");
        }
        encoder.put("model", modelConfig);
        out.put("encoder", encoder);
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
