package semaim.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.gson.JsonElement;

import semaim.io.ModelWeights;
import semaim.model.ModelConfig;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;

/**
 * Where an encoder's weights come from, and the one way a {@link VisionTransformer} is built from them: every
 * command, the k-NN monitor, the ablation grid and the Java API open their encoder here, so drop path, image size,
 * seeding and the load report cannot drift apart between them.
 *
 * @param config       the architecture (with any drop path or image size asked for)
 * @param weights      a pre-training (or fine-tuning) state dict, or null for a random initialisation
 * @param name         what the weights are called in messages (a file, "the student")
 * @param checkpoint   the file they were read from, or null
 * @param seed         seed of libtorch's generator when building (the random weights, a classifier head's start);
 *                     null: drawn from the generator as the caller left it
 */
public record EncoderSource(ModelConfig config, Map<String, Tensor> weights, String name, EncoderCheckpoint checkpoint,
        Long seed) {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    /** The encoder of a checkpoint folder, run folder (its newest valid checkpoint) or model file. */
    public static EncoderSource open(Path path) throws IOException {
        EncoderCheckpoint ck = EncoderCheckpoint.open(path);
        return new EncoderSource(ck.modelConfig(), ck.weights(), ck.file().toString(), ck, null);
    }

    /**
     * What the evaluation commands open: the encoder of {@code checkpoint}, or without one a random {@code preset}
     * for {@code channels} (at {@code imageSize} when given); libtorch's generator seeded with {@code seed} either way
     * (the random weights, or a classifier head's start).
     */
    public static EncoderSource openOrRandom(Path checkpoint, String preset, int channels, Integer imageSize,
            long seed) throws IOException {
        if (checkpoint != null) {
            return open(checkpoint).withSeed(seed);
        }
        EncoderSource random = random(ModelConfig.preset(preset).withInChannels(channels), seed);
        return imageSize != null ? random.withImageSize(imageSize) : random;
    }

    /** A random initialisation of {@code config}, drawn from {@code seed}. */
    public static EncoderSource random(ModelConfig config, long seed) {
        return fromGenerator(config).withSeed(seed);
    }

    /** A random initialisation of {@code config} drawn from libtorch's generator as it stands. */
    public static EncoderSource fromGenerator(ModelConfig config) {
        return new EncoderSource(config, null, "random " + config.name(), null, null);
    }

    /** Weights held in memory (a training student's state dict, an ablation cell's checkpoint). */
    public static EncoderSource of(ModelConfig config, Map<String, Tensor> weights, String name) {
        return new EncoderSource(config, weights, name, null, null);
    }

    public EncoderSource withDropPath(double dropPath) {
        return new EncoderSource(config.withDropPath(dropPath), weights, name, checkpoint, seed);
    }

    /** A random encoder at another input size (a checkpoint's weights fix theirs: refused). */
    public EncoderSource withImageSize(int imageSize) {
        if (weights != null && imageSize != config.imageSize()) {
            throw new IllegalArgumentException(name + " was trained at " + config.imageSize() + " px; --image-size "
                    + imageSize + " applies to a random encoder only");
        }
        return new EncoderSource(config.withImageSize(imageSize), weights, name, checkpoint, seed);
    }

    /**
     * The same weights at another input size (a multiple of the patch): the position embedding is resampled to the
     * new grid (bicubic, CLS row kept, as ViTDet and timm fine-tune at a new resolution); every other weight is
     * independent of the input size. A random encoder is simply built at that size.
     */
    public EncoderSource atImageSize(int imageSize) {
        if (imageSize == config.imageSize()) {
            return this;
        }
        if (imageSize <= 0 || imageSize % config.patchSize() != 0) {
            throw new IllegalArgumentException("--image-size must be a positive multiple of the patch ("
                    + config.patchSize() + "), got " + imageSize);
        }
        ModelConfig resized = config.withImageSize(imageSize);
        if (weights == null) {
            return new EncoderSource(resized, null, name, checkpoint, seed);
        }
        Map<String, Tensor> w = new LinkedHashMap<>(weights);
        Tensor pos = w.get("pos_embed");
        if (pos != null) {
            w.put("pos_embed", semaim.model.PositionEmbedding.resample(pos.squeeze(0), config.gridSize(),
                    resized.gridSize()).unsqueeze(0));
            LOG.info("{}: position embedding resampled from a {}x{} to a {}x{} grid ({} px)", name, config.gridSize(),
                    config.gridSize(), resized.gridSize(), resized.gridSize(), imageSize);
        }
        return new EncoderSource(resized, w, name, checkpoint, seed);
    }

    /** The same weights, libtorch's generator seeded with {@code seed} before building. */
    public EncoderSource withSeed(long seed) {
        return new EncoderSource(config, weights, weights == null ? "random " + config.name() + " (seed " + seed + ")"
                : name, checkpoint, seed);
    }

    /** Input channels the encoder expects. */
    public int channels() {
        return config.inChannels();
    }

    /** What identifies the weights: the file's SHA-256, or the random initialisation and its seed. */
    public String id() {
        return checkpoint != null ? "sha256 " + checkpoint.sha256() : name;
    }

    /** A one-line description: the file and its SHA-256, or the random initialisation. */
    public String description() {
        return checkpoint != null ? checkpoint.file() + " (sha256 " + checkpoint.sha256() + ")" : name;
    }

    /** What a result file records about the encoder: checkpoint, SHA-256, pre-training config, architecture. */
    public Map<String, Object> provenance() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (checkpoint != null) {
            m.put("checkpoint", checkpoint.file().toAbsolutePath().toString());
            m.put("sha256", checkpoint.sha256());
            JsonElement pretrain = checkpoint.pretrainConfig();
            if (pretrain != null) {
                m.put("pretrain_config", pretrain);
            }
        } else {
            m.put("checkpoint", weights == null ? "none (" + name + ")" : name);
        }
        m.put("model", config);
        return m;
    }

    /**
     * The encoder, {@code pooling} and a classifier head of {@code classes} (0: none), with these weights loaded
     * (keys it lacks, the decoder and prediction head, are reported as unused; the fresh {@code fc_norm} and head as
     * missing).
     */
    public VisionTransformer build(VisionTransformer.Pooling pooling, int classes) {
        if (seed != null) {
            Torch.manualSeed(seed);
        }
        VisionTransformer vt = new VisionTransformer(config, pooling, classes);
        if (weights == null) {
            LOG.info("randomly initialised {} encoder{}", config.name(), seed == null ? "" : " (seed " + seed + ")");
            return vt;
        }
        ModelWeights.LoadReport r = vt.loadEncoder(weights, name);
        String report = String.format("loaded %d tensors from %s; unused (decoder, head of pre-training): %s; missing"
                + " (newly initialised): %s", r.loaded().size(), name, summary(r.unexpected()), summary(r.missing()));
        if (checkpoint != null) {
            LOG.info("{}", report);
        } else {   // the k-NN monitor's student, each measurement
            LOG.debug("{}", report);
        }
        return vt;
    }

    private static String summary(List<String> keys) {
        if (keys.isEmpty()) {
            return "none";
        }
        Map<String, Integer> byPrefix = new LinkedHashMap<>();
        for (String k : keys) {
            byPrefix.merge(k.contains(".") ? k.substring(0, k.indexOf('.')) : k, 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        byPrefix.forEach((p, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(p).append(" (").append(n)
                .append(')'));
        return sb.toString();
    }
}
