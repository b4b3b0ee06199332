package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.DecodedImage;
import semaim.data.Datasets;
import semaim.data.ImageSource;
import semaim.data.TestData;

class MakeClutterCommandTest {
    @Test
    void writesLabelledIdxWithItemsOnBackgrounds(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("photos"));
        TestData.writePng(dir.resolve("photos/a.png"), 80, 60, 200);
        Path out = dir.resolve("clutter");
        Cli.Outcome o = Cli.run("make-clutter", "--output", out.toString(), "--train", "40", "--test", "10", "--size",
                "32", "--backgrounds", dir.resolve("photos").toString());
        assertEquals(0, o.code(), o.err());
        ImageSource train = Datasets.open(out.resolve("train-images-idx3-ubyte").toString(), 1);
        ImageSource test = Datasets.open(out.resolve("test-images-idx3-ubyte").toString(), 1);
        assertEquals(40, train.size());
        assertEquals(10, test.size());
        int backgroundPixels = 0;
        for (int i = 0; i < train.size(); i++) {
            assertTrue(train.label(i) >= 0 && train.label(i) < 10, "a Fashion-MNIST class");
            DecodedImage img = train.load(i);
            assertEquals(32, img.width());
            for (float v : img.chw()) {
                if (v > 0.04f && v < 0.76f) {
                    backgroundPixels++;
                }
            }
        }
        assertTrue(backgroundPixels > 40 * 32 * 32 / 3, "mostly textured background, not black: " + backgroundPixels);
        Cli.Outcome again = Cli.run("make-clutter", "--output", dir.resolve("again").toString(), "--train", "40",
                "--test", "10", "--size", "32", "--backgrounds", dir.resolve("photos").toString());
        assertEquals(0, again.code());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(out.resolve("train-images-idx3-ubyte")),
                Files.readAllBytes(dir.resolve("again").resolve("train-images-idx3-ubyte"))), "the seed fixes it");
    }

    /** --photo-fraction 1 and --background-gain: every background a photo crop, brightened; bad settings named. */
    @Test
    void settingsChooseTheBackgroundsAndTheirBrightness(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("photos"));
        java.awt.image.BufferedImage flat = new java.awt.image.BufferedImage(80, 60,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        java.util.Arrays.fill(((java.awt.image.DataBufferByte) flat.getRaster().getDataBuffer()).getData(), (byte) 200);
        javax.imageio.ImageIO.write(flat, "png", dir.resolve("photos/a.png").toFile());   // crops: 200/255 x 0.7
        Path out = dir.resolve("clutter");
        Cli.Outcome o = Cli.run("make-clutter", "--output", out.toString(), "--train", "30", "--test", "5", "--size",
                "32", "--backgrounds", dir.resolve("photos").toString(), "--photo-fraction", "1", "--background-gain",
                "1.5", "--item-scale", "0.3,0.3");
        assertEquals(0, o.code(), o.err());
        ImageSource train = Datasets.open(out.resolve("train-images-idx3-ubyte").toString(), 1);
        int photoCorners = 0;
        for (int i = 0; i < train.size(); i++) {
            float corner = train.load(i).chw()[32 * 32 - 1];   // bottom-right: background unless the item is there
            if (Math.abs(corner - 200 / 255.0 * 0.7 * 1.5) < 1.5 / 255) {
                photoCorners++;
            }
        }
        assertTrue(photoCorners >= 25, "the brightened photo behind nearly every item: " + photoCorners + " of 30");
        Cli.Outcome bad = Cli.run("make-clutter", "--output", dir.resolve("bad").toString(), "--item-scale", "0.8,0.4");
        assertEquals(3, bad.code(), bad.err());
        assertTrue(bad.err().contains("--item-scale needs 0 < MIN <= MAX <= 1, got 0.8,0.4"), bad.err());
    }
}
