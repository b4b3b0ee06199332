package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;

/** Option values are validated before any heavy work, with one-line errors and distinct exit codes. */
class PretrainCommandTest {
    @TempDir
    Path dir;

    private record Outcome(int code, String err) {}

    private Outcome run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(Main.run(args), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void badCombinationsAreRejectedWithExitCode3() {
        Outcome o = run("pretrain", "--image-size", "30", "--output", dir.resolve("a").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("image size 30 is not a multiple of patch size 4"), o.err());
        o = run("pretrain", "--decoder-depth", "9", "--output", dir.resolve("a").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("decoder depth 9 exceeds encoder depth 6"), o.err());
        o = run("pretrain", "--order", "spiral", "--output", dir.resolve("a").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("unknown order 'spiral'"), o.err());
        o = run("pretrain", "--blur-kernel", "4", "--output", dir.resolve("a").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertEquals(1, o.err().strip().lines().count(), "one-line error: " + o.err());
        assertTrue(!Files.exists(dir.resolve("a")), "nothing was written");
    }

    @Test
    void missingOrEmptyDataIsExitCode4() throws Exception {
        Outcome o = run("pretrain", "--data", dir.resolve("nowhere").toString(), "--output", dir.resolve("a").toString());
        assertEquals(ExitCodes.DATA, o.code());
        assertTrue(o.err().contains("does not exist"), o.err());
        Files.createDirectories(dir.resolve("empty"));
        o = run("pretrain", "--data", dir.resolve("empty").toString(), "--output", dir.resolve("a").toString());
        assertEquals(ExitCodes.DATA, o.code());
        assertTrue(o.err().contains("no images"), o.err());
    }

    @Test
    void shapeOptionsGiveSizesBetweenPresets() throws Exception {
        Outcome o = run("pretrain", "--width", "30", "--output", dir.resolve("w").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("width 30 must be a multiple of 4"), o.err());
        Path data = TestData.writeIdx(dir, 16);
        Path out = dir.resolve("shaped");
        assertEquals(ExitCodes.OK, run("pretrain", "--data", data.toString(), "--image-size", "16", "--patch-size", "2",
                "--width", "32", "--depth", "2", "--heads", "2", "--decoder-depth", "1", "--batch-size", "8",
                "--max-steps", "1", "--viz-every", "0", "--output", out.toString()).code());
        String weights = java.nio.file.Files.list(out.resolve("checkpoints")).findFirst().orElseThrow()
                .resolve("model.safetensors").toString();
        semaim.model.ModelConfig m = semaim.model.ModelMetadata.read(semaim.io.SafeTensors.read(Path.of(weights))
                .metadata(), 1, weights).model();
        assertEquals(List.of(16, 2, 32, 2, 2, 1), List.of(m.imageSize(), m.patchSize(), m.width(), m.depth(),
                m.heads(), m.decoderDepth()));
    }

    @Test
    void usageErrorsAreExitCode2AndHelpWorks() {
        assertEquals(ExitCodes.USAGE, run("pretrain", "--no-such-option").code());
        assertEquals(ExitCodes.USAGE, run("pretrain", "--epochs", "many").code());
        // Inside an option group picocli would take a repeated option as a new group and drop --max-steps silently.
        Outcome twice = run("pretrain", "--max-steps", "3", "--log-every", "1", "--log-every", "100");
        assertEquals(ExitCodes.USAGE, twice.code());
        assertTrue(twice.err().contains("--log-every is given twice"), twice.err());
        assertEquals(ExitCodes.OK, run("pretrain", "--help").code());
        assertEquals(ExitCodes.OK, run("--help").code());
    }

    @Test
    void resumeWithoutCheckpointsIsExitCode5AndRefusesChangedOptions() throws Exception {
        Outcome o = run("pretrain", "--output", dir.resolve("fresh").toString(), "--resume", "auto");
        assertEquals(ExitCodes.RESUME, o.code());
        assertTrue(o.err().contains("no valid checkpoint"), o.err());
        Path data = TestData.writeIdx(dir, 32);
        Path out = dir.resolve("run");
        assertEquals(ExitCodes.OK, run("pretrain", "--data", data.toString(), "--image-size", "16",
                "--decoder-depth", "2", "--batch-size", "8", "--max-steps", "2", "--output", out.toString()).code());
        o = run("pretrain", "--output", out.toString(), "--resume", "auto", "--blr", "1");
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("cannot change --blr when resuming"), o.err());
        o = run("pretrain", "--data", data.toString(), "--output", out.toString());
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("already holds checkpoints"), o.err());
        assertTrue(Files.exists(out.resolve("summary.json")));
        assertTrue(Files.exists(out.resolve("config.json")));
        assertTrue(Files.readString(out.resolve("metrics.jsonl")).contains("\"img_per_s\""));
    }
}
