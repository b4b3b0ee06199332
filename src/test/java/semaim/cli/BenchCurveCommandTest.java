package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** {@code semaim bench-curve} on tiny shapes: one bench process per point, a table row each, a two-panel PNG. */
class BenchCurveCommandTest {
    @TempDir
    Path dir;

    @Test
    void measuresEveryPointInItsOwnProcessAndWritesTableAndPng() throws Exception {
        Cli.Outcome o = Cli.run("bench-curve", "--output", dir.toString(), "--grids", "2,3", "--widths", "32,64",
                "--base-grid", "2", "--base-width", "32", "--depth", "1", "--batch-size", "2", "--warmup", "0",
                "--steps", "1");
        assertEquals(ExitCodes.OK, o.code(), o.err());
        List<String> lines = Files.readAllLines(dir.resolve("cost-curve.jsonl"));
        assertEquals(4, lines.size(), String.join("\n", lines));
        JsonObject grid3 = JsonParser.parseString(lines.get(1)).getAsJsonObject();
        assertEquals("grid", grid3.get("sweep").getAsString());
        assertEquals(12, grid3.get("img").getAsInt(), "grid 3 at patch 4 is a 12 px image");
        JsonObject width64 = JsonParser.parseString(lines.get(3)).getAsJsonObject();
        assertEquals(64, width64.get("dim").getAsInt());
        assertEquals(2, width64.get("heads").getAsInt(), "heads of 32");
        assertTrue(width64.get("flops_per_image").getAsLong() > JsonParser.parseString(lines.get(2))
                .getAsJsonObject().get("flops_per_image").getAsLong(), "wider costs more FLOPs");
        String table = Files.readString(dir.resolve("cost-curve.md"));
        assertEquals(2 + 4, table.lines().count(), table);
        assertTrue(table.contains("| grid | 3x3 | 10 | 32 |"), table);
        BufferedImage png = ImageIO.read(dir.resolve("cost-curve.png").toFile());
        assertNotNull(png);
        assertEquals(2 * png.getHeight() * 560 / 400, png.getWidth(), "two panels side by side");
    }

    @Test
    void refusesAWidthThatIsNotAMultipleOfTheHeadSize() {
        Cli.Outcome o = Cli.run("bench-curve", "--output", dir.toString(), "--widths", "48");
        assertEquals(ExitCodes.INVALID_CONFIG, o.code());
        assertTrue(o.err().contains("multiples of 32"), o.err());
    }
}
