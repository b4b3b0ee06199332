package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;
import semaim.io.CheckpointFolders;
import semaim.torch.Torch;

/**
 * Issue 22, "no silent wrong result, round two", as a user meets each case on the command line. Each test names
 * the item it guards; each failed on the code before the fix.
 */
class ReliabilityRoundTwoTest {
    @TempDir
    Path dir;

    private static final String[] TINY = {"--image-size", "16", "--decoder-depth", "2", "--batch-size", "8",
        "--viz-every", "0", "--log-every", "1"};

    private static String[] args(List<String> head, String... more) {
        List<String> a = new ArrayList<>(head);
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    private Path idx() throws Exception {
        Path images = dir.resolve("idx").resolve("tiny-images-idx3-ubyte");
        return Files.exists(images) ? images : TestData.writeIdx(Files.createDirectories(dir.resolve("idx")), 64);
    }

    /** A tiny pre-training run of {@code steps} steps (checkpoint every step). */
    private Path tinyRun(String name, int steps, String... extra) throws Exception {
        Path out = dir.resolve(name);
        List<String> a = new ArrayList<>(List.of("pretrain", "--data", idx().toString(), "--output", out.toString(),
                "--max-steps", Integer.toString(steps), "--checkpoint-every", "1", "--keep-last", "5"));
        a.addAll(List.of(TINY));
        Cli.Outcome o = Cli.run(args(a, extra));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        return out;
    }

    private static Path checkpoint(Path run, int step) {
        return run.resolve("checkpoints").resolve(CheckpointFolders.folderName(step));
    }

    /** Twenty greyscale PNGs, each a different grey; with {@code broken} the 16th is not an image. */
    private static Path photos(Path folder, boolean broken) throws Exception {
        for (int i = 0; i < 20; i++) {
            TestData.writePng(folder.resolve(String.format("img%02d.png", i)), 20, 20, 12 * i);
        }
        if (broken) {
            Files.writeString(folder.resolve("img15.png"), "not a png");
        }
        return folder;
    }

    /** Item 1: a partial embedding file continues only with what started it. */
    @Test
    void embedContinuesOnlyWithTheEncoderPoolingAndImagesThatStartedIt() throws Exception {
        Path run = tinyRun("run", 2);
        Path a = checkpoint(run, 1), b = checkpoint(run, 2);
        Path images = photos(Files.createDirectories(dir.resolve("photos")), true);
        Path out = dir.resolve("o").resolve("x.npy");
        List<String> embed = List.of("embed", "--images", images.toString(), "--channels", "1", "--output",
                out.toString(), "--batch-size", "4");
        // Stopped by the bad image after three batches: rows 0-11 are in x.npy.part.
        Cli.Outcome o = Cli.run(args(embed, "--checkpoint", a.toString()));
        assertEquals(ExitCodes.DATA, o.code(), o.err());
        Path part = out.resolveSibling("x.npy.part");
        assertTrue(Files.size(part) > 12 * 96 * 4, "twelve rows written");
        Files.write(part, java.util.Arrays.copyOf(Files.readAllBytes(part), (int) Files.size(part) - 50));  // torn
        TestData.writePng(images.resolve("img15.png"), 20, 20, 180);

        for (String[] other : List.of(new String[] {"--checkpoint", b.toString()},
                new String[] {"--checkpoint", a.toString(), "--pool", "mean"})) {
            o = Cli.run(args(embed, other));
            assertEquals(ExitCodes.INVALID_CONFIG, o.code(), o.err());
            assertTrue(o.oneLineError() && o.err().contains("cannot continue " + part)
                    && o.err().contains("--overwrite"), o.err());
            assertTrue(Files.exists(part), "the partial file is left as it was");
        }
        TestData.writePng(images.resolve("img20.png"), 20, 20, 5);   // another image list
        o = Cli.run(args(embed, "--checkpoint", a.toString()));
        assertEquals(ExitCodes.INVALID_CONFIG, o.code(), o.err());
        assertTrue(o.err().contains("image_list_sha256"), o.err());
        Files.delete(images.resolve("img20.png"));

        o = Cli.run(args(embed, "--checkpoint", a.toString()));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("after 8 of 20 images"), o.err());   // 11 whole rows, 2 whole batches
        Path clean = dir.resolve("o").resolve("clean.npy");
        assertEquals(ExitCodes.OK, Cli.run("embed", "--images", images.toString(), "--channels", "1", "--output",
                clean.toString(), "--batch-size", "4", "--checkpoint", a.toString()).code());
        assertArrayEquals(Files.readAllBytes(clean), Files.readAllBytes(out), "continued = written at once");
        assertFalse(Files.exists(out.resolveSibling("x.npy.part.json")), "the record goes with the .part");
    }

