package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;
import semaim.io.SafeTensors;
import semaim.torch.Torch;

/**
 * The faults and bad inputs of the reliability issue, as a user meets them on the command line: each test names
 * the item it guards. Every user-caused failure is one line, a documented exit code, and no result file.
 */
class ReliabilityCliTest {
    @TempDir
    Path dir;

    private static final String[] TINY = {"--image-size", "16", "--decoder-depth", "2", "--batch-size", "8",
        "--viz-every", "0", "--log-every", "1"};

    /** 64 Fashion-MNIST images as an IDX file. */
    private Path data() throws Exception {
        Path folder = dir.resolve("idx");
        Path images = folder.resolve("tiny-images-idx3-ubyte");
        return Files.exists(images) ? images : TestData.writeIdx(Files.createDirectories(folder), 64);
    }

    private Path tinyRun(String name, String... extra) throws Exception {
        Path data = data();
        Path out = dir.resolve(name);
        List<String> args = new ArrayList<>(List.of("pretrain", "--data", data.toString(), "--output", out.toString()));
        args.addAll(List.of(TINY));
        args.addAll(List.of(extra));
        Cli.Outcome o = Cli.run(args.toArray(new String[0]));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        return out;
    }

    private static Path weightsOf(Path run) throws Exception {
        try (var s = Files.list(run.resolve("checkpoints"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().reduce((a, b) -> b)
                    .orElseThrow().resolve("model.safetensors");
        }
    }

    /** Item 1: NaN must never be scored as 100%. */
    @Test
    void nonFiniteFeaturesLogitsAndLossesStopWithExitCode8AndNoResult() throws Exception {
        Path result = dir.resolve("lin.json");
        Cli.Outcome o = Cli.run("linprobe", "--train-limit", "300", "--test-limit", "100", "--epochs", "2",
                "--blr", "3e38", "--output", result.toString());
        assertEquals(ExitCodes.NON_FINITE, o.code(), o.err());
        assertTrue(o.err().contains("non-finite") || o.err().contains("NaN"), o.err());
        assertFalse(Files.exists(result));

        Path run = tinyRun("run", "--max-steps", "1");
        SafeTensors.Contents c = SafeTensors.read(weightsOf(run));
        Map<String, Tensor> poisoned = new LinkedHashMap<>(c.tensors());
        Tensor w = poisoned.get("blocks.0.attn.qkv.weight");
        poisoned.put("blocks.0.attn.qkv.weight", w.mul(new org.bytedeco.pytorch.Scalar(Double.NaN)));
        Path nan = dir.resolve("nan.safetensors");
        SafeTensors.write(nan, poisoned, c.metadata());
        Path knn = dir.resolve("knn.json");
        o = Cli.run("knn", "--checkpoint", nan.toString(), "--train-limit", "300", "--test-limit", "100", "--output",
                knn.toString());
        assertEquals(ExitCodes.NON_FINITE, o.code(), o.err());
        assertTrue(o.err().contains("non-finite feature"), o.err());
        assertFalse(Files.exists(knn));
    }

    /** Item 2: one writer per run folder; a lock left by a killed process is taken over. */
    @Test
    void aSecondProcessOnTheSameRunFolderIsRefusedAndAStaleLockIsTakenOver() throws Exception {
        Torch.init();   // natives extracted before the child starts
        Path data = TestData.writeIdx(dir, 64);
        Path out = dir.resolve("run");
        List<String> args = new ArrayList<>(List.of("pretrain", "--data", data.toString(), "--output", out.toString(),
                "--checkpoint-every", "2", "--max-steps", "20"));
        args.addAll(List.of(TINY));
        Process holder = Cli.start(List.of("-Dsemaim.test.checkpointPauseMillis=60000"), null,
                args.toArray(new String[0]));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("semaim: writing checkpoint")) {
                    break;   // the holder now sits in its first checkpoint write, lock held
                }
            }
            List<String> second = new ArrayList<>(args);
            second.set(second.indexOf("20"), "10");
            Cli.Outcome o = Cli.run(second.toArray(new String[0]));
            assertEquals(ExitCodes.BUSY, o.code(), o.err());
            assertTrue(o.err().contains("in use by semaim process " + holder.pid()), o.err());
            assertTrue(o.oneLineError(), o.err());
            o = Cli.run("pretrain", "--output", out.toString(), "--resume", "auto");
            assertEquals(ExitCodes.BUSY, o.code(), o.err());
        } finally {
            holder.destroyForcibly();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(Files.exists(out.resolve(".semaim.lock")), "a killed holder leaves its lock file");
        Cli.Outcome o = Cli.run("pretrain", "--data", data.toString(), "--output", out.toString(), "--overwrite",
                "--max-steps", "1", "--image-size", "16", "--decoder-depth", "2", "--batch-size", "8", "--viz-every", "0");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("taking over the lock") && o.err().contains(Long.toString(holder.pid())), o.err());
        assertFalse(Files.exists(out.resolve(".semaim.lock")), "released on exit");
    }

    /** Item 3: a fresh run never mixes with what a folder already holds. */
    @Test
    void aFreshRunRefusesAFolderWithARunUnlessOverwrite() throws Exception {
        Path out = dir.resolve("run");
        Files.createDirectories(out);
        Files.writeString(out.resolve("config.json"), "{\"old\": true}");
        Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":9.0}\n{\"step\":2,\"loss\":9.0}\n");
        // A run that saved a checkpoint (config and metrics alone are what a failed start leaves: issue 22, item 6).
        Files.createDirectories(out.resolve("checkpoints").resolve("step-00000002"));
        Path data = TestData.writeIdx(dir, 64);
        List<String> args = new ArrayList<>(List.of("pretrain", "--data", data.toString(), "--output", out.toString(),
                "--max-steps", "2", "--seed", "5"));
        args.addAll(List.of(TINY));
        Cli.Outcome o = Cli.run(args.toArray(new String[0]));
        assertEquals(ExitCodes.INVALID_CONFIG, o.code(), o.err());
        assertTrue(o.err().contains("already holds checkpoints") && o.err().contains("--overwrite"), o.err());
        assertEquals("{\"old\": true}", Files.readString(out.resolve("config.json")), "nothing touched");
        args.add("--overwrite");
        o = Cli.run(args.toArray(new String[0]));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"seed\": 5"));
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, lines.size());
        assertFalse(lines.get(0).contains("9.0"), "the old metrics are gone");
    }

    /** Item 6: user-caused failures are one line with a documented code, never a stack trace. */
    @Test
    void hostileFilesAndPathsGiveOneLineErrors() throws Exception {
        Path run = tinyRun("run", "--max-steps", "1");
        SafeTensors.Contents c = SafeTensors.read(weightsOf(run));
        // A shape whose element count overflows 64 bits.
        Path overflow = dir.resolve("overflow.safetensors");
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}}";
        writeRawSafetensors(overflow, header, new byte[4]);
        Cli.Outcome o = Cli.run("knn", "--checkpoint", overflow.toString(), "--train-limit", "50", "--test-limit", "20");
        assertEquals(ExitCodes.INVALID_CONFIG, o.code(), o.err());
        assertTrue(o.oneLineError() && o.err().contains("does not fit in 64 bits"), o.err());
        // Metadata whose config is not JSON.
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put("config", "{not json");
        meta.remove("model_config");
        Path badMeta = dir.resolve("badmeta.safetensors");
        SafeTensors.write(badMeta, c.tensors(), meta);
        o = Cli.run("knn", "--checkpoint", badMeta.toString(), "--train-limit", "50", "--test-limit", "20");
        assertEquals(ExitCodes.INVALID_CONFIG, o.code(), o.err());
        assertTrue(o.oneLineError(), o.err());
        // An absurd learning rate.
        o = Cli.run("linprobe", "--train-limit", "300", "--test-limit", "100", "--epochs", "1", "--blr", "1e300",
                "--output", dir.resolve("lin.json").toString());
        assertTrue(o.code() == ExitCodes.NON_FINITE || o.code() == ExitCodes.INVALID_CONFIG, o.err());
        assertTrue(o.oneLineError(), o.err());
        // Output paths that cannot be run folders.
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        for (String bad : new String[] {"/proc/semaim-x", file.toString()}) {
            List<String> args = new ArrayList<>(List.of("pretrain", "--output", bad, "--max-steps", "1"));
            args.addAll(List.of(TINY));
            o = Cli.run(args.toArray(new String[0]));
            assertEquals(ExitCodes.IO, o.code(), o.err());
            assertTrue(o.oneLineError(), o.err());
        }
        // A damaged checkpoint named for resume.
        Path ck = weightsOf(run).getParent();
        Files.writeString(ck.resolve("state.json"), "{\"format\": 2, \"step\": 1");
        o = Cli.run("pretrain", "--resume", ck.toString());
        assertEquals(ExitCodes.RESUME, o.code(), o.err());
        assertTrue(o.oneLineError(), o.err());
    }

    private static void writeRawSafetensors(Path file, String header, byte[] data) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + data.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
    }

    /** Item 7: the shutdown message belongs to an interrupted run only; SIGTERM saves, says how to go on, exits 143. */
    @Test
    void aFailedRunPrintsNoShutdownMessageAndSigtermSavesAndSaysHowToContinue() throws Exception {
        Torch.init();
        Path images = dir.resolve("images");
        for (int i = 0; i < 16; i++) {
            TestData.writePng(images.resolve("img" + i + ".png"), 20, 20, 10 * i);
        }
        Files.writeString(images.resolve("broken.png"), "not a png");
        Process p = Cli.start(List.of(), null, "pretrain", "--data", images.toString(), "--channels", "1",
                "--output", dir.resolve("failed").toString(), "--image-size", "16", "--decoder-depth", "2",
                "--batch-size", "8", "--viz-every", "0", "--workers", "1");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(ExitCodes.DATA, p.exitValue(), out);
        assertFalse(out.contains("stopping after the current step"), out);

        Path data = TestData.writeIdx(dir, 64);
        Path run = dir.resolve("term");
        Process t = Cli.start(List.of(), null, "pretrain", "--data", data.toString(), "--output", run.toString(),
                "--image-size", "16", "--decoder-depth", "2", "--batch-size", "8", "--viz-every", "0",
                "--epochs", "1000", "--log-every", "1", "--checkpoint-every", "0");
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(t.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                if (line.contains("step 3/")) {
                    t.toHandle().destroy();   // SIGTERM (Process.destroy would also close our end of the pipe)
                }
            }
        }
        assertTrue(t.waitFor(120, TimeUnit.SECONDS));
        String all = String.join("\n", lines);
        assertEquals(ExitCodes.TERMINATED, t.exitValue(), all);
        assertTrue(all.contains("stopped early; continue with: semaim pretrain --output"), all);
        assertTrue(Cli.run("--help").out().contains("143"), "--help documents SIGTERM's exit code");
    }

    /** Item 8: repeating the original command with --resume auto is not a change. */
    @Test
    void resumingWithTheSameValuesIsAllowedAndADifferentValueIsNot() throws Exception {
        Path run = tinyRun("run", "--max-steps", "2", "--seed", "3");
        Path data = data();
        List<String> again = new ArrayList<>(List.of("pretrain", "--data", data.toString(), "--output", run.toString(),
                "--seed", "3", "--resume", "auto", "--max-steps", "3"));
        again.addAll(List.of(TINY));
        Cli.Outcome o = Cli.run(again.toArray(new String[0]));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        again.set(again.indexOf("--seed") + 1, "4");
        o = Cli.run(again.toArray(new String[0]));
        assertEquals(ExitCodes.INVALID_CONFIG, o.code(), o.err());
        assertTrue(o.err().contains("cannot change --seed when resuming"), o.err());
    }

    /** Item 10: an edited state.json is damage like any other. */
    @Test
    void anEditedStateJsonIsNotResumedFrom() throws Exception {
        Path run = tinyRun("run", "--max-steps", "2");
        Path state = weightsOf(run).getParent().resolve("state.json");
        Files.writeString(state, Files.readString(state).replace("\"step\": 2", "\"step\": 1"));
        Cli.Outcome o = Cli.run("pretrain", "--output", run.toString(), "--resume", "auto");
        assertEquals(ExitCodes.RESUME, o.code(), o.err());
        assertTrue(o.err().contains("state.json is damaged"), o.err());
    }

    /** Item 11: a truncated JPEG is reported (and skipped with --skip-bad-images), never used silently. */
    @Test
    void aTruncatedJpegIsReportedOrSkipped() throws Exception {
        Path images = dir.resolve("images");
        for (int i = 0; i < 15; i++) {
            TestData.writePng(images.resolve("img" + i + ".png"), 20, 20, 10 * i);
        }
        java.awt.image.BufferedImage noise = new java.awt.image.BufferedImage(256, 256,
                java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random rnd = new java.util.Random(1);
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                noise.setRGB(x, y, rnd.nextInt());
            }
        }
        Path jpg = images.resolve("cut.jpg");
        javax.imageio.ImageIO.write(noise, "jpg", jpg.toFile());
        byte[] bytes = Files.readAllBytes(jpg);
        Files.write(jpg, java.util.Arrays.copyOf(bytes, bytes.length * 7 / 10));
        String[] common = {"pretrain", "--data", images.toString(), "--channels", "1", "--image-size", "16",
            "--decoder-depth", "2", "--batch-size", "8", "--viz-every", "0", "--epochs", "1"};
        List<String> a = new ArrayList<>(List.of(common));
        a.addAll(List.of("--output", dir.resolve("warned").toString()));
        Cli.Outcome o = Cli.run(a.toArray(new String[0]));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue((o.err() + o.out()).contains("cut.jpg is damaged"), o.err());
        a = new ArrayList<>(List.of(common));
        a.addAll(List.of("--output", dir.resolve("skipped").toString(), "--skip-bad-images"));
        o = Cli.run(a.toArray(new String[0]));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertFalse(Files.readString(dir.resolve("skipped/summary.json")).contains("\"bad_images_skipped\": 0"));
    }

    /** Item 12: the result path is checked before any work. */
    @Test
    void anUnwritableResultPathFailsBeforeTheDataIsRead() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("a-folder"));
        Cli.Outcome o = Cli.run("knn", "--data", dir.resolve("no-such-data").toString(), "--output", folder.toString());
        assertEquals(ExitCodes.IO, o.code(), o.err());
        assertTrue(o.err().contains("is a folder") && o.oneLineError(), o.err());
    }
}
