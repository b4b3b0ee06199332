package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import semaim.io.SafeTensors;
import semaim.torch.Tensors;

/** {@code semaim detect} end to end on a tiny synthetic COCO-layout set: training, the result file, resume, visualize. */
class DetectCommandTest {
    @TempDir
    static Path shared;
    static Path data;

    @BeforeAll
    static void makeData() {
        data = shared.resolve("det");
        Cli.Outcome o = Cli.run("make-detdata", "--output", data.toString(), "--train", "48", "--val", "8");
        assertEquals(0, o.code(), o.err());
    }

    private static String[] detect(Path dir, String name, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("detect", "--data", data.toString(), "--image-size", "32",
                "--batch-size", "8", "--pyramid-channels", "16", "--blr", "3e-2", "--precision", "fp32", "--output",
                dir.resolve(name + ".json").toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void aFewEpochsLowerTheLossAndTheResultFileIsComplete(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("det.safetensors");
        Cli.Outcome o = Cli.run(detect(dir, "r", "--epochs", "4", "--save", saved.toString()));
        assertEquals(0, o.code(), o.err());
        JsonObject r = JsonParser.parseString(Files.readString(dir.resolve("r.json"))).getAsJsonObject();
        JsonObject m = r.getAsJsonObject("metrics");
        JsonArray history = m.getAsJsonArray("history_epoch_loss_ap");
        assertEquals(4, history.size());
        double first = history.get(0).getAsJsonArray().get(1).getAsDouble();
        double last = history.get(3).getAsJsonArray().get(1).getAsDouble();
        assertTrue(last < 0.8 * first, "training loss " + first + " -> " + last);
        for (String k : List.of("AP", "AP50", "AP75", "APs", "APm", "AR1", "AR10", "AR100")) {
            assertTrue(m.has(k) && !m.get(k).isJsonNull(), k + " in " + m);
            double v = m.get(k).getAsDouble();
            assertTrue(v >= 0 && v <= 100, k + " = " + v);
        }
        // no box of this set is large (> 96^2 px): undefined, written as COCO prints it
        assertEquals(-1, m.get("APl").getAsDouble());
        assertEquals(12, m.getAsJsonArray("coco_summary").size());
        assertTrue(m.getAsJsonArray("coco_summary").get(0).getAsString().startsWith(
                " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = "));
        assertEquals(32, r.getAsJsonObject("settings").get("image_size").getAsInt());
        assertFalse(r.getAsJsonObject("settings").get("freeze_encoder").getAsBoolean());
        assertTrue(r.getAsJsonObject("encoder").get("checkpoint").getAsString().contains("random"));
        assertEquals(10, r.getAsJsonObject("categories").size());
        assertTrue(r.getAsJsonObject("provenance").has("semaim_version"), r.toString());
        assertTrue(Files.size(dir.resolve("r.png")) > 1000, "the boxes figure");
        assertTrue(Files.isDirectory(dir.resolve("r-checkpoints/step-00000004")), "the last epoch's checkpoint");
        assertTrue(o.err().contains("Average Precision  (AP) @[ IoU=0.50      |"), "COCO's summary is printed");

        Cli.Outcome viz = Cli.run("visualize", "--detector", saved.toString(), "--images",
                data.resolve("val").toString(), "--limit", "3", "--output", dir.resolve("viz").toString());
        assertEquals(0, viz.code(), viz.err());
        java.awt.image.BufferedImage fig = javax.imageio.ImageIO.read(dir.resolve("viz/detections.png").toFile());
        assertEquals(22 + 3 * (224 + 6) + 6, fig.getHeight(), "one row per image");

        // an existing checkpoint folder is not silently overwritten
        Cli.Outcome again = Cli.run(detect(dir, "r", "--epochs", "4"));
        assertEquals(ExitCodes.INVALID_CONFIG, again.code(), again.err());
        assertTrue(again.err().contains("pass --resume"), again.err());

        // an input size whose patch grid the pyramid cannot halve: one line, with a size that works
        Cli.Outcome odd = Cli.run("detect", "--data", data.toString(), "--epochs", "1", "--output",
                dir.resolve("odd.json").toString());   // the encoder's own 28 px: a 7x7 grid
        assertEquals(ExitCodes.INVALID_CONFIG, odd.code(), odd.err());
        assertTrue(odd.err().contains("choose --image-size, e.g. 32"), odd.err());
        assertFalse(Files.exists(dir.resolve("odd.json")));
    }

    @Test
    void aResumedTrainingEndsExactlyWhereTheUninterruptedOneEnds(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole.safetensors"), resumed = dir.resolve("resumed.safetensors");
        assertEquals(0, Cli.run(detect(dir, "whole", "--epochs", "2", "--save", whole.toString())).code());
        // the run stopped after its first epoch: only that epoch's checkpoint is left
        Path ck = dir.resolve("part-checkpoints");
        Files.createDirectories(ck);
        copyTree(dir.resolve("whole-checkpoints/step-00000001"), ck.resolve("step-00000001"));
        Cli.Outcome o = Cli.run(detect(dir, "part", "--epochs", "2", "--resume", "--save", resumed.toString()));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("resuming from"), o.err());
        JsonObject a = JsonParser.parseString(Files.readString(dir.resolve("whole.json"))).getAsJsonObject();
        JsonObject b = JsonParser.parseString(Files.readString(dir.resolve("part.json"))).getAsJsonObject();
        assertEquals(1, b.get("resumed_from_epoch").getAsInt());
        assertEquals(a.getAsJsonObject("metrics").get("history_epoch_loss_ap"),
                b.getAsJsonObject("metrics").get("history_epoch_loss_ap"));
        assertEquals(a.getAsJsonObject("metrics").get("coco_summary"), b.getAsJsonObject("metrics").get("coco_summary"));
        Map<String, Tensor> x = SafeTensors.read(whole).tensors(), y = SafeTensors.read(resumed).tensors();
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) {
            assertArrayEquals(Tensors.toFloats(x.get(k).contiguous()), Tensors.toFloats(y.get(k).contiguous()), k);
        }

        // a resume with other settings is refused, naming the setting
        Path other = dir.resolve("other-checkpoints");
        copyTree(dir.resolve("whole-checkpoints/step-00000001"), other.resolve("step-00000001"));
        Cli.Outcome refused = Cli.run(detect(dir, "other", "--epochs", "2", "--resume", "--layer-decay", "0.5"));
        assertEquals(ExitCodes.INVALID_CONFIG, refused.code(), refused.err());
        assertTrue(refused.err().contains("layer_decay"), refused.err());
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
