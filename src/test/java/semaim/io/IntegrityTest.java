package semaim.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.train.ResumeTestAccess;

/** Items 9 and 10 of the reliability issue: what counts as a valid checkpoint, and what a safetensors file may be. */
class IntegrityTest {
    @TempDir
    Path dir;

    private static void flipAByte(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        b[b.length - 5] ^= 0x40;
        Files.write(file, b);
    }

    @Test
    void damagedCheckpointsDoNotCountTowardKeepLast() throws Exception {
        PretrainConfig cfg = ResumeTestAccess.tiny(TestData.writeIdx(dir, 64).toString(), 8);   // checkpoints every 2
        new Pretrainer(cfg, dir.resolve("run"), null).run(() -> false, ResumeTestAccess.quiet());
        Path checkpoints = dir.resolve("run/checkpoints");
        List<String> names = new ArrayList<>();
        CheckpointFolders.list(checkpoints).forEach(p -> names.add(p.getFileName().toString()));
        assertEquals(List.of("step-00000008", "step-00000006", "step-00000004", "step-00000002"), names);
        flipAByte(checkpoints.resolve("step-00000008/model.safetensors"));
        flipAByte(checkpoints.resolve("step-00000006/optimizer.pt"));
        CheckpointFolders.prune(checkpoints, 2);
        names.clear();
        CheckpointFolders.list(checkpoints).forEach(p -> names.add(p.getFileName().toString()));
        // The two newest valid ones are kept; the damaged newer ones stay for inspection, never counted.
        assertEquals(List.of("step-00000008", "step-00000006", "step-00000004", "step-00000002"), names);
        CheckpointFolders.prune(checkpoints, 1);
        names.clear();
        CheckpointFolders.list(checkpoints).forEach(p -> names.add(p.getFileName().toString()));
        assertEquals(List.of("step-00000008", "step-00000006", "step-00000004"), names);
        assertEquals("step-00000004", CheckpointFolders.latestValid(checkpoints, m -> { }).orElseThrow()
                .getFileName().toString());
    }

    @Test
    void stateJsonIsCoveredByItsOwnChecksum() throws Exception {
        PretrainConfig cfg = ResumeTestAccess.tiny(TestData.writeIdx(dir, 64).toString(), 2);
        new Pretrainer(cfg, dir.resolve("run"), null).run(() -> false, ResumeTestAccess.quiet());
        Path ck = dir.resolve("run/checkpoints/step-00000002");
        CheckpointFolders.verify(ck);
        Path state = ck.resolve(CheckpointFolders.STATE);
        Files.writeString(state, Files.readString(state).replace("\"batchInEpoch\": 4", "\"batchInEpoch\": 6"));
        Exception e = assertThrows(java.io.IOException.class, () -> CheckpointFolders.verify(ck));
        assertTrue(e.getMessage().contains("state.json is damaged"), e.getMessage());
    }

    private static Path raw(Path file, byte[] header, byte[] data) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return Files.write(file, b.array());
    }

    @Test
    void safetensorsHeadersMustBeUtf8AndNameEachKeyOnce() throws Exception {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertEquals(1, SafeTensors.read(raw(dir.resolve("ok.safetensors"), ok.getBytes(StandardCharsets.UTF_8),
                new byte[4])).tensors().size());
        byte[] latin1 = "{\"__metadata__\":{\"note\":\"caf\u00e9\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
                .getBytes(StandardCharsets.ISO_8859_1);
        Path f = raw(dir.resolve("latin1.safetensors"), latin1, new byte[4]);
        Exception e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
        String twice = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Path g = raw(dir.resolve("twice.safetensors"), twice.getBytes(StandardCharsets.UTF_8), new byte[8]);
        e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(g));
        assertTrue(e.getMessage().contains("names 'a' twice"), e.getMessage());
    }
}
