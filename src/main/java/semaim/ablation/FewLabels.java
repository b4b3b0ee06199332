package semaim.ablation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import org.bytedeco.pytorch.Device;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import semaim.data.EvalTransform;
import semaim.data.ImageSource;
import semaim.data.LabelSplits;
import semaim.data.Subset;
import semaim.eval.AttentiveProbe;
import semaim.eval.EncoderSource;
import semaim.eval.EvalData;
import semaim.eval.Features;
import semaim.eval.FineTuner;
import semaim.eval.LinearProbe;
import semaim.eval.Protocols;
import semaim.io.Json;
import semaim.io.Provenance;
import semaim.model.VisionTransformer;
import semaim.torch.Precision;
import semaim.torch.Torch;

/**
 * Does pre-training pay when labels are few (issue 26)? One seed of the protocol of SimCLRv2 / MSN, on one
 * pre-trained encoder: for each label fraction, a class-balanced labelled subset drawn with the seed from the
 * training images outside a fixed validation split ({@link LabelSplits}), and the arms
 * <ul>
 * <li>{@code finetune}: the pre-trained encoder fine-tuned on the subset (LP-FT when the recipe's probe epochs > 0);
 * <li>{@code linear}, {@code attentive}: its frozen features under a linear probe (concat feature) and an attentive
 * probe (patch tokens);
 * <li>{@code random-linear}, {@code random-attentive}: the same probes on a randomly initialised encoder;
 * <li>{@code pixels-linear}: the linear probe on standardised raw pixels;
 * <li>{@code scratch}: a random encoder fine-tuned on the subset for as long as pre-training and the fine-tune took
 * together (its epochs = that time / the fine-tune's seconds per epoch).
 * </ul>
 * The fine-tunes keep the epoch the validation split chooses and are scored on the held-out images once; every arm's
 * result is a JSON file of its own, so a stopped study resumes where it stopped. {@link FewLabelsTable} sums them up.
 */
public final class FewLabels {
    /** Every arm, in the order they run ({@code scratch} needs {@code finetune}'s time). */
    public static final List<String> ARMS = List.of("finetune", "linear", "attentive", "random-linear",
            "random-attentive", "pixels-linear", "scratch");

    /**
     * The fine-tuning and probing recipe. Fine-tunes: {@code epochs} per fraction (same order), AdamW at {@code blr}
     * (lr = blr x batch / 256) with warm-up over the first 5% of the epochs, layer decay {@code layerDecay} (scratch: none,
     * it has no pre-trained layers to keep), drop path, crops from {@code cropScaleMin}, label smoothing 0.1, no
     * mixing; LP-FT's probe epochs ({@code lpftEpochs}, 0 = a random head); at most {@code validations} validations
     * per fine-tune (every ceil(epochs / validations) epochs and the last). Probes: {@code probeSteps} optimiser steps
     * (epochs = steps / batches per epoch), the linear probe's SGD and the attentive probe's AdamW at their defaults.
     */
    public record Recipe(List<Integer> epochs, int batchSize, double blr, double layerDecay, double dropPath,
            double cropScaleMin, int lpftEpochs, int validations, int probeSteps) {
        public Recipe {
            epochs = List.copyOf(epochs);
            if (epochs.stream().anyMatch(e -> e <= 0) || batchSize <= 0 || !(blr > 0) || !(layerDecay > 0)
                    || layerDecay > 1 || dropPath < 0 || dropPath >= 1 || !(cropScaleMin > 0) || cropScaleMin > 1
                    || lpftEpochs < 0 || validations <= 0 || probeSteps <= 0) {
                throw new IllegalArgumentException("the few-label recipe needs positive epochs, batch size, --blr,"
                        + " validations and probe steps, layer decay in (0, 1], drop path in [0, 1), crop scale in"
                        + " (0, 1] and LP-FT epochs >= 0; got " + this);
            }
        }
    }

