package semaim.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.target.TargetConfig;
import semaim.torch.Tensors;
import semaim.torch.Torch;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void modelRoundTripIsBitExact() throws Exception {
        Torch.init();
        Torch.manualSeed(1);
        SemAimModel a = new SemAimModel(ModelConfig.preset("vit_pico_patch2_28"), TargetConfig.reference());
        Torch.manualSeed(2);
        SemAimModel b = new SemAimModel(ModelConfig.preset("vit_pico_patch2_28"), TargetConfig.reference());
        Path f = dir.resolve("m.safetensors");
        ModelWeights.save(a, f, Map.of("config", "pico"));
        ModelWeights.LoadReport r = ModelWeights.load(b, f, true);
        assertTrue(r.missing().isEmpty() && r.unexpected().isEmpty());
        Map<String, Tensor> sa = ModelWeights.stateDict(a), sb = ModelWeights.stateDict(b);
        for (String k : sa.keySet()) {
            assertTrue(torch.equal(sa.get(k), sb.get(k)), k);   // bitwise equal values
        }
        assertEquals("pico", SafeTensors.read(f).metadata().get("config"));
        // Saving b again gives the same bytes.
        Path g = dir.resolve("m2.safetensors");
        ModelWeights.save(b, g, Map.of("config", "pico"));
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(g));
    }

    @Test
    void everyDtypeRoundTripsIncludingSpecialValues() throws Exception {
        Torch.init();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("f32", Tensors.floats(new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0f, 1e-45f, 3.4e38f, 1.5f}, 2, 3));
        t.put("f64", Tensors.floats(new float[] {1, 2}, 2).to(torch.ScalarType.Double));
        t.put("i64", Tensors.floats(new float[] {-5, 7}, 2).to(torch.ScalarType.Long));
        t.put("f16", Tensors.floats(new float[] {0.1f, 65504f}, 2).to(torch.ScalarType.Half));
        t.put("bf16", Tensors.floats(new float[] {0.1f}, 1).to(torch.ScalarType.BFloat16));
        t.put("scalar", Tensors.floats(new float[] {4}));
        t.put("empty", Tensors.zeros(0, 3));
        Path f = dir.resolve("d.safetensors");
        SafeTensors.write(f, t, Map.of());
        Map<String, Tensor> back = SafeTensors.read(f).tensors();
        assertEquals(t.keySet(), back.keySet());
        for (String k : t.keySet()) {
            assertEquals(Tensors.scalarType(t.get(k)), Tensors.scalarType(back.get(k)), k);
            assertArrayEquals(Tensors.shape(t.get(k)), Tensors.shape(back.get(k)), k);
            // compare raw bits (NaN == NaN)
            assertTrue(torch.equal(t.get(k).view(bitsType(t.get(k))), back.get(k).view(bitsType(back.get(k)))), k);
        }
    }

    private static torch.ScalarType bitsType(Tensor t) {
        switch ((int) t.element_size()) {
            case 8: return torch.ScalarType.Long;
            case 4: return torch.ScalarType.Int;
            case 2: return torch.ScalarType.Short;
            default: return torch.ScalarType.Byte;
        }
    }

    @Test
    void truncatedFileIsRejected() throws Exception {
        Path f = writeOne();
        byte[] all = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 3));
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(cut));
        assertTrue(e.getMessage().contains("out of range or truncated"), e.getMessage());
        Files.write(cut, java.util.Arrays.copyOf(all, 20));
        e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(cut));
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
        Files.write(cut, new byte[] {1, 2, 3});
        e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(cut));
        assertTrue(e.getMessage().contains("shorter than the 8-byte header"), e.getMessage());
    }

    @Test
    void unknownOrMismatchedDtypesAreRejected() throws Exception {
        Path f = handMade("{\"w\":{\"dtype\":\"F8_E9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("unsupported dtype 'F8_E9'"), e.getMessage());
        Path g = handMade("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(g));
        assertTrue(e.getMessage().contains("= 16 bytes, but its data_offsets span 8"), e.getMessage());
        // A well-formed file whose dtype differs from the model's parameter.
        Torch.init();
        SemAimModel m = new SemAimModel(ModelConfig.preset("vit_pico_patch2_28"), TargetConfig.reference());
        Map<String, Tensor> sd = new LinkedHashMap<>(ModelWeights.stateDict(m));
        sd.put("norm.weight", sd.get("norm.weight").to(torch.ScalarType.Double));
        Path h = dir.resolve("f64.safetensors");
        SafeTensors.write(h, sd, Map.of());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ModelWeights.load(m, h, true));
        assertTrue(ex.getMessage().contains("'norm.weight' has dtype F64 but the model expects F32"), ex.getMessage());
    }

    @Test
    void outOfRangeOverlappingAndMalformedHeadersAreRejected() throws Exception {
        Path a = handMade("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertTrue(assertThrows(SafeTensorsException.class, () -> SafeTensors.read(a)).getMessage()
                .contains("ends at byte 16 of a 8-byte data section"));
        Path b = handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertTrue(assertThrows(SafeTensorsException.class, () -> SafeTensors.read(b)).getMessage()
                .contains("overlaps"));
        Path c = handMade("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertTrue(assertThrows(SafeTensorsException.class, () -> SafeTensors.read(c)).getMessage()
                .contains("hole"));
        Path d = handMade("{\"w\": [1, 2", 0);
        assertTrue(assertThrows(SafeTensorsException.class, () -> SafeTensors.read(d)).getMessage()
                .contains("not valid JSON"));
        Path e = handMade("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
        assertTrue(assertThrows(SafeTensorsException.class, () -> SafeTensors.read(e)).getMessage()
                .contains("not a non-negative integer"));
        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertTrue(assertThrows(SafeTensorsException.class, () -> SafeTensors.read(huge)).getMessage()
                .contains("header length"));
    }

    @Test
    void shapeMismatchOnLoadNamesTheTensor() throws Exception {
        Torch.init();
        SemAimModel pico = new SemAimModel(ModelConfig.preset("vit_pico_patch2_28"), TargetConfig.reference());
        SemAimModel nano = new SemAimModel(ModelConfig.preset("vit_nano_patch4_28"), TargetConfig.reference());
        Path f = dir.resolve("pico.safetensors");
        ModelWeights.save(pico, f, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelWeights.load(nano, f, true));
        assertTrue(e.getMessage().contains("has shape"), e.getMessage());
    }

    private Path writeOne() throws Exception {
        Torch.init();
        Path f = dir.resolve("one.safetensors");
        SafeTensors.write(f, Map.of("w", Tensors.floats(new float[] {1, 2, 3, 4}, 4)), Map.of());
        return f;
    }

    private Path handMade(String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(new byte[dataBytes]);
        Path f = Files.createTempFile(dir, "hand", ".safetensors");
        Files.write(f, out.toByteArray());
        return f;
    }
}
