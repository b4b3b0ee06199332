package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** {@code semaim few-labels}: every arm's result kept, the epoch chosen on validation, a re-run resumes. */
class FewLabelsCommandTest {
    @Test
    void runsEveryArmKeepsEachResultAndResumes(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Cli.Outcome pre = Cli.run("pretrain", "--image-size", "16", "--batch-size", "8", "--budget-images", "24",
                "--viz-every", "0", "--monitor-knn", "0", "--output", run.toString());
        assertEquals(0, pre.code(), pre.err());
        Path data = Files.createDirectories(dir.resolve("data"));
        Path idx = semaim.data.TestData.writeIdx(data, 300);
        Path out = dir.resolve("study");
        String[] args = {"few-labels", "--checkpoint", run.toString(), "--train", idx.toString(), "--test",
            idx.toString(), "--output", out.toString(), "--fractions", "0.1", "--val-size", "50", "--finetune-epochs",
            "3", "--validations", "2", "--probe-steps", "3", "--lpft-epochs", "2", "--pretrain-seconds", "2"};
        Cli.Outcome o = Cli.run(args);
        assertEquals(0, o.code(), o.err());
        Path cell = out.resolve("frac-10pct/seed-0");
        for (String arm : semaim.ablation.FewLabels.ARMS) {
            assertTrue(Files.isRegularFile(cell.resolve(arm + ".json")), arm);
        }
        JsonObject ft = JsonParser.parseString(Files.readString(cell.resolve("finetune.json"))).getAsJsonObject();
        assertEquals(30, ft.get("labels").getAsInt());
        assertEquals(2, ft.get("validate_every").getAsInt(), "3 epochs, at most 2 validations: epochs 2 and 3");
        assertTrue(ft.get("val_top1").getAsDouble() >= 0 && ft.has("top1") && ft.has("train_seconds"));
        JsonObject sc = JsonParser.parseString(Files.readString(cell.resolve("scratch.json"))).getAsJsonObject();
        double matched = 2 + ft.get("train_seconds").getAsDouble();
        assertEquals(matched, sc.get("matched_seconds").getAsDouble(), 1e-9, "pre-training + the fine-tune's time");
        assertEquals(Math.max(3, Math.round(matched / ft.get("epoch_seconds").getAsDouble())),
                sc.get("epochs").getAsInt());
        String table = Files.readString(out.resolve("few-labels.md"));
        assertTrue(table.contains("| 10% | finetune - scratch") || table.contains("**finetune - scratch**"), table);
        Cli.Outcome again = Cli.run(args);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("10% seed 0 scratch: done, skipped"), again.err());
    }

    /** A budget timed on another machine does not lend its minutes to the scratch arm (issue 26: AVX-512 vs AVX2). */
    @Test
    void refusesABudgetTimedOnAnotherMachine(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Cli.Outcome pre = Cli.run("pretrain", "--image-size", "16", "--batch-size", "8", "--budget-images", "16",
                "--viz-every", "0", "--monitor-knn", "0", "--output", run.toString());
        assertEquals(0, pre.code(), pre.err());
        Path idx = semaim.data.TestData.writeIdx(Files.createDirectories(dir.resolve("data")), 100);
        String[] args = {"few-labels", "--checkpoint", run.toString(), "--train", idx.toString(), "--test",
            idx.toString(), "--output", dir.resolve("study").toString(), "--fractions", "0.1", "--val-size", "20",
            "--arms", "pixels-linear", "--probe-steps", "2", "--finetune-epochs", "3"};
        Files.writeString(run.resolve("budget.json"), "{\"minutes\": 1, \"images\": 16, \"precision\": \"fp32\","
                + " \"machine\": \"Imaginary CPU (family 1 model 1), 64 CPUs, amx_bf16\"}");
        Cli.Outcome other = Cli.run(args);
        assertEquals(ExitCodes.INVALID_CONFIG, other.code(), other.err());
        assertTrue(other.err().contains("was timed on Imaginary CPU (family 1 model 1), 64 CPUs, amx_bf16, not on this ")
                && other.err().contains("--pretrain-seconds"), other.err());
        Files.writeString(run.resolve("budget.json"), "{\"minutes\": 1, \"images\": 16, \"precision\": \"fp32\","
                + " \"machine\": \"" + semaim.util.Machine.describe() + "\"}");
        Cli.Outcome same = Cli.run(args);
        assertEquals(0, same.code(), same.err());
    }
}
