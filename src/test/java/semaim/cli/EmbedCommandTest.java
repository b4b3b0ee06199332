package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.Datasets;
import semaim.data.EvalTransform;
import semaim.data.ImageSource;
import semaim.data.TestData;
import semaim.eval.EncoderCheckpoint;
import semaim.io.SafeTensors;
import semaim.model.VisionTransformer;
import semaim.torch.Scope;
import semaim.torch.Tensors;

class EmbedCommandTest {
    @Test
    void writesNpyWhoseHeaderAndValuesAreTheEncodersFeatures(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run("pretrain", "--image-size", "16", "--patch-size", "4", "--width", "32", "--depth", "2",
                "--heads", "2", "--decoder-depth", "1", "--viz-every", "0", "--batch-size", "8", "--max-steps", "1",
                "--output", run.toString()).code());
        Files.createDirectories(dir.resolve("idx"));
        Path idx = TestData.writeIdx(dir.resolve("idx"), 3);
        Path npy = dir.resolve("out").resolve("emb.npy");
        Cli.Outcome o = Cli.run("embed", "--checkpoint", run.toString(), "--images", idx.toString(), "--output",
                npy.toString(), "--batch-size", "2");
        assertEquals(0, o.code(), o.err());

        byte[] bytes = Files.readAllBytes(npy);
        assertEquals((byte) 0x93, bytes[0]);
        assertEquals("NUMPY", new String(bytes, 1, 5, StandardCharsets.US_ASCII));
        assertEquals(1, bytes[6]);
        assertEquals(0, bytes[7]);
        int headerLen = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        String header = new String(bytes, 10, headerLen, StandardCharsets.US_ASCII);
        assertEquals(0, (10 + headerLen) % 64, "data starts on a 64-byte boundary");
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32), }"), header);
        assertTrue(header.endsWith("\n"));
        float[] written = new float[3 * 32];
        ByteBuffer.wrap(bytes, 10 + headerLen, bytes.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer().get(written);
        assertEquals(10 + headerLen + 3 * 32 * 4, bytes.length);

        float[] expected;
        try (Scope s = Scope.open()) {   // the encoder's CLS features after the final norm, computed directly
            EncoderCheckpoint ck = EncoderCheckpoint.open(run);
            VisionTransformer vt = new VisionTransformer(ck.modelConfig(), VisionTransformer.Pooling.CLS, 0);
            vt.loadEncoder(ck.weights(), "test");
            vt.eval();
            ImageSource src = Datasets.open(idx.toString(), 1);
            EvalTransform t = EvalTransform.standard(16, 1);
            float[] px = new float[3 * 16 * 16];
            for (int i = 0; i < 3; i++) {
                t.apply(src.load(i), px, i * 256);
            }
            Tensor f = Tensors.noGrad(() -> vt.features(Tensors.floats(px, 3, 1, 16, 16)));
            expected = Tensors.toFloats(f);
        }
        assertArrayEquals(expected, written, 1e-6f);
        List<String> csv = Files.readAllLines(dir.resolve("out").resolve("emb.csv"));
        assertEquals(4, csv.size());
        assertEquals("index,file,label,class", csv.get(0));
        assertTrue(csv.get(1).startsWith("0,"), csv.get(1));

        // --pool patch as safetensors: (3, 16 patches, 32)
        Path st = dir.resolve("out").resolve("patch.safetensors");
        assertEquals(0, Cli.run("embed", "--checkpoint", run.toString(), "--images", idx.toString(), "--output",
                st.toString(), "--pool", "patch").code());
        assertEquals(List.of(3L, 16L, 32L), java.util.Arrays.stream(Tensors.shape(SafeTensors.read(st).tensors()
                .get("embeddings"))).boxed().toList());

        // a partial output that carries no record of what produced it is not continued (ReliabilityRoundTwoTest
        // continues a real one); --overwrite starts over
        Path again = dir.resolve("out").resolve("again.npy");
        Files.write(again.resolveSibling("again.npy.part"), java.util.Arrays.copyOf(bytes, 10 + headerLen + 2 * 128
                + 50));
        Files.write(again.resolveSibling("again.csv.part"), csv.subList(0, 3));
        Cli.Outcome refused = Cli.run("embed", "--checkpoint", run.toString(), "--images", idx.toString(), "--output",
                again.toString());
        assertEquals(ExitCodes.INVALID_CONFIG, refused.code(), refused.err());
        assertTrue(refused.err().contains("no record of what produced it") && refused.err().contains("--overwrite"),
                refused.err());
        Cli.Outcome resumed = Cli.run("embed", "--checkpoint", run.toString(), "--images", idx.toString(), "--output",
                again.toString(), "--batch-size", "2", "--overwrite");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(bytes, Files.readAllBytes(again));
        assertEquals(csv, Files.readAllLines(again.resolveSibling("again.csv")));
        assertTrue(Files.notExists(again.resolveSibling("again.npy.part")));
    }
}
