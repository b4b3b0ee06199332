package semaim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    /** A resumed run's clock restarts at 0: each session's last elapsed_s counts once; other lines are skipped. */
    @Test
    void trainingSecondsAddsTheSessionsOfAResumedRun(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("metrics.jsonl");
        Files.write(f, List.of(
                "{\"step\":10,\"loss\":1.0,\"elapsed_s\":5.0}",
                "{\"step\":20,\"loss\":0.9,\"elapsed_s\":10.0}",
                "{\"step\":20,\"epoch\":1.0,\"knn_top1\":50.0}",
                "{\"step\":30,\"loss\":0.8,\"elapsed_s\":4.0}",     // resumed: a new session
                "{\"step\":40,\"loss\":0.7,\"elapsed_s\":8.5}",
                "{\"step\":50,\"loss\""));                           // cut by a kill
        assertEquals(18.5, MetricsLog.trainingSeconds(f), 1e-9);
        assertEquals(0, MetricsLog.trainingSeconds(dir.resolve("none.jsonl")));
        assertEquals(0.7, MetricsLog.last(f, "loss"), 1e-9, "the last whole line's");
        assertEquals(50.0, MetricsLog.last(f, "knn_top1"), 1e-9);
        assertEquals(Double.NaN, MetricsLog.last(f, "absent"));
    }

    /** Issue 22 item 11: a full disk while appending names the file ("No space left on device" alone did not). */
    @Test
    void aFullDiskWhileAppendingNamesTheFile(@TempDir Path dir) throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-disk"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = m.waitFor(30, TimeUnit.SECONDS) && m.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (not root?)");
        try {
            Path file = mount.resolve("metrics.jsonl");
            try (MetricsLog log = new MetricsLog(file, -1)) {
                try (var filler = Files.newOutputStream(mount.resolve("filler"))) {
                    byte[] block = new byte[4096];
                    for (int i = 0; i < 64; i++) {
                        filler.write(block);
                    }
                } catch (IOException full) {
                    // the disk is full now
                }
                IOException e = assertThrows(IOException.class, () -> {
                    for (int i = 0; i < 10_000; i++) {
                        log.write(Map.of("step", i, "loss", 0.5));
                    }
                });
                assertTrue(e.getMessage().contains("cannot append to " + file.toAbsolutePath())
                        && e.getMessage().contains("No space left"), e.getMessage());
            } catch (IOException closing) {
                // closing flushes the line that did not fit
            }
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
