package semaim.ablation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import semaim.io.Json;
import semaim.model.ModelConfig;
import semaim.train.Bench;
import semaim.train.PretrainConfig;

/** An ablation grid's budget in wall time, turned into images seen so that every cell costs the same. */
public final class Budget {
    private Budget() {}

    /**
     * The images the base configuration pre-trains in {@code minutes} on this machine: its step timed on synthetic
     * data ({@link Bench}, 3 warm-up and 10 timed steps, the median), kept in {@code budget.json} of the grid folder
     * and read back from there on a re-run, so a resumed grid keeps its budget.
     */
    public static long imagesInMinutes(PretrainConfig base, double minutes, Path output, Consumer<String> info)
            throws IOException {
        if (!(minutes > 0)) {
            throw new IllegalArgumentException("--budget-minutes must be positive, got " + minutes);
        }
        Path file = output.resolve("budget.json");
        if (Files.exists(file)) {
            JsonObject saved = JsonParser.parseString(
                    Files.readString(file)).getAsJsonObject();
            if (saved.get("minutes").getAsDouble() == minutes) {
                long images = saved.get("images").getAsLong();
                info.accept("budget: " + minutes + " minutes = " + images + " images (timed earlier, " + file + ")");
                return images;
            }
        }
        ModelConfig mc = base.modelConfig(base.data().channels());
        info.accept("timing the pre-training step to turn " + minutes + " minutes into images seen ...");
        Bench.Result r = Bench.run(new Bench.Options(mc, base.target(), base.order().name(), base.optim().batchSize(),
                3, 10, base.run().precisionAsked(), base.run().device(), base.run().seed()), m -> { });
        long images = Math.max(1, Math.round(minutes * 60 * r.imagesPerSecond()));
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("minutes", minutes);
        j.put("images", images);
        j.put("images_per_second", r.imagesPerSecond());
        j.put("step_ms_median", r.medianMs());
        j.put("threads", r.threads());
        j.put("precision", r.precision().toString());
        Files.createDirectories(output);
        Files.writeString(file, Json.toJson(j));
        info.accept("budget: " + minutes + " minutes = " + images + " images at " + String.format("%.1f",
                r.imagesPerSecond()) + " img/s (step " + String.format("%.0f", r.medianMs()) + " ms, " + r.threads()
                + " threads, " + r.precision() + ")");
        return images;
    }

}