    /** A segmentation set of 8 + 4 images in ADE20K's layout. */
    private Path segdata() throws Exception {
        Path data = dir.resolve("seg");
        assertEquals(0, Cli.run("make-segdata", "--output", data.toString(), "--train", "8", "--val", "4", "--size",
                "28").code());
        return data;
    }

    private static void writeMask(Path file, int size, int value) throws Exception {
        BufferedImage m = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        m.getRaster().setSample(size / 2, size / 2, 0, value);
        m.getRaster().setSample(0, 0, 0, 1);
        ImageIO.write(m, "png", file.toFile());
    }

    /** Item 2: a mask whose size is not its image's is a data error unless --resize-masks says to resize it. */
    @Test
    void aMaskOfAnotherSizeThanItsImageIsADataError() throws Exception {
        Path data = segdata();
        Path mask = data.resolve("annotations/training/training_00003.png");
        writeMask(mask, 14, 2);
        List<String> segment = List.of("segment", "--data", data.toString(), "--classes", "11", "--epochs", "1",
                "--batch-size", "4", "--output", dir.resolve("seg.json").toString());
        Cli.Outcome o = Cli.run(args(segment));
        assertEquals(ExitCodes.DATA, o.code(), o.err());
        assertTrue(o.oneLineError() && o.err().contains("mask " + mask + " is 14x14 but its image"
                + " training_00003.jpg is 28x28") && o.err().contains("--resize-masks"), o.err());
        assertFalse(Files.exists(dir.resolve("seg.json")));
        o = Cli.run(args(segment, "--resize-masks"));
        assertEquals(ExitCodes.OK, o.code(), o.err());
    }

    /** Item 3: a class beyond K in a validation mask would vanish from the score; it is a data error naming it. */
    @Test
    void aValidationMaskWithAClassBeyondKIsADataErrorNamingTheMask() throws Exception {
        Path data = segdata();
        Path mask = data.resolve("annotations/validation/validation_00002.png");
        writeMask(mask, 28, 50);
        Cli.Outcome o = Cli.run("segment", "--data", data.toString(), "--classes", "11", "--epochs", "1",
                "--batch-size", "4", "--output", dir.resolve("seg.json").toString());
        assertEquals(ExitCodes.DATA, o.code(), o.err());
        assertTrue(o.oneLineError() && o.err().contains("mask " + mask + " has class 50 but --classes is 11"),
                o.err());
        // Without --classes, K comes from the training masks: the validation mask is still named.
        o = Cli.run("segment", "--data", data.toString(), "--epochs", "1", "--batch-size", "4", "--output",
                dir.resolve("seg.json").toString());
        assertEquals(ExitCodes.DATA, o.code(), o.err());
        assertTrue(o.err().contains("mask " + mask + " has class 50"), o.err());
        assertFalse(Files.exists(dir.resolve("seg.json")));
    }

