package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.ModelFlops;

/** {@code semaim bench} on a tiny shape: the report is complete and consistent (no timing threshold anywhere). */
class BenchCommandTest {
    @TempDir
    Path dir;

    private JsonObject bench(String precision) throws Exception {
        Path out = dir.resolve(precision + ".jsonl");
        Cli.Outcome o = Cli.run("bench", "--image-size", "16", "--patch-size", "4", "--width", "32", "--depth", "2",
                "--heads", "2", "--decoder-depth", "1", "--channels", "1", "--batch-size", "4", "--warmup", "1",
                "--steps", "3", "--precision", precision, "--output", out.toString());
        assertEquals(ExitCodes.OK, o.code(), o.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(1, lines.size());
        assertTrue(o.out().contains(lines.get(0)), "the JSON line is printed too");
        return JsonParser.parseString(lines.get(0)).getAsJsonObject();
    }

    @Test
    void reportsStepTimesFlopsPeaksAndTheSplit() throws Exception {
        JsonObject j = bench("fp32");
        ModelConfig c = new ModelConfig("custom_d32_l2_h2_p4", 16, 4, 1, 32, 2, 2, 4.0, 1, HeadType.MLP, 0.0, 1e-6);
        assertEquals(ModelFlops.trainingStep(c), j.get("flops_per_image").getAsLong());
        assertEquals("fp32", j.get("precision").getAsString());
        assertEquals(3, j.get("steps").getAsInt());
        double min = j.get("step_ms_min").getAsDouble(), med = j.get("step_ms_median").getAsDouble();
        assertTrue(min > 0 && min <= med && med <= j.get("step_ms_max").getAsDouble(), j.toString());
        // Both fields are rounded to 0.1 (ms and img/s): the true median lies within 0.05 ms of the printed one.
        double ips = j.get("images_per_s").getAsDouble();
        assertTrue(ips >= 4000 / (med + 0.05) - 0.05 && ips <= 4000 / (med - 0.05) + 0.05,
                ips + " img/s vs " + med + " ms");
        assertTrue(j.get("peak_fp32_gflops").getAsDouble() > 0 && j.get("peak_bf16_gflops").getAsDouble() > 0);
        assertTrue(j.get("peak_rss_mb").getAsDouble() > 0, j.toString());
        // The peak: 5 readings on the step's GEMM shapes, sorted, the highest printed; MFU never above 1.
        var readings = j.getAsJsonArray("peak_readings_gflops");
        assertEquals(5, readings.size(), j.toString());
        for (int i = 1; i < 5; i++) {
            assertTrue(readings.get(i - 1).getAsDouble() <= readings.get(i).getAsDouble(), readings.toString());
        }
        assertEquals(j.get("peak_fp32_gflops").getAsDouble(), readings.get(4).getAsDouble(), 0.05);
        assertTrue(List.of("qkv", "proj", "fc1", "fc2", "head").contains(j.get("peak_shape").getAsString()));
        assertTrue(!j.has("mfu") || (j.get("mfu").getAsDouble() > 0 && j.get("mfu").getAsDouble() <= 1), j.toString());
        JsonObject split = j.getAsJsonObject("split_ms");
        for (String phase : new String[] {"order", "forward", "backward", "clip_and_optimiser"}) {
            assertTrue(split.has(phase), split.toString());
        }
        for (String field : new String[] {"impl", "threads", "img", "patch", "dim", "depth", "heads", "query_depth",
            "batch", "params", "last_loss"}) {
            assertTrue(j.has(field), "bench_step.py's field " + field);
        }
        assertTrue(Double.isFinite(j.get("last_loss").getAsDouble()));
    }

    /** A step faster than the measured peak means the peak measurement failed: no MFU, and bench says why. */
    @Test
    void anMfuAboveOneIsNotPrinted() {
        // The result is built directly: no timing involved.
        semaim.torch.GemmPeak.Peak low = new semaim.torch.GemmPeak.Peak(new double[] {1, 2, 3, 4, 5}, "qkv");
        ModelConfig c = new ModelConfig("custom_d32_l2_h2_p4", 16, 4, 1, 32, 2, 2, 4.0, 1, HeadType.MLP, 0.0, 1e-6);
        var options = new semaim.train.Bench.Options(c, semaim.target.TargetConfig.reference(), "semantic", 4, 1,
                1, semaim.torch.Precision.FP32, "cpu", 0);
        var r = new semaim.train.Bench.Result(options, semaim.torch.Precision.FP32, 1, 10, new double[] {1.0}, 0.5,
                ModelFlops.trainingStep(c), low, low, 100, java.util.Map.of(), 1, 0);
        assertTrue(r.gflops() > 5, "the fake step beats the fake peak: " + r.gflops());
        assertTrue(Double.isNaN(r.mfu()));
        assertTrue(!r.json().containsKey("mfu"), r.json().toString());
        assertEquals(0.8, low.spread(), 1e-12);
    }

    @Test
    void bf16AutocastRunsTheSameStep() throws Exception {
        JsonObject j = bench("bf16");
        assertEquals("bf16", j.get("precision").getAsString());
        assertTrue(Double.isFinite(j.get("last_loss").getAsDouble()));
    }
}
