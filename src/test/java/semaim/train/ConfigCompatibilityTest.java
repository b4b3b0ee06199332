package semaim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.google.gson.JsonParser;

import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.ModelMetadata;
import semaim.order.SimilarityKind;
import semaim.target.LossType;
import semaim.target.TargetConfig;

/**
 * Runs and weights saved by semaim 0.1 (one flat 40-field config) still load. The files under
 * {@code src/test/resources/semaim-0.1/} were written by that version: {@code pretrain --order semantic-reference
 * --accum-steps 2 --drop-path 0.1 --head LINEAR --loss L1 --model vit_pico_patch2_28 --max-steps 6 --log-every 1
 * --batch-size 32}.
 */
class ConfigCompatibilityTest {
    /** What that command line means in the current layout. */
    private static final PretrainConfig EXPECTED = new PretrainConfig(
            new PretrainConfig.Data(null, 1, false, 2, 4, 89_478_485L, false),
            new PretrainConfig.Augment(0.2, 1.0, 3.0 / 4, 4.0 / 3, 0.5, null, null),
            new PretrainConfig.Model("vit_pico_patch2_28", 0, 0, HeadType.LINEAR, 0.1, 0, 0, 0, 0),
            new TargetConfig(9, 1.0, true, LossType.L1),
            new PretrainConfig.Order("semantic-reference", SimilarityKind.CLS),
            new PretrainConfig.Optim(10, 32, 2, 4e-3, 0.0, 1, 0.05, 0.9, 0.95, 1e-8, 3.0),
            new PretrainConfig.Run(0, "cpu", 6, 200, 3, 1, "fp32"));

    private static String resource(String name) throws IOException {
        try (InputStream in = ConfigCompatibilityTest.class.getResourceAsStream("/semaim-0.1/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void configJsonOfVersion01Loads() throws IOException {
        PretrainConfig c = PretrainConfig.fromJson(resource("config.json"));
        assertEquals(EXPECTED, c);
        assertNull(c.augment().mean());
        assertEquals(64, c.effectiveBatch());
        assertEquals(EXPECTED.modelConfig(1), c.modelConfig(1));
    }

    @Test
    void stateJsonOfVersion01Loads() throws IOException {
        Checkpoint.State s = Checkpoint.parse(JsonParser.parseString(resource("state.json")).getAsJsonObject(),
                Path.of("state.json"));
        assertEquals(6, s.step());
        assertEquals(0, s.epoch());
        assertEquals(12, s.batchInEpoch());
        assertEquals(-5347170791609572526L, s.orderRng());
        assertEquals(EXPECTED, s.config());
        assertEquals("4000", s.provenance().get("dataset_images"));
        assertEquals(1262508, s.files().get("model.safetensors").size());
    }

    @Test
    void weightsMetadataOfVersion01GivesTheArchitecture() throws IOException {
        ModelMetadata.Configs c = ModelMetadata.read(Map.of("config", resource("config.json")), 1, "old.safetensors");
        assertEquals(EXPECTED.modelConfig(1), c.model());
        assertEquals(EXPECTED.target(), c.target());
        assertEquals(HeadType.LINEAR, c.model().headType());
        assertEquals(0.1, c.model().dropPath());
    }

    @Test
    void currentLayoutRoundTripsAndWeightsMetadataRebuildsTheModel() {
        PretrainConfig withMean = EXPECTED.withRun(new PretrainConfig.Run(7, "cuda:1", 0, 0, 2, 20, "bf16"));
        PretrainConfig back = PretrainConfig.fromJson(withMean.toJson());
        assertEquals(withMean, back);
        PretrainConfig normalised = new PretrainConfig(EXPECTED.data(), new PretrainConfig.Augment(0.3, 0.9, 0.5,
                2.0, 0.0, new double[] {0.5}, new double[] {0.25}), EXPECTED.model(), EXPECTED.target(),
                EXPECTED.order(), EXPECTED.optim(), EXPECTED.run());
        assertArrayEquals(new double[] {0.25}, PretrainConfig.fromJson(normalised.toJson()).augment().std());
        ModelConfig m = EXPECTED.modelConfig(3).withImageSize(32).withDecoderDepth(1);
        ModelMetadata.Configs c = ModelMetadata.read(ModelMetadata.of(m, EXPECTED.target()), 1, "new.safetensors");
        assertEquals(m, c.model());
        assertEquals(EXPECTED.target(), c.target());
    }

    @Test
    void somethingElseIsRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainConfig.fromJson("{\"epochs\": 3}"));
        assertEquals("not a semaim pre-training config (fields are missing)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelMetadata.read(Map.of("source", "x"), 1, "other.safetensors"));
        assertEquals("other.safetensors carries no semaim model configuration in its metadata; cannot tell its"
                + " architecture", e.getMessage());
    }
}
