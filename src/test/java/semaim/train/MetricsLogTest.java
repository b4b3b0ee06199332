package semaim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
}
