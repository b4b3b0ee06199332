package semaim.model;

import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import semaim.target.LossType;
import semaim.target.TargetConfig;

/**
 * The architecture and target stored in a weights file's metadata, so that a model is rebuilt from its
 * {@code .safetensors} alone: {@code model_config} holds the {@link ModelConfig} and {@code target_config} the
 * {@link TargetConfig}, each as JSON. Files written by semaim 0.1 carry only the flat pre-training config under
 * {@code config}; the architecture is recovered from it (its preset name plus overrides).
 */
public final class ModelMetadata {
    public static final String MODEL_CONFIG = "model_config";
    public static final String TARGET_CONFIG = "target_config";
    private static final Gson GSON = semaim.io.Json.gson(false);

    private ModelMetadata() {}

    /** What a model is rebuilt from. */
    public record Configs(ModelConfig model, TargetConfig target) {}

    /** The metadata entries that describe {@code model} and {@code target}. */
    public static Map<String, String> of(ModelConfig model, TargetConfig target) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MODEL_CONFIG, GSON.toJson(model));
        m.put(TARGET_CONFIG, GSON.toJson(target));
        return m;
    }

    /**
     * The model and target configuration of a weights file, from its metadata; {@code source} names the file in
     * errors. {@code inChannels} is used only for semaim 0.1 files, whose metadata does not say (read it off the
     * patch-embedding weight).
     */
    public static Configs read(Map<String, String> metadata, int inChannels, String source) {
        try {
            if (metadata.containsKey(MODEL_CONFIG)) {
                ModelConfig m = GSON.fromJson(metadata.get(MODEL_CONFIG), ModelConfig.class);
                String t = metadata.get(TARGET_CONFIG);
                return new Configs(m, t != null ? GSON.fromJson(t, TargetConfig.class) : TargetConfig.reference());
            }
            if (metadata.containsKey("config")) {
                return fromFlatPretrainConfig(JsonParser.parseString(metadata.get("config")).getAsJsonObject(),
                        inChannels);
            }
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(source + ": the model configuration in its metadata is not valid JSON",
                    e);
        } catch (IllegalStateException | IllegalArgumentException | NullPointerException
                | UnsupportedOperationException e) {
            throw new IllegalArgumentException(source + ": the model configuration in its metadata is unusable ("
                    + (e.getMessage() != null ? e.getMessage() : "fields are missing") + ")", e);
        }
        throw new IllegalArgumentException(source + " carries no semaim model configuration in its metadata;"
                + " cannot tell its architecture");
    }

    /** semaim 0.1: the flat pre-training config (preset name plus image size, decoder depth, head, drop path). */
    private static Configs fromFlatPretrainConfig(JsonObject c, int inChannels) {
        ModelConfig m = ModelConfig.preset(c.get("model").getAsString()).withInChannels(inChannels)
                .withHeadType(HeadType.valueOf(c.get("head").getAsString()))
                .withDropPath(c.get("dropPath").getAsDouble());
        if (c.get("imageSize").getAsInt() > 0) {
            m = m.withImageSize(c.get("imageSize").getAsInt());
        }
        if (c.get("decoderDepth").getAsInt() > 0) {
            m = m.withDecoderDepth(c.get("decoderDepth").getAsInt());
        }
        TargetConfig t = new TargetConfig(c.get("blurKernel").getAsInt(), c.get("blurSigma").getAsDouble(),
                c.get("normPix").getAsBoolean(), LossType.valueOf(c.get("loss").getAsString()));
        return new Configs(m, t);
    }
}
