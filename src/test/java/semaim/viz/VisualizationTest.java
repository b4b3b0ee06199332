package semaim.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.FashionMnist;
import semaim.data.TestData;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.target.TargetConfig;
import semaim.torch.Torch;
import semaim.util.Rng;

class VisualizationTest {
    @TempDir
    Path dir;

    @Test
    void orderMapIsAPermutationDrawnMonotonicallyFromWarmToCold() {
        int g = 7, n = g * g;
        float[] order = new float[n];
        Rng rng = new Rng(1);
        for (int t = 0; t < n; t++) {
            order[t] = (float) rng.nextDouble();
        }
        float[] heat = Panels.orderHeat(order);
        Set<Float> distinct = new HashSet<>();
        for (float h : heat) {
            distinct.add(h);
        }
        assertEquals(n, distinct.size(), "one heat level per rank");
        Integer[] pi = new Integer[n];
        for (int i = 0; i < n; i++) {
            pi[i] = i;
        }
        Arrays.sort(pi, (a, b) -> Float.compare(order[a], order[b]));
        assertEquals(1f, heat[pi[0]]);
        assertEquals(0f, heat[pi[n - 1]]);
        // Rendered over a flat grey picture, the hue goes from red (first) through yellow, green and cyan to blue
        // (last) and never back: blending with grey keeps the JET hue.
        BufferedImage grey = Panels.image(filled(28 * 28, 0.5f), 1, 28, 4);
        BufferedImage map = Panels.overlay(grey, heat, g, false, false);
        int cell = 112 / g;
        double prev = -1;
        for (int t : pi) {
            int p = map.getRGB((t % g) * cell + cell / 2, (t / g) * cell + cell / 2);
            float hue = java.awt.Color.RGBtoHSB((p >> 16) & 255, (p >> 8) & 255, p & 255, null)[0];
            assertTrue(hue <= 0.67f, "hue beyond blue at patch " + t);
            assertTrue(hue >= prev - 0.02, "hue went back towards red at patch " + t + ": " + hue + " after " + prev);
            prev = Math.max(prev, hue);
        }
        int first = map.getRGB((pi[0] % g) * cell + cell / 2, (pi[0] / g) * cell + cell / 2);
        int last = map.getRGB((pi[n - 1] % g) * cell + cell / 2, (pi[n - 1] / g) * cell + cell / 2);
        assertTrue(((first >> 16) & 255) > (first & 255), "first patch is warm");
        assertTrue(((last >> 16) & 255) < (last & 255), "last patch is cold");
    }

    @Test
    void mapsAreDrawnForPhotosAndFashionMnist() throws Exception {
        Torch.init();
        Torch.manualSeed(0);
        SemAimModel model = new SemAimModel(ModelConfig.preset("vit_nano_patch4_28"), TargetConfig.reference());
        TestData.writePng(dir.resolve("photos/wide.png"), 60, 40, 180);
        TestData.writePng(dir.resolve("photos/tall.png"), 30, 50, 20);
        Path natural = Path.of("..", "shared", "data", "natural");
        List<String> sources = Files.isDirectory(natural) ? List.of(dir.resolve("photos").toString(), natural.toString())
                : List.of(dir.resolve("photos").toString());
        SampleImages photos = SampleImages.load(sources, 1, 8);
        SampleImages fashion = SampleImages.first(FashionMnist.embeddedTest(), 3);
        for (SampleImages s : List.of(photos, fashion)) {
            Path out = MapWriter.write(model, s, dir.resolve("maps-" + s.images().size()), "overview.png", 0);
            BufferedImage overview = ImageIO.read(out.toFile());
            int cols = MapFigure.CAPTIONS.size();
            assertEquals(150 + cols * (112 + 6) + 6, overview.getWidth());
            assertEquals(22 + s.images().size() * (112 + 6) + 6, overview.getHeight());
            for (String name : s.names()) {
                BufferedImage one = ImageIO.read(out.getParent().resolve(name + ".png").toFile());
                assertEquals(cols * (112 + 6) + 6, one.getWidth());
                assertEquals(22 + (112 + 6) + 6, one.getHeight());
            }
        }
        assertTrue(photos.names().contains("wide") && photos.names().contains("tall"));
    }

    @Test
    void pcaColoursFollowTheMainDirectionOfThePatchTokens() {
        Torch.init();
        // 1 image, a 2x2 grid (+ CLS row), width 3: the patches vary along e0 by 0, 1, 2, 3 and a little along e1
        float[] v = {9, 9, 9, 0, 0.1f, 0, 1, -0.1f, 0, 2, 0.1f, 0, 3, -0.1f, 0};
        float[] rgb = MapFigure.pcaColours(semaim.torch.Tensors.floats(v, 1, 5, 3), 2);   // (1, 3, 2, 2)
        assertEquals(12, rgb.length);
        assertEquals(0f, rgb[0], 1e-5f, "red, the first component, rises with e0 (CLS row ignored)");
        assertEquals(1f / 3, rgb[1], 0.01f);   // the e1 wiggle tilts the first component a little
        assertEquals(2f / 3, rgb[2], 0.01f);
        assertEquals(1f, rgb[3], 1e-5f);
        assertTrue(rgb[4] != rgb[5], "green, the second component, follows the e1 wiggle");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
