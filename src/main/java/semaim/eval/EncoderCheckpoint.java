package semaim.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import semaim.io.SafeTensors;
import semaim.train.Checkpoint;
import semaim.train.PretrainConfig;

/**
 * A pre-trained encoder to evaluate: the weights of a pre-training checkpoint and the architecture saved with
 * them. Accepts a checkpoint folder, a run folder (its newest valid checkpoint) or a {@code .safetensors} file
 * written by semaim (whose metadata holds the config).
 */
public record EncoderCheckpoint(Path file, String sha256, PretrainConfig config, Map<String, Tensor> weights) {

    public static EncoderCheckpoint open(Path path) throws IOException {
        Path file;
        if (Files.isRegularFile(path)) {
            file = path;
        } else if (Files.isRegularFile(path.resolve(Checkpoint.MODEL))) {
            file = path.resolve(Checkpoint.MODEL);
        } else if (Files.isDirectory(path.resolve("checkpoints"))) {
            file = Checkpoint.latestValid(path.resolve("checkpoints"), m -> { })
                    .orElseThrow(() -> new IOException("no valid checkpoint in " + path.resolve("checkpoints")))
                    .resolve(Checkpoint.MODEL);
        } else {
            throw new IOException(path + " is not a checkpoint folder, a run folder or a .safetensors file");
        }
        SafeTensors.Contents c = SafeTensors.read(file);
        String json = c.metadata().get("config");
        if (json == null) {
            throw new IOException(file + " carries no semaim config in its metadata; cannot tell its architecture");
        }
        Gson gson = new GsonBuilder().serializeSpecialFloatingPointValues().create();
        return new EncoderCheckpoint(file, sha256(file), gson.fromJson(json, PretrainConfig.class), c.tensors());
    }

    /** Input channels of the saved model (read off the patch-embedding weight). */
    public int channels() {
        return (int) weights.get("patch_embed.proj.weight").size(1);
    }

    /** The whole pre-training model (encoder, decoder, head) with these weights, for visualisation. */
    public semaim.model.SemAimModel fullModel() {
        semaim.model.SemAimModel m = new semaim.model.SemAimModel(config.modelConfig(channels()), config.targetConfig());
        semaim.io.ModelWeights.load(m, weights, true, file.toString());
        return m;
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
