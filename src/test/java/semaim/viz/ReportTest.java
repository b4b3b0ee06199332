package semaim.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;
import semaim.train.Pretrainer;
import semaim.train.ResumeTestAccess;

/** The HTML report of a real (tiny) run, opened in headless Chromium: no console errors, a non-blank screenshot. */
class ReportTest {
    @TempDir
    Path dir;

    @Test
    void reportIsSelfContainedAndRendersWithoutConsoleErrors() throws Exception {
        Path data = TestData.writeIdx(dir, 64);
        Path run = dir.resolve("run");
        new Pretrainer(ResumeTestAccess.tiny(data.toString(), 4), run, null).run(() -> false, ResumeTestAccess.quiet());
        Files.createDirectories(run.resolve("eval"));
        Files.writeString(run.resolve("eval/knn.json"), "{\"metrics\": {\"k20_top1\": 61.5}}");
        Path html = Report.write(run, List.of());
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertTrue(page.contains("Training curves") && page.contains("Configuration") && page.contains("k20_top1"));
        assertTrue(page.contains("data:image/png;base64,"), "images are inlined");
        assertFalse(page.contains("src=\"http") || page.contains("src=\"file") || page.contains("<script"),
                "no external resource, no script");

        String chromium = findChromium();
        assumeTrue(chromium != null, "chromium is not installed (apt-get install chromium); .ci/run installs it");
        Path shot = dir.resolve("report.png");
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + dir.resolve("profile"), "--enable-logging=stderr", "--v=0",
                "--window-size=1280,2000", "--screenshot=" + shot, html.toUri().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium hung");
        assertTrue(Files.exists(shot), "no screenshot; chromium said:\n" + log);
        for (String line : log.split("\n")) {
            boolean consoleError = line.contains("CONSOLE") && (line.contains("ERROR") || line.contains("Uncaught"))
                    || line.contains("Failed to load resource") || line.contains("Uncaught");
            assertFalse(consoleError, "console error: " + line);
        }
        var img = ImageIO.read(shot.toFile());
        assertEquals(1280, img.getWidth());
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 7) {
            for (int x = 0; x < img.getWidth(); x += 7) {
                colours.add(img.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 50, "screenshot looks blank (" + colours.size() + " colours)");
        Files.copy(shot, Path.of("target", "report-screenshot.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static String findChromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (new File(c).canExecute()) {
                return c;
            }
        }
        return null;
    }
}
