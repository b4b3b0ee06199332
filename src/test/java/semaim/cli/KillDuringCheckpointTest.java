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
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;
import semaim.io.CheckpointFolders;
import semaim.train.Checkpoint;

/**
 * SIGKILL while a checkpoint is being written: the previous checkpoint stays intact, the half-written one never
 * appears under a checkpoint name, and {@code --resume auto} continues from the previous one.
 */
class KillDuringCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void killedWhileWritingTheSecondCheckpoint() throws Exception {
        Path data = TestData.writeIdx(dir, 64);
        Path out = dir.resolve("run");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir",
                        Path.of(".javacpp-cache").toAbsolutePath().toString()),
                "-Dsemaim.test.checkpointPauseMillis=4000",
                "semaim.cli.Main", "pretrain", "--data", data.toString(), "--model", "vit_nano_patch4_28",
                "--image-size", "16", "--decoder-depth", "2", "--batch-size", "8", "--epochs", "5",
                "--checkpoint-every", "2", "--log-every", "1", "--output", out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_WAIT_POLICY", "passive");
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        int announcements = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                if (line.startsWith("semaim: writing checkpoint") && ++announcements == 2) {
                    p.destroyForcibly();   // SIGKILL on Linux: no shutdown hook, no cleanup
                    break;
                }
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "process did not die");
        assertEquals(2, announcements, "output was: " + String.join("\n", lines));
        assertEquals(137, p.exitValue(), "expected death by SIGKILL");

        Path checkpoints = out.resolve("checkpoints");
        List<Path> complete = CheckpointFolders.list(checkpoints);
        assertEquals(List.of(checkpoints.resolve("step-00000002")), complete, "only the first checkpoint exists");
        Checkpoint.read(complete.get(0));   // intact: sizes and hashes verified
        try (var s = Files.list(checkpoints)) {
            assertTrue(s.anyMatch(f -> f.getFileName().toString().startsWith(".step-00000004.tmp-")),
                    "the interrupted write stayed in its temporary folder");
        }

        int code = Main.run("pretrain", "--output", out.toString(), "--resume", "auto", "--max-steps", "5",
                "--workers", "1");
        assertEquals(ExitCodes.OK, code);
        Checkpoint.State last = Checkpoint.read(CheckpointFolders.list(checkpoints).get(0));
        assertEquals(5, last.step());
        assertTrue(last.provenance().get("resumed_from").endsWith("step-00000002"), last.provenance().toString());
        try (var s = Files.list(checkpoints)) {
            assertFalse(s.anyMatch(f -> f.getFileName().toString().contains(".tmp-")), "leftover cleaned up");
        }
    }
}