    /** Where and what: the study folder, the fractions, the fixed validation split's size and seed, the arms. */
    public record Plan(Path output, List<Double> fractions, int valSize, long valSeed, List<String> arms, Recipe recipe,
            String device) {
        public Plan {
            fractions = List.copyOf(fractions);
            arms = List.copyOf(arms);
            if (fractions.isEmpty() || fractions.stream().anyMatch(f -> !(f > 0) || f >= 1)) {
                throw new IllegalArgumentException("--fractions must be in (0, 1), got " + fractions);
            }
            if (recipe.epochs().size() != 1 && recipe.epochs().size() != fractions.size()) {
                throw new IllegalArgumentException("--finetune-epochs gives one value, or one per fraction ("
                        + fractions.size() + "), got " + recipe.epochs());
            }
            for (String a : arms) {
                if (!ARMS.contains(a)) {
                    throw new IllegalArgumentException("unknown arm '" + a + "'; choose from " + ARMS);
                }
            }
        }

        int epochsFor(int fraction) {
            return recipe.epochs().get(recipe.epochs().size() == 1 ? 0 : fraction);
        }
    }

    private final Plan plan;
    private final EncoderSource encoder;
    private final double pretrainSeconds;
    private final Consumer<String> info;

    /** {@code pretrainSeconds}: the encoder's pre-training time, which the scratch arm's time includes. */
    public FewLabels(Plan plan, EncoderSource encoder, double pretrainSeconds, Consumer<String> info) {
        this.plan = plan;
        this.encoder = encoder;
        this.pretrainSeconds = pretrainSeconds;
        this.info = info;
    }

    /** The folder of one fraction and seed: {@code frac-1pct/seed-0}. */
    public static Path cellFolder(Path output, double fraction, long seed) {
        return output.resolve("frac-" + percent(fraction) + "pct").resolve("seed-" + seed);
    }

    static String percent(double fraction) {
        double p = fraction * 100;
        return p == Math.rint(p) ? Long.toString(Math.round(p)) : String.format(Locale.ROOT, "%s", p);
    }

    /** Runs every arm of {@code seed} not yet done on {@code train} (labelled) and scores on {@code test}. */
    public void run(ImageSource train, ImageSource test, long seed) throws IOException {
        LabelSplits splits = new LabelSplits(train, plan.valSize(), plan.valSeed());
        ImageSource val = Subset.rows(train, splits.validation(), plan.valSize() + " validation images (seed "
                + plan.valSeed() + ")");
        for (int f = 0; f < plan.fractions().size(); f++) {
            double fraction = plan.fractions().get(f);
            int n = (int) Math.round(fraction * train.size());
            ImageSource labelled = Subset.rows(train, splits.subset(n, seed), n + " labelled images (" + percent(fraction)
                    + "%, class-balanced, seed " + seed + ")");
            Path dir = cellFolder(plan.output(), fraction, seed);
            Cell cell = new Cell(dir, fraction, seed, labelled, val, test, splits.classes(), plan.epochsFor(f));
            for (String arm : plan.arms()) {
                if (done(cell.file(arm)) != null) {
                    info.accept(cell.name(arm) + ": done, skipped");
                    continue;
                }
                info.accept("=== " + cell.name(arm) + " (" + labelled.description() + ")");
                Map<String, Object> row = cell.header(arm);
                double load = loadAverage();
                long start = System.nanoTime();
                row.putAll(runArm(arm, cell));
                row.put("wall_seconds", (System.nanoTime() - start) / 1e9);
                row.put("load_average_start_end", List.of(load, loadAverage()));
                Files.createDirectories(dir);
                Path tmp = dir.resolve(arm + ".json.tmp");
                Files.writeString(tmp, Json.toJson(row), StandardCharsets.UTF_8);
                Files.move(tmp, cell.file(arm), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                info.accept(cell.name(arm) + ": test top-1 " + String.format(Locale.ROOT, "%.2f", row.get("top1"))
                        + "%");
            }
        }
    }

    /** One fraction and seed: its labelled subset, the shared validation and test images, the fine-tune's epochs. */
    record Cell(Path dir, double fraction, long seed, ImageSource labelled, ImageSource val, ImageSource test,
            int classes, int epochs) {
        Path file(String arm) {
            return dir.resolve(arm + ".json");
        }

        String name(String arm) {
            return percent(fraction) + "% seed " + seed + " " + arm;
        }

        Map<String, Object> header(String arm) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("arm", arm);
            row.put("fraction", fraction);
            row.put("labels", labelled.size());
            row.put("seed", seed);
            row.put("validation_images", val.size());
            row.put("test_images", test.size());
            row.put("semaim_version", Provenance.version());
            row.put("git_commit", Provenance.gitCommit());
            row.put("machine", semaim.util.Machine.describe());
            return row;
        }
    }

