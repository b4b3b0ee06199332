package semaim.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import semaim.io.CheckpointFolders;
import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.model.ModelConfig;
import semaim.model.ModelMetadata;
import semaim.model.SemAimModel;
import semaim.target.TargetConfig;

/**
 * A pre-trained encoder to evaluate: the weights of a pre-training checkpoint and the architecture saved in their
 * metadata. Accepts a checkpoint folder, a run folder (its newest valid checkpoint) or a {@code .safetensors} file
 * written by semaim; the file alone is enough to rebuild the model.
 *
 * @param pretrainConfig  the whole pre-training config as saved with the weights (for result provenance), or null
 */
public record EncoderCheckpoint(Path file, String sha256, ModelConfig modelConfig, TargetConfig targetConfig,
        JsonElement pretrainConfig, Map<String, Tensor> weights) {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("semaim");

    /**
     * The encoder {@code path} names, checked against the SHA-256 recorded beside it: a damaged file or checkpoint
     * folder named is an error; in a run folder a damaged newer checkpoint is skipped with a warning.
     */
    public static EncoderCheckpoint open(Path path) throws IOException {
        Path file = CheckpointFolders.locateModel(path, m -> LOG.warn("{}", m));
        String sha256 = CheckpointFolders.verifiedSha256(file);   // hashed once: checked and recorded
        SafeTensors.Contents c = SafeTensors.read(file);
        Tensor patchWeight = c.tensors().get("patch_embed.proj.weight");
        if (patchWeight == null || patchWeight.dim() != 4) {
            throw new IOException(file + " holds no ViT patch embedding ('patch_embed.proj.weight'); is it a semaim"
                    + " checkpoint?");
        }
        ModelMetadata.Configs configs = ModelMetadata.read(c.metadata(), (int) patchWeight.size(1), file.toString());
        String saved = c.metadata().get("config");
        JsonElement pretrainConfig;
        try {
            pretrainConfig = saved != null ? JsonParser.parseString(saved) : null;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + ": the pre-training config in its metadata is not valid JSON");
        }
        return new EncoderCheckpoint(file, sha256, configs.model(), configs.target(),
                pretrainConfig, c.tensors());
    }

    /** Input channels of the saved model. */
    public int channels() {
        return modelConfig.inChannels();
    }

    /** The whole pre-training model (encoder, decoder, head) with these weights, for visualisation. */
    public SemAimModel fullModel() {
        SemAimModel m = new SemAimModel(modelConfig, targetConfig);
        ModelWeights.load(m, weights, true, file.toString());
        return m;
    }
}