    /** Flips 64 bytes in the middle of a file. */
    private static void damage(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = bytes.length / 2; i < bytes.length / 2 + 64; i++) {
            bytes[i] ^= 0x5A;
        }
        Files.write(file, bytes);
    }

    /** Item 4: weights that fail their recorded SHA-256 are never read silently. */
    @Test
    void damagedWeightsAreAnErrorWhenNamedAndSkippedWithAWarningInARunFolder() throws Exception {
        Path run = tinyRun("run", 2);
        Path teacher = dir.resolve("teacher.safetensors");
        assertEquals(ExitCodes.OK, Cli.run("export", "--checkpoint", run.toString(), "--output",
                teacher.toString()).code());
        assertTrue(Files.readString(dir.resolve("teacher.safetensors.sha256")).endsWith("  teacher.safetensors\n"));
        damage(checkpoint(run, 2).resolve("model.safetensors"));
        damage(teacher);
        List<String> knn = List.of("knn", "--train-limit", "60", "--test-limit", "20", "--output",
                dir.resolve("knn.json").toString());
        for (Path named : List.of(checkpoint(run, 2), checkpoint(run, 2).resolve("model.safetensors"), teacher)) {
            Cli.Outcome o = Cli.run(args(knn, "--checkpoint", named.toString()));
            assertEquals(ExitCodes.RESUME, o.code(), o.err());
            assertTrue(o.oneLineError() && o.err().contains("is damaged"), o.err());
            assertFalse(Files.exists(dir.resolve("knn.json")));
        }
        for (String command : List.of("embed", "export", "visualize")) {
            List<String> a = new ArrayList<>(List.of(command, "--checkpoint", checkpoint(run, 2).toString()));
            a.addAll(switch (command) {
                case "embed" -> List.of("--images", idx().toString(), "--output", dir.resolve("e.npy").toString());
                case "export" -> List.of("--output", dir.resolve("t2.safetensors").toString());
                default -> List.of("--images", idx().toString(), "--limit", "1", "--output",
                        dir.resolve("maps").toString());
            });
            Cli.Outcome o = Cli.run(a.toArray(new String[0]));
            assertEquals(ExitCodes.RESUME, o.code(), command + ": " + o.err());
        }
        Cli.Outcome o = Cli.run(args(List.of("pretrain", "--data", idx().toString(), "--output",
                dir.resolve("student").toString(), "--target", "vit", "--teacher", teacher.toString(),
                "--max-steps", "1"), TINY));
        assertEquals(ExitCodes.RESUME, o.code(), o.err());
        assertTrue(o.err().contains("teacher.safetensors is damaged: its SHA-256 differs"), o.err());
        // The run folder: the damaged newest checkpoint is skipped, and the warning names it.
        o = Cli.run(args(knn, "--checkpoint", run.toString()));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("skipping damaged checkpoint " + checkpoint(run, 2)), o.err());
    }

    /** Item 5: resuming a finished run changes nothing and says so; no JSON semaim writes holds NaN. */
    @Test
    void resumingAFinishedRunChangesNothingAndNoJsonHoldsNaN() throws Exception {
        Path run = tinyRun("run", 2);
        byte[] summary = Files.readAllBytes(run.resolve("summary.json"));
        byte[] metrics = Files.readAllBytes(run.resolve("metrics.jsonl"));
        Cli.Outcome o = Cli.run("pretrain", "--output", run.toString(), "--resume", "auto");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("is already finished: it trained all 2 of its steps"), o.err());
        assertEquals(1, o.err().lines().filter(l -> l.contains("[INFO]") || l.contains("[WARN]")).count(), o.err());
        assertArrayEquals(summary, Files.readAllBytes(run.resolve("summary.json")));
        assertArrayEquals(metrics, Files.readAllBytes(run.resolve("metrics.jsonl")));
        // Raising --max-steps trains further.
        o = Cli.run("pretrain", "--output", run.toString(), "--resume", "auto", "--max-steps", "3");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(Files.readString(run.resolve("summary.json")).contains("\"steps\": 3"));
        // Segmentation's IoU of a class absent from truth and prediction is "no value": null, not NaN.
        Path data = segdata();
        assertEquals(ExitCodes.OK, Cli.run("segment", "--data", data.toString(), "--classes", "14", "--epochs", "1",
                "--batch-size", "4", "--output", dir.resolve("seg.json").toString()).code());
        assertTrue(Files.readString(dir.resolve("seg.json")).contains("null"), "absent classes");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json") || p.toString().endsWith(".jsonl"))
                    .toList()) {
                String text = Files.readString(f);
                assertFalse(text.contains("NaN") || text.contains("Infinity"), f + ": " + text);
            }
        }
    }

    /** Item 6: a start that fails before its first checkpoint leaves nothing that blocks the same command. */
    @Test
    void aFailedStartDoesNotBlockTheRetry() throws Exception {
        Path images = photos(Files.createDirectories(dir.resolve("photos")), true);
        Path out = dir.resolve("run");
        List<String> pretrain = List.of("pretrain", "--data", images.toString(), "--channels", "1", "--output",
                out.toString(), "--max-steps", "2", "--image-size", "16", "--decoder-depth", "2", "--batch-size", "8",
                "--viz-every", "0", "--workers", "1");
        Cli.Outcome o = Cli.run(args(pretrain));
        assertEquals(ExitCodes.DATA, o.code(), o.err());
        assertTrue(Files.exists(out.resolve("config.json")), "the failed start wrote its config");
        TestData.writePng(images.resolve("img15.png"), 20, 20, 180);
        o = Cli.run(args(pretrain));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("removed what an earlier start that wrote no checkpoint left"), o.err());
        // The retry that the old message suggested, --resume auto, starts afresh too.
        Files.writeString(images.resolve("img15.png"), "not a png");
        Path second = dir.resolve("second");
        List<String> other = new ArrayList<>(pretrain);
        other.set(other.indexOf(out.toString()), second.toString());
        assertEquals(ExitCodes.DATA, Cli.run(args(other)).code());
        TestData.writePng(images.resolve("img15.png"), 20, 20, 180);
        o = Cli.run("pretrain", "--output", second.toString(), "--resume", "auto");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("starting afresh"), o.err());
        assertTrue(Files.readString(second.resolve("config.json")).contains("photos"), "the recorded config");
        // A batch larger than the data fails before anything is written.
        Path big = dir.resolve("big");
        List<String> tooBig = new ArrayList<>(pretrain);
        tooBig.set(tooBig.indexOf(out.toString()), big.toString());
        tooBig.set(tooBig.indexOf("8"), "1000000");
        assertEquals(ExitCodes.INVALID_CONFIG, Cli.run(args(tooBig)).code());
        assertFalse(Files.exists(big.resolve("config.json")));
    }

    /** Item 7: kill -9 during the very first checkpoint: --resume auto starts afresh and removes the leftovers. */
    @Test
    void aKillDuringTheFirstCheckpointLeavesARetryThatStartsAfresh() throws Exception {
        Torch.init();
        Path out = dir.resolve("run");
        Process p = Cli.start(List.of("-Dsemaim.test.checkpointPauseMillis=60000"), null, args(List.of("pretrain",
                "--data", idx().toString(), "--output", out.toString(), "--max-steps", "2", "--checkpoint-every", "1"),
                TINY));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("semaim: writing checkpoint")) {
                    break;
                }
            }
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        try (Stream<Path> s = Files.list(out.resolve("checkpoints"))) {
            assertTrue(s.anyMatch(f -> f.getFileName().toString().startsWith(".step-00000001.tmp-")), "a leftover");
        }
        Cli.Outcome o = Cli.run("pretrain", "--output", out.toString(), "--resume", "auto");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("starting afresh") && o.err().contains(".step-00000001.tmp-"), o.err());
        assertEquals(List.of("step-00000002", "step-00000001"), CheckpointFolders.list(out.resolve("checkpoints"))
                .stream().map(f -> f.getFileName().toString()).toList());
    }

    /** Item 8: the flag that a data error suggests is accepted on resume. */
    @Test
    void skipBadImagesIsAcceptedOnResume() throws Exception {
        Path run = tinyRun("run", 1);
        Cli.Outcome o = Cli.run("pretrain", "--output", run.toString(), "--resume", "auto", "--max-steps", "2",
                "--skip-bad-images");
        assertEquals(ExitCodes.OK, o.code(), o.err());
    }

    /** Items 9 and 10: every model override applies before one validation; a blown-up grid is warned about. */
    @Test
    void imageAndPatchSizeOverridesAreValidatedTogetherAndABlownUpGridIsWarnedAbout() throws Exception {
        Cli.Outcome o = Cli.run(args(List.of("pretrain", "--data", idx().toString(), "--output",
                dir.resolve("run").toString(), "--max-steps", "1", "--batch-size", "8", "--viz-every", "0",
                "--image-size", "32", "--patch-size", "8", "--decoder-depth", "2")));
        assertEquals(ExitCodes.OK, o.code(), o.err());
        o = Cli.run("bench", "--image-size", "32", "--patch-size", "8", "--steps", "1", "--warmup", "0",
                "--batch-size", "2");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        o = Cli.run("pretrain", "--image-size", "224", "--data", dir.resolve("no-such-data").toString());
        assertEquals(ExitCodes.DATA, o.code(), o.err());
        assertTrue(o.err().contains("224 px with patch 4 gives a 56x56 grid (3,136 tokens) on vit_nano_patch4_28, a"
                + " preset made for 7x7") && o.err().contains("--patch-size 32 keeps its 7x7 grid"), o.err());
        o = Cli.run("pretrain", "--image-size", "56", "--data", dir.resolve("no-such-data").toString());
        assertFalse(o.err().contains("grid"), "14x14 on a 7x7 preset is in scale: " + o.err());
    }

    /** Item 11: an output folder where no file can be made is named as such. */
    @Test
    void embedIntoAFolderWhereNoFileCanBeMadeSaysSo() throws Exception {
        Cli.Outcome o = Cli.run("embed", "--images", idx().toString(), "--output", "/proc/x.npy");
        assertEquals(ExitCodes.IO, o.code(), o.err());
        assertTrue(o.oneLineError() && o.err().contains("cannot write into the folder /proc"), o.err());
    }

    /** Item 14: the help of every command prints without a picocli warning. */
    @Test
    void everyHelpPrintsWithoutAWarning() {
        Cli.Outcome o = Cli.run("--help");
        assertEquals(0, o.code());
        assertFalse(o.err().contains("WARN") || o.out().contains("WARN"), o.err());
        for (String command : new picocli.CommandLine(new Main()).getSubcommands().keySet()) {
            o = Cli.run(command, "--help");
            assertFalse(o.err().contains("[picocli WARN]"), command + ": " + o.err());
        }
    }
}