    private Map<String, Object> runArm(String arm, Cell cell) throws IOException {
        return switch (arm) {
            case "finetune" -> finetune(cell);
            case "scratch" -> scratch(cell);
            case "linear", "random-linear" -> linear(arm.equals("linear") ? encoder : random(cell.seed()), cell);
            case "attentive", "random-attentive" ->
                    attentive(arm.equals("attentive") ? encoder : random(cell.seed()), cell);
            case "pixels-linear" -> pixels(cell);
            default -> throw new IllegalArgumentException("unknown arm " + arm);
        };
    }

    private EncoderSource random(long seed) {
        return EncoderSource.random(encoder.config(), seed);
    }

    private Map<String, Object> finetune(Cell cell) throws IOException {
        Recipe r = plan.recipe();
        Map<String, Object> row = tuned(encoder, cell, cell.epochs(), r.layerDecay(), r.lpftEpochs(), "finetune");
        row.put("encoder", encoder.provenance());
        return row;
    }

    /**
     * A random encoder fine-tuned for the time of pre-training plus this cell's fine-tune; refused before the
     * fine-tune has run (its time is not known).
     */
    private Map<String, Object> scratch(Cell cell) throws IOException {
        Map<String, Object> ft = done(cell.file("finetune"));
        if (ft == null) {
            throw new IllegalStateException("the scratch arm matches the fine-tune's time: run the finetune arm of "
                    + cell.name("") + "first");
        }
        double ftSeconds = ((Number) ft.get("train_seconds")).doubleValue();
        double perEpoch = ((Number) ft.get("epoch_seconds")).doubleValue();
        double matched = pretrainSeconds + ftSeconds;
        int epochs = (int) Math.max(cell.epochs(), Math.round(matched / perEpoch));
        info.accept("scratch: " + epochs + " epochs = (" + String.format(Locale.ROOT, "%.0f", pretrainSeconds)
                + " s pre-training + " + String.format(Locale.ROOT, "%.0f", ftSeconds) + " s fine-tuning) / "
                + String.format(Locale.ROOT, "%.2f", perEpoch) + " s per epoch");
        Map<String, Object> row = tuned(random(cell.seed()), cell, epochs, 1.0, 0, "scratch");
        row.put("matched_seconds", matched);
        row.put("pretrain_seconds", pretrainSeconds);
        return row;
    }

    /** Fine-tunes {@code source} on the cell's labels, the epoch chosen on its validation split. */
    private Map<String, Object> tuned(EncoderSource source, Cell cell, int epochs, double layerDecay, int lpft,
            String arm) throws IOException {
        Recipe r = plan.recipe();
        Device dev = Torch.device(plan.device());
        VisionTransformer model = source.withDropPath(r.dropPath()).withSeed(cell.seed())
                .build(VisionTransformer.Pooling.MEAN, cell.classes());
        model.to(dev, false);
        int batch = Math.min(r.batchSize(), cell.labelled().size());
        FineTuner.Options o = new FineTuner.Options(epochs, batch, r.blr(), 1e-6, epochs * 0.05, 0.05, layerDecay,
                0.1, 0, 0, 0, 0.5, r.cropScaleMin(), false, 0, cell.seed(), 2, lpft);
        int every = (epochs + r.validations() - 1) / r.validations();
        Path weights = Files.createDirectories(cell.dir().resolve(arm + "-weights"));
        FineTuner.Result res = FineTuner.run(model, cell.labelled(), cell.test(), FineTuner.Selection.on(cell.val(),
                every), o, dev, weights, Provenance.of(cell.labelled().description(), cell.labelled().size()),
                semaim.torch.Distributed.single(), (epoch, top1, top5, loss) ->
                        info.accept(cell.name(arm) + " epoch " + epoch + "/" + epochs + ": loss "
                                + String.format(Locale.ROOT, "%.4f", loss) + ", validation top-1 "
                                + String.format(Locale.ROOT, "%.2f", top1) + "%"));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("top1", res.bestTop1());
        row.put("val_top1", res.bestValTop1());
        row.put("best_epoch", res.bestEpoch());
        row.put("last_top1", res.lastTop1());
        row.put("epochs", epochs);
        row.put("validate_every", every);
        row.put("train_seconds", res.trainSeconds());
        row.put("epoch_seconds", res.epochSeconds());
        row.put("options", o);
        return row;
    }

