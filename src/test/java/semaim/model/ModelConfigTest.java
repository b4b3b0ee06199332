package semaim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelConfigTest {
    @Test
    void paperPresetsHaveThePapersShapes() {
        ModelConfig b = ModelConfig.preset("vit_base_patch16_224");
        assertEquals(196, b.numPatches());
        assertEquals(768, b.pixelsPerPatch());
        assertEquals(64, b.headDim());
        assertEquals(3072, b.mlpHidden());
        assertEquals(12, b.decoderDepth());
        ModelConfig l = ModelConfig.preset("VIT_LARGE_PATCH16_224");
        assertEquals(24, l.depth());
        assertEquals(1024, l.width());
        for (String name : ModelConfig.presetNames()) {
            assertEquals(name, ModelConfig.preset(name).name());
        }
    }

    @Test
    void invalidCombinationsFailWithAClearMessage() {
        ModelConfig ok = ModelConfig.preset("vit_pico_patch2_28");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ok.withImageSize(29));
        assertTrue(e.getMessage().contains("not a multiple of patch size 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ok.withDecoderDepth(5));
        assertTrue(e.getMessage().contains("exceeds encoder depth 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig("x", 28, 2, 1, 66, 4, 4, 4, 2, HeadType.MLP, 0, 1e-6));
        assertTrue(e.getMessage().contains("not divisible by 4 heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig("x", 28, 2, 1, 62, 4, 2, 4, 2, HeadType.MLP, 0, 1e-6));
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ok.withDropPath(1.0));
        assertTrue(e.getMessage().contains("dropPath"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("vit_gigantic"));
        assertTrue(e.getMessage().contains("vit_base_patch16_224"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig("x", 4, 4, 1, 64, 4, 4, 4, 2, HeadType.MLP, 0, 1e-6));
    }
}
