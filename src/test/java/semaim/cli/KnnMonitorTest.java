package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;

class KnnMonitorTest {
    @Test
    void writesKnnIntoMetricsAndChangesNoTrainingNumber(@TempDir Path dir) throws Exception {
        Path data = TestData.writeIdx(dir, 48);
        String[] base = {"pretrain", "--data", data.toString(), "--image-size", "16", "--patch-size", "4", "--width",
            "32", "--depth", "2", "--heads", "2", "--decoder-depth", "1", "--viz-every", "0", "--batch-size", "8",
            "--epochs", "2", "--log-every", "1"};
        Path with = dir.resolve("with"), without = dir.resolve("without");
        Cli.Outcome o = Cli.run(concat(base, "--monitor-knn", "1", "--monitor-train", data.toString(),
                "--monitor-test", data.toString(), "--output", with.toString()));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("k-NN monitor top-1"), o.err());
        assertEquals(0, Cli.run(concat(base, "--output", without.toString())).code());
        List<String> a = Files.readAllLines(with.resolve("metrics.jsonl"));
        List<String> knn = a.stream().filter(l -> l.contains("\"knn_top1\"")).toList();
        assertEquals(2, knn.size(), "one k-NN line per epoch: " + a);
        assertTrue(knn.get(1).contains("\"step\":12") && knn.get(1).contains("\"knn_k\":20"), knn.get(1));
        List<String> lossesWith = a.stream().filter(l -> !l.contains("knn")).map(KnnMonitorTest::loss).toList();
        List<String> lossesWithout = Files.readAllLines(without.resolve("metrics.jsonl")).stream()
                .map(KnnMonitorTest::loss).toList();
        assertEquals(lossesWithout, lossesWith, "monitoring changes no training number");

        Cli.Outcome report = Cli.run("report", with.toString());
        assertEquals(0, report.code(), report.err());
        assertTrue(Files.isRegularFile(with.resolve("report-assets").resolve("knn.png"))
                || Files.walk(with).anyMatch(p -> p.getFileName().toString().equals("knn.png")), "the report plots it");

        Cli.Outcome refused = Cli.run("pretrain", "--data", data.toString(), "--monitor-knn", "1", "--output",
                dir.resolve("x").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, refused.code());
        assertTrue(refused.err().contains("--monitor-knn needs --monitor-train and --monitor-test"), refused.err());
    }

    /**
     * By default, with labelled sets at hand, k-NN is measured once, at the end, also when the run stops inside an
     * epoch (--max-steps), and the final line says it.
     */
    @Test
    void byDefaultMeasuresOnceAtTheEndAndPrintsItOnTheLastLine(@TempDir Path dir) throws Exception {
        Path data = TestData.writeIdx(dir, 48);
        Cli.Outcome o = Cli.run("pretrain", "--data", data.toString(), "--image-size", "16", "--patch-size", "4",
                "--width", "32", "--depth", "2", "--heads", "2", "--decoder-depth", "1", "--viz-every", "0",
                "--batch-size", "8", "--epochs", "3", "--max-steps", "9", "--log-every", "1", "--monitor-train",
                data.toString(), "--monitor-test", data.toString(), "--output", dir.resolve("run").toString());
        assertEquals(0, o.code(), o.err());
        List<String> knn = Files.readAllLines(dir.resolve("run/metrics.jsonl")).stream()
                .filter(l -> l.contains("\"knn_top1\"")).toList();
        assertEquals(1, knn.size(), "once: " + knn);
        assertTrue(knn.get(0).contains("\"step\":9"), "after the last step, inside epoch 2: " + knn.get(0));
        assertTrue(o.err().matches("(?s).*done: 9 steps in .*, k-NN top-1 \\d+\\.\\d\\d% \\(k=20, concat features\\).*"), o.err());
        Cli.Outcome off = Cli.run("pretrain", "--data", data.toString(), "--image-size", "16", "--decoder-depth", "1",
                "--batch-size", "8", "--max-steps", "2", "--monitor-knn", "0", "--monitor-train", data.toString(),
                "--monitor-test", data.toString(), "--output", dir.resolve("off").toString());
        assertEquals(0, off.code(), off.err());
        assertTrue(!off.err().contains("k-NN"), "--monitor-knn 0 is off: " + off.err());
    }

    private static String loss(String line) {
        int i = line.indexOf("\"loss\":");
        return line.substring(i, line.indexOf(',', i));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
