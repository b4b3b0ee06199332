package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.nio.file.attribute.FileTime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;

class AblateAndMapsCommandTest {
    @TempDir
    Path dir;

    @Test
    void ablationGridWritesTablesAndResumesAHalfDoneGrid() throws Exception {
        Path data = TestData.writeIdx(dir, 32);
        Path out = dir.resolve("grid");
        String[] args = {"ablate", "--orders", "semantic,raster", "--decoder-depths", "2", "--data", data.toString(),
            "--image-size", "16", "--batch-size", "8", "--max-steps", "2", "--epochs", "1", "--train-limit", "200",
            "--test-limit", "100", "--linprobe-epochs", "2", "--output", out.toString()};
        assertEquals(ExitCodes.OK, Main.run(args));
        Path done = out.resolve("cells/semantic_pixel_d2/result.json");
        Path redo = out.resolve("cells/raster_pixel_d2/result.json");
        assertTrue(Files.exists(done) && Files.exists(redo));
        String table = Files.readString(out.resolve("ablation.md"));
        assertTrue(table.contains("semantic_pixel_d2") && table.contains("raster_pixel_d2"), table);
        assertEquals(3, Files.readAllLines(out.resolve("ablation.csv")).size());
        assertTrue(Files.size(out.resolve("ablation.png")) > 1000);
        // Half-done: one cell lost its result. The finished cell is not recomputed.
        Files.delete(redo);
        FileTime before = Files.getLastModifiedTime(done);
        Thread.sleep(20);
        assertEquals(ExitCodes.OK, Main.run(args));
        assertEquals(before, Files.getLastModifiedTime(done));
        assertTrue(Files.exists(redo));
        assertEquals(ExitCodes.INVALID_CONFIG, Main.run("ablate", "--targets", "dino", "--output", out.toString()));
    }

    @Test
    void seedsAndBaselinesGiveMeanAndSpreadRows() throws Exception {
        Path data = TestData.writeIdx(dir, 48);
        Path out = dir.resolve("seeded");
        assertEquals(ExitCodes.OK, Main.run("ablate", "--orders", "semantic", "--seeds", "0,1", "--baselines",
                "random,pixels", "--data", data.toString(), "--image-size", "16", "--batch-size", "8",
                "--budget-images", "24", "--train-limit", "32", "--test-limit", "16", "--linprobe-epochs", "2",
                "--output", out.toString()));
        String table = Files.readString(out.resolve("ablation.md"));
        for (String row : List.of("semantic_pixel_d6_s0", "semantic_pixel_d6_s1", "baseline_random_s0",
                "baseline_pixels_s1")) {
            assertTrue(table.contains(row), row + " in " + table);
        }
        assertTrue(table.contains("| semantic_pixel_d6 | 2 |") && table.contains("| baseline_pixels | 2 |"),
                "mean and spread over the two seeds: " + table);
        assertTrue(table.contains("| semantic_pixel_d6_s0 | semantic | pixel | 6 | 3 | "),
                "24 images at batch 8: 3 steps: " + table);
        assertEquals(ExitCodes.INVALID_CONFIG, Main.run("ablate", "--baselines", "imagenet", "--output",
                dir.resolve("bad").toString()));
        assertEquals(ExitCodes.INVALID_CONFIG, Main.run("ablate", "--baselines", "scratch", "--output",
                dir.resolve("bad").toString()), "scratch compares fine-tuning: it needs --finetune-epochs");
    }

