package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

class SegmentCommandTest {
    @Test
    void theLinearHeadBeatsTheBackgroundBaselineOnTheSyntheticSet(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("seg");
        assertEquals(0, Cli.run("make-segdata", "--output", data.toString(), "--train", "320", "--val", "80").code());
        assertTrue(Files.isRegularFile(data.resolve("images/training/training_00000.jpg")));
        assertTrue(Files.isRegularFile(data.resolve("annotations/validation/validation_00000.png")));
        Path result = dir.resolve("seg.json");
        Path saved = dir.resolve("segmenter.safetensors");
        Cli.Outcome o = Cli.run("segment", "--data", data.toString(), "--epochs", "15", "--blr", "0.2", "--output",
                result.toString(), "--save", saved.toString());
        assertEquals(0, o.code(), o.err());
        JsonObject m = JsonParser.parseString(Files.readString(result)).getAsJsonObject().getAsJsonObject("metrics");
        double miou = m.get("miou").getAsDouble(), baseline = m.get("baseline_miou").getAsDouble();
        System.out.printf("synthetic segmentation, random encoder, linear head: mIoU %.2f%% vs background baseline"
                + " %.2f%%%n", miou, baseline);
        assertTrue(miou > baseline + 2, "mIoU " + miou + " vs baseline " + baseline);
        assertEquals(11, m.getAsJsonArray("iou_per_class").size());
        assertTrue(Files.isRegularFile(dir.resolve("seg.png")), "the masks figure");

        // visualize draws the saved segmenter's masks as the last panel of each row
        Cli.Outcome viz = Cli.run("visualize", "--images", data.resolve("images/validation").toString(), "--limit",
                "2", "--channels", "1", "--segmenter", saved.toString(), "--output", dir.resolve("maps").toString());
        assertEquals(0, viz.code(), viz.err());
        assertTrue(viz.err().contains("11 classes"), viz.err());
        java.awt.image.BufferedImage overview = javax.imageio.ImageIO.read(dir.resolve("maps/overview.png").toFile());
        assertEquals(150 + 11 * (112 + 6) + 6, overview.getWidth(), "9 map panels + PCA + predicted mask");
    }
}
