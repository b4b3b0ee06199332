package semaim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.viz.CostCurve;

/**
 * {@code semaim bench-curve}: how the step's time and memory grow with the patch grid and with the width. Each point
 * runs {@code semaim bench} in its own JVM, so its peak RSS is its own; the results go to a JSON-lines file, a
 * Markdown table and one PNG.
 */
@Command(name = "bench-curve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cost curve of the pre-training step: step time and peak memory against the patch grid"
                + " (7x7, 14x14, 28x28: 28, 56 and 112 px at patch 4) and against the width (64-384, head size 32),"
                + " each point a separate `semaim bench` process. The base is the 96/6/3 model with a 6-block"
                + " decoder at 56 px. Writes DIR/cost-curve.jsonl, DIR/cost-curve.md and DIR/cost-curve.png."})
public final class BenchCurveCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--output", paramLabel = "DIR", required = true, description = "Folder for the results.")
    Path output;
    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32, bf16, fp16 or auto. Default: ${DEFAULT-VALUE}.")
    String precision;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--warmup", defaultValue = "1") int warmup;
    @Option(names = "--steps", defaultValue = "3") int steps;
    @Option(names = "--grids", split = ",", defaultValue = "7,14,28",
            description = "Patch grids (side). Default: ${DEFAULT-VALUE}.")
    int[] grids;
    @Option(names = "--widths", split = ",", defaultValue = "64,96,192,288,384",
            description = "Widths, multiples of 32. Default: ${DEFAULT-VALUE}.")
    int[] widths;

    @Option(names = "--base-grid", defaultValue = "14",
            description = "Grid of the width sweep. Default: ${DEFAULT-VALUE}.")
    int baseGrid;
    @Option(names = "--base-width", defaultValue = "96",
            description = "Width of the grid sweep. Default: ${DEFAULT-VALUE}.")
    int baseWidth;
    @Option(names = "--depth", defaultValue = "6",
            description = "Encoder and decoder blocks. Default: ${DEFAULT-VALUE}.")
    int depth;

    static final int PATCH = 4;
    static final int HEAD_DIM = 32;

    @Override
    public Integer call() {
        return CommandErrors.guard("bench-curve", () -> {
            if (depth <= 0 || baseGrid <= 0 || baseWidth <= 0 || baseWidth % HEAD_DIM != 0) {
                throw new IllegalArgumentException("--depth and --base-grid must be positive, --base-width a positive"
                        + " multiple of " + HEAD_DIM);
            }
            for (int w : widths) {
                if (w <= 0 || w % HEAD_DIM != 0) {
                    throw new IllegalArgumentException(
                            "--widths must be positive multiples of " + HEAD_DIM + ", got " + w);
                }
            }
            for (int g : grids) {
                if (g <= 0) {
                    throw new IllegalArgumentException("--grids must be positive, got " + g);
                }
            }
            Files.createDirectories(output);
            Path jsonl = output.resolve("cost-curve.jsonl");
            Files.deleteIfExists(jsonl);
            List<CostCurve.Point> gridPoints = new ArrayList<>();
            for (int g : grids) {
                gridPoints.add(point("grid", g, g * PATCH, baseWidth, jsonl));
            }
            List<CostCurve.Point> widthPoints = new ArrayList<>();
            for (int w : widths) {
                widthPoints.add(point("width", w, baseGrid * PATCH, w, jsonl));
            }
            String title = String.format(Locale.ROOT, "%s, batch %d, %d threads", precision, batchSize,
                    Runtime.getRuntime().availableProcessors());
            Files.writeString(output.resolve("cost-curve.md"), CostCurve.table(gridPoints, widthPoints),
                    StandardCharsets.UTF_8);
            CostCurve.png(output.resolve("cost-curve.png"), title, gridPoints, widthPoints);
            LOG.info("wrote {}, cost-curve.md and cost-curve.png", jsonl);
            return ExitCodes.OK;
        });
    }

    /** Runs one {@code semaim bench} child process and reads its JSON line back. */
    private CostCurve.Point point(String sweep, int x, int imageSize, int width, Path jsonl)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.addAll(JavaCommand.semaim(List.of(), List.of("bench",
                "--image-size", Integer.toString(imageSize), "--patch-size", Integer.toString(PATCH),
                "--width", Integer.toString(width), "--depth", Integer.toString(depth),
                "--heads", Integer.toString(width / HEAD_DIM), "--decoder-depth", Integer.toString(depth),
                "--batch-size", Integer.toString(batchSize), "--warmup", Integer.toString(warmup),
                "--steps", Integer.toString(steps), "--precision", precision)));
        LOG.info("{} {}: {} px, width {} ...", sweep, x, imageSize, width);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String json = null;
        try (var reader = p.inputReader(StandardCharsets.UTF_8)) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("{")) {
                    json = line;
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || json == null) {
            throw new IOException("semaim bench failed (exit " + rc + ") for " + sweep + " " + x
                    + "; run it alone to see why: " + String.join(" ", cmd.subList(cmd.indexOf("bench"), cmd.size())));
        }
        JsonObject j = JsonParser.parseString(json).getAsJsonObject();
        j.addProperty("sweep", sweep);
        j.addProperty("x", x);
        Files.writeString(jsonl, j + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        CostCurve.Point pt = new CostCurve.Point(sweep, x, imageSize / PATCH, width, j.get("params").getAsLong(),
                j.get("flops_per_image").getAsDouble(), j.get("step_ms_median").getAsDouble() / 1000.0,
                j.get("images_per_s").getAsDouble(), j.get("gflops").getAsDouble(),
                j.has("mfu") ? j.get("mfu").getAsDouble() : Double.NaN,   // absent: bench's peak reading failed
                j.get("peak_rss_mb").getAsDouble());
        LOG.info("  {}", CostCurve.row(pt));
        return pt;
    }
}