    private Map<String, Object> linear(EncoderSource source, Cell cell) throws IOException {
        VisionTransformer enc = source.build(VisionTransformer.Pooling.CONCAT, 0);
        Device dev = Torch.device(plan.device());
        enc.to(dev, false);
        Features.Set[] f = Protocols.features(enc, new EvalData(cell.labelled(), cell.test()), dev, 256, n -> { });
        Map<String, Object> row = probe(f[0], f[1], cell);
        row.put("feature", "concat");
        row.put("encoder", source.provenance());
        return row;
    }

    private Map<String, Object> pixels(Cell cell) throws IOException {
        EvalTransform t = EvalTransform.standard(encoder.config().imageSize(), cell.labelled().channels());
        Features.Set[] f = Features.pixels(cell.labelled(), cell.test(), t);
        Map<String, Object> row = probe(f[0], f[1], cell);
        row.put("feature", "standardised pixels at " + encoder.config().imageSize() + " px");
        return row;
    }

    private Map<String, Object> probe(Features.Set train, Features.Set test, Cell cell) {
        int batch = Math.min(256, train.rows());
        int epochs = probeEpochs(train.rows(), batch);
        LinearProbe.Result r = LinearProbe.train(train, test, epochs, batch, 0.1, 0, cell.seed(), e -> { });
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("top1", r.top1());
        row.put("probe_epochs", epochs);
        return row;
    }

    private Map<String, Object> attentive(EncoderSource source, Cell cell) throws IOException {
        VisionTransformer enc = source.build(VisionTransformer.Pooling.CLS, 0);   // tokens read before pooling
        Device dev = Torch.device(plan.device());
        enc.to(dev, false);
        EvalTransform t = EvalTransform.standard(enc.config().imageSize(), cell.labelled().channels());
        Features.Tokens train = Features.extractTokens(enc, cell.labelled(), t, dev, 256, Precision.FP32, n -> { });
        Features.Tokens test = Features.extractTokens(enc, cell.test(), t, dev, 256, Precision.FP32, n -> { });
        int batch = Math.min(256, train.rows());
        int epochs = probeEpochs(train.rows(), batch);
        AttentiveProbe.Result r = AttentiveProbe.train(train, test, epochs, batch, 1e-3, 0.05, Math.min(1, epochs),
                cell.seed(), e -> { });
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("top1", r.top1());
        row.put("probe_epochs", epochs);
        row.put("feature", "patch tokens after the final norm");
        row.put("encoder", source.provenance());
        return row;
    }

    /** Epochs that give the recipe's probe steps at {@code batch} (the last, partial batch counted). */
    private int probeEpochs(int rows, int batch) {
        int perEpoch = (rows + batch - 1) / batch;
        return Math.max(1, (plan.recipe().probeSteps() + perEpoch - 1) / perEpoch);
    }

    /** The 1-minute load average (/proc/loadavg), kept with each arm to show whether it shared the machine; NaN elsewhere. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** A finished arm's result, or null (absent, or a half-written file of a killed run). */
    static Map<String, Object> done(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
            if (!o.has("top1")) {
                return null;
            }
            return Json.gson(false).fromJson(o, Map.class);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
