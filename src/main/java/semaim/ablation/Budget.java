package semaim.ablation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import semaim.io.Json;
import semaim.model.ModelConfig;
import semaim.torch.Precision;
import semaim.train.Bench;
import semaim.train.PretrainConfig;
import semaim.util.Machine;

/** An ablation grid's budget in wall time, turned into images seen so that every cell costs the same. */
public final class Budget {
    /** The budget's file name in a grid or run folder. */
    public static final String FILE = "budget.json";

    private Budget() {}

    /**
     * The machine a saved budget was timed on when it is not this one: its {@code machine} line when it has one, else
     * (a budget written before that line) "a CPU with native bf16" when it ran bf16 and this CPU has none.
     */
    public static Optional<String> otherMachine(JsonObject saved) {
        if (saved.has("machine")) {
            String there = saved.get("machine").getAsString();
            return there.equals(Machine.describe()) ? Optional.empty() : Optional.of(there);
        }
        boolean bf16There = saved.has("precision") && saved.get("precision").getAsString().equals("bf16");
        return bf16There && !Precision.cpuHasNativeBf16() ? Optional.of("a CPU with native bf16 (the step ran bf16)")
                : Optional.empty();
    }

    private static double readMinutes(Path file) throws IOException {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject().get("minutes").getAsDouble();
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a budget file (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The images the base configuration pre-trains in {@code minutes} on this machine: its step timed on synthetic
     * data ({@link Bench}, 3 warm-up and 10 timed steps, the median), kept in {@code budget.json} of the grid folder
     * and read back from there on a re-run, so a resumed grid keeps its budget.
     */
    public static long imagesInMinutes(PretrainConfig base, double minutes, Path output, Consumer<String> info)
            throws IOException {
        return imagesInMinutes(base, minutes, output.resolve(FILE), null, info);
    }

    /**
     * As above with the budget kept in {@code file}; when {@code file} does not hold these minutes and {@code shared}
     * (may be null) does, that timing is copied into {@code file}: several runs then see the same images however
     * fast the machine is when each starts.
     */
    public static long imagesInMinutes(PretrainConfig base, double minutes, Path file, Path shared,
            Consumer<String> info) throws IOException {
        if (!(minutes > 0)) {
            throw new IllegalArgumentException("--budget-minutes must be positive, got " + minutes);
        }
        if (shared != null && !Files.exists(file) && Files.exists(shared)) {
            if (readMinutes(shared) != minutes) {
                throw new IllegalArgumentException("--budget-from " + shared + " holds a budget of "
                        + readMinutes(shared) + " minutes, not " + minutes);
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.copy(shared, file);
        }
        if (Files.exists(file)) {
            JsonObject saved = JsonParser.parseString(
                    Files.readString(file)).getAsJsonObject();
            if (saved.get("minutes").getAsDouble() == minutes) {
                long images = saved.get("images").getAsLong();
                info.accept("budget: " + minutes + " minutes = " + images + " images (timed earlier, " + file + ")");
                otherMachine(saved).ifPresent(other -> info.accept("budget: timed on " + other + ", not on this "
                        + Machine.describe() + ": the same " + images + " images, which do not take " + minutes
                        + " minutes here"));
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
        j.put("machine", Machine.describe());
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, Json.toJson(j));
        info.accept("budget: " + minutes + " minutes = " + images + " images at " + String.format("%.1f",
                r.imagesPerSecond()) + " img/s (step " + String.format("%.0f", r.medianMs()) + " ms, " + r.threads()
                + " threads, " + r.precision() + ")");
        return images;
    }

}