    /** Minutes become images by timing the step (with its HOG target), kept in budget.json for a re-run. */
    @Test
    void budgetMinutesTimesTheStepOnceAndKeepsTheImages() throws Exception {
        Path data = TestData.writeIdx(dir, 48);
        Path out = dir.resolve("minutes");
        String[] args = {"ablate", "--orders", "semantic", "--target", "hog", "--targets", "hog", "--data",
            data.toString(), "--image-size", "16", "--batch-size", "8", "--budget-minutes", "0.01", "--train-limit",
            "32", "--test-limit", "16", "--linprobe-epochs", "1", "--output", out.toString()};
        assertEquals(ExitCodes.OK, Main.run(args));
        String budget = Files.readString(out.resolve("budget.json"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"images\": (\\d+)").matcher(budget);
        assertTrue(m.find(), budget);
        long images = Long.parseLong(m.group(1));
        assertTrue(images >= 1 && budget.contains("\"step_ms_median\""), "a timed budget: " + budget);
        Files.writeString(out.resolve("budget.json"), budget.replace("\"images\": " + images, "\"images\": 16"));
        try (var files = Files.walk(out.resolve("cells"))) {   // the cell again from the start
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        assertEquals(ExitCodes.OK, Main.run(args));
        assertTrue(Files.readString(out.resolve("ablation.md")).contains("| semantic_hog_d6 | semantic | hog | 6 | 2 |"),
                "the kept budget (16 images = 2 steps of 8) is used, not a new timing");
        assertEquals(ExitCodes.INVALID_CONFIG, Main.run("ablate", "--budget-minutes", "1", "--budget-images", "8",
                "--output", dir.resolve("both").toString()));
    }

    @Test
    void poolsAndTheScratchBaselineAddColumnsAndARow() throws Exception {
        Path data = TestData.writeIdx(dir, 48);
        Path out = dir.resolve("pools");
        assertEquals(ExitCodes.OK, Main.run("ablate", "--orders", "semantic", "--baselines", "random,scratch",
                "--pools", "mean,concat", "--finetune-epochs", "1", "--data", data.toString(), "--image-size", "16",
                "--batch-size", "8", "--budget-images", "24", "--train-limit", "32", "--test-limit", "16",
                "--linprobe-epochs", "2", "--output", out.toString()));
        String table = Files.readString(out.resolve("ablation.md"));
        String header = table.lines().findFirst().orElseThrow();
        assertTrue(header.contains("| knn20_top1 | linprobe_top1 | knn20_concat | linprobe_concat | finetune_top1 |"),
                header);
        String scratch = table.lines().filter(l -> l.startsWith("| baseline_scratch |")).findFirst().orElseThrow();
        assertTrue(scratch.matches(".*\\| \\d+\\.\\d+ \\|$"), "a fine-tuned score: " + scratch);
        String result = Files.readString(out.resolve("cells/baseline_scratch/result.json"));
        assertTrue(result.contains("\"matched_cell\": \"semantic_pixel_d6\""), result);
        String random = table.lines().filter(l -> l.startsWith("| baseline_random |")).findFirst().orElseThrow();
        String[] cols = random.split("\\|");
        assertTrue(cols[10].trim().matches("\\d+\\.\\d+") && cols[11].trim().matches("\\d+\\.\\d+"),
                "random encoder scored under the second pool: " + random);
    }

    /**
     * LP-FT asked for after a grid finished: the cell gets the column from its checkpoint without pre-training again,
     * and the scratch baseline is fine-tuned again only when the matched time now gives another number of epochs.
     */
    @Test
    void lpftIsAddedToAFinishedCellAndScratchFollowsTheMatchedTime() throws Exception {
        Path data = TestData.writeIdx(dir, 48);
        Path out = dir.resolve("lpft");
        List<String> args = List.of("ablate", "--orders", "semantic", "--baselines", "scratch", "--finetune-epochs",
                "1", "--data", data.toString(), "--image-size", "16", "--batch-size", "8", "--budget-images", "24",
                "--train-limit", "32", "--test-limit", "16", "--linprobe-epochs", "2", "--output", out.toString());
        assertEquals(ExitCodes.OK, Main.run(args.toArray(String[]::new)));
        Path cell = out.resolve("cells/semantic_pixel_d6");
        String log = Files.readString(cell.resolve("metrics.jsonl"));
        Map<String, Object> before = json(cell.resolve("result.json"));
        List<String> withLpft = new java.util.ArrayList<>(args);
        withLpft.addAll(List.of("--lpft-epochs", "2"));
        assertEquals(ExitCodes.OK, Main.run(withLpft.toArray(String[]::new)));
        Map<String, Object> after = json(cell.resolve("result.json"));
        assertEquals(log, Files.readString(cell.resolve("metrics.jsonl")), "not pre-trained again");
        assertEquals(before.get("knn20_top1"), after.get("knn20_top1"));
        assertEquals(before.get("finetune_top1"), after.get("finetune_top1"));
        assertTrue(after.get("lpft_top1") instanceof Number && Files.exists(cell.resolve("lpft/best.safetensors")),
                after.toString());
        String header = Files.readString(out.resolve("ablation.md")).lines().findFirst().orElseThrow();
        assertTrue(header.endsWith("| finetune_top1 | lpft_top1 |"), header);

        // Make the cell's LP-FT two plain epochs longer than the time scratch was matched to: scratch trains again.
        Path scratch = out.resolve("cells/baseline_scratch/result.json");
        double ft = ((Number) after.get("finetune_seconds")).doubleValue();
        int epochs = ((Number) json(scratch).get("finetune_epochs")).intValue();
        after.put("lpft_seconds", (epochs + 2) * ft - ((Number) after.get("pretrain_seconds")).doubleValue());
        Files.writeString(cell.resolve("result.json"), new com.google.gson.Gson().toJson(after));
        assertEquals(ExitCodes.OK, Main.run(withLpft.toArray(String[]::new)));
        assertEquals(epochs + 2, ((Number) json(scratch).get("finetune_epochs")).intValue());

        assertEquals(ExitCodes.INVALID_CONFIG, Main.run("ablate", "--lpft-epochs", "2", "--output",
                dir.resolve("bad").toString()), "LP-FT is a fine-tune: it needs --finetune-epochs");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Path file) throws java.io.IOException {
        return new com.google.gson.Gson().fromJson(Files.readString(file), Map.class);
    }

    @Test
    void pretrainDrawsMapsEveryEpochAndReportHasCurves() throws Exception {
        Path data = TestData.writeIdx(dir, 32);
        Path out = dir.resolve("run");
        assertEquals(ExitCodes.OK, Main.run("pretrain", "--data", data.toString(), "--image-size", "16",
                "--decoder-depth", "2", "--batch-size", "8", "--epochs", "2", "--log-every", "1",
                "--output", out.toString()));
        assertTrue(Files.exists(out.resolve("maps/epoch-001.png")));
        assertTrue(Files.exists(out.resolve("maps/epoch-002.png")));
        assertEquals(ExitCodes.OK, Main.run("report", out.toString()));
        assertTrue(Files.exists(out.resolve("report.html")));
        for (String curve : new String[] {"loss.png", "lr.png", "throughput.png"}) {
            assertTrue(Files.size(out.resolve("report-assets").resolve(curve)) > 1000, curve);
        }
        assertEquals(ExitCodes.OK, Main.run("visualize", "--checkpoint", out.toString(), "--images", data.toString(),
                "--limit", "3", "--output", dir.resolve("maps").toString()));
        assertTrue(Files.exists(dir.resolve("maps/overview.png")));
        assertEquals(ExitCodes.DATA, Main.run("visualize", "--images", dir.resolve("none.png").toString(),
                "--output", dir.resolve("m2").toString()));
        // Evaluating the grayscale encoder on RGB folders is refused before any work, with one clear line.
        for (String split : new String[] {"train", "val"}) {
            for (int c = 0; c < 2; c++) {
                TestData.writePng(dir.resolve("rgb/" + split + "/class" + c + "/a.png"), 16, 16, 40 + 100 * c);
            }
        }
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(ExitCodes.INVALID_CONFIG, Main.run("knn", "--checkpoint", out.toString(), "--data",
                    dir.resolve("rgb").toString(), "--k", "1", "--output", dir.resolve("knn.json").toString()));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("was trained on 1-channel images but the evaluation"
                + " data has 3 (see --channels)"), err.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(dir.resolve("knn.json")));
    }
}
