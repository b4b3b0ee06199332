package semaim.ablation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

import org.bytedeco.pytorch.Device;

import com.google.gson.Gson;

import semaim.eval.EncoderSource;
import semaim.eval.EvalData;
import semaim.eval.Features;
import semaim.eval.FineTuner;
import semaim.eval.Knn;
import semaim.eval.LinearProbe;
import semaim.eval.Protocols;
import semaim.io.CheckpointFolders;
import semaim.io.Json;
import semaim.io.Provenance;
import semaim.io.SafeTensors;
import semaim.model.ModelConfig;
import semaim.model.TeacherFile;
import semaim.model.VisionTransformer;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.torch.Torch;
import semaim.train.MetricsLog;
import semaim.order.Orders;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.viz.Charts;

/**
 * The paper's ablations (Table 1 orders, Table 2 targets, Table 3 decoder depth) on any data at one budget: a grid
 * of pre-training cells (orders x targets x decoder depths, everything else from one base config), each pre-trained
 * and then evaluated by k-NN and a linear probe (and optionally fine-tuned). Writes {@code cells/NAME/} per cell
 * and {@code ablation.md}, {@code ablation.csv} and {@code ablation.png} after every cell. A half-done grid
 * resumes: a cell with a {@code result.json} is skipped, and an interrupted pre-training continues from its newest
 * checkpoint.
 */
public final class AblationGrid {
    /** The targets a cell can use by name; besides these, {@code teacher:FILE} (or clip:, dino:, vit:FILE). */
    public static final List<String> TARGETS = List.of("pixel", "pixel-noblur", "pixel-raw", "hog", "ema");

    /** One cell of the grid; {@code group} is its name without the seed (cells of one group are averaged). */
    public record Cell(String name, String group, String order, String target, PretrainConfig config, long seed) {}

    /**
     * Baseline rows a grid can add: a randomly initialised encoder and raw pixels as features (k-NN and linear
     * probe), and {@code scratch}: fine-tuning from a random initialisation for as long as the first cell of the same
     * seed took to pre-train and fine-tune (needs fine-tuning).
     */
    public static final List<String> BASELINES = List.of("random", "pixels", "scratch");

    /** Where the grid shows progress (the command line draws bars). */
    public interface Reporter {
        /** A listener for one cell's pre-training; closed when it ends. */
        Pretraining pretraining(Cell cell);

        /** A counter of the images whose features are done, out of {@code total}; closed when all are. */
        Counter features(long total);

        void info(String message);
    }

    /** A pre-training listener that is closed after use. */
    public interface Pretraining extends Pretrainer.Listener, AutoCloseable {
        @Override
        void close();
    }

    /** A progress counter that is closed after use. */
    public interface Counter extends LongConsumer, AutoCloseable {
        @Override
        void close();
    }

    private final Path output;
    private final List<Cell> cells;
    private final List<Long> seeds;
    private final List<String> baselines;
    private final List<VisionTransformer.Pooling> pools;
    private final int linprobeEpochs;
    private final int finetuneEpochs;
    private final int lpftEpochs;

    /**
     * The grid over {@code orders x targets x decoderDepths} (a depth of 0 keeps the base's); every cell is
     * validated here, before any work.
     */
    public AblationGrid(Path output, PretrainConfig base, List<String> orders, List<String> targets,
            List<Integer> decoderDepths, int linprobeEpochs, int finetuneEpochs) {
        this(output, base, orders, targets, decoderDepths, List.of(), List.of(), List.of(), linprobeEpochs,
                finetuneEpochs, 0);
    }

    /**
     * As above, repeated for every seed of {@code seeds} (empty: the base's seed only, and cell names without a seed
     * suffix), with {@code baselines} rows ({@link #BASELINES}) evaluated once per seed next to the cells. k-NN and
     * the linear probe read each feature of {@code pools} (empty: CLS only); the first gives the columns
     * {@code knn20_top1} and {@code linprobe_top1}, the others {@code knn20_POOL} and {@code linprobe_POOL}.
     * {@code lpftEpochs} > 0 adds the column {@code lpft_top1}: the same short fine-tune, its head first fitted as a
     * linear probe for that many epochs (LP-FT); cells finished without it get it from their last checkpoint.
     */
    public AblationGrid(Path output, PretrainConfig base, List<String> orders, List<String> targets,
            List<Integer> decoderDepths, List<Long> seeds, List<String> baselines, List<VisionTransformer.Pooling> pools,
            int linprobeEpochs, int finetuneEpochs, int lpftEpochs) {
        this.output = output;
        this.pools = pools.isEmpty() ? List.of(VisionTransformer.Pooling.CLS) : List.copyOf(pools);
        if (baselines.contains("scratch") && finetuneEpochs <= 0) {
            throw new IllegalArgumentException("the scratch baseline compares fine-tuning; set the fine-tuning epochs (--finetune-epochs)");
        }
        if (lpftEpochs < 0 || lpftEpochs > 0 && finetuneEpochs <= 0) {
            throw new IllegalArgumentException("LP-FT fits the head for N >= 0 probe epochs before the fine-tune; set"
                    + " the fine-tuning epochs (--finetune-epochs) too");
        }
        this.linprobeEpochs = linprobeEpochs;
        this.finetuneEpochs = finetuneEpochs;
        this.lpftEpochs = lpftEpochs;
        for (String b : baselines) {
            if (!BASELINES.contains(b)) {
                throw new IllegalArgumentException("unknown baseline '" + b + "'; known: " + String.join(", ",
                        BASELINES));
            }
        }
        this.baselines = List.copyOf(baselines);
        this.seeds = seeds.isEmpty() ? List.of(base.run().seed()) : List.copyOf(seeds);
        List<Cell> all = new ArrayList<>();
        for (long seed : this.seeds) {
            for (String order : orders) {
                for (String target : targets) {
                    for (int depth : decoderDepths) {
                        PretrainConfig.Run r = base.run();
                        PretrainConfig c = base.withOrder(new PretrainConfig.Order(order, base.order().similarity(),
                                Orders.byName(order, base.order().similarity()).similarityNeeded() == null ? null
                                        : base.order().orderTeacher()))
                                .withTarget(target(target, base.target()))
                                .withModel(depth > 0 ? withDecoderDepth(base.model(), depth) : base.model())
                                .withRun(new PretrainConfig.Run(seed, r.device(), r.maxSteps(), r.checkpointEvery(),
                                        r.keepLast(), r.logEvery(), r.precision(), r.scheduleSteps()));
                        if (!c.problems().isEmpty()) {
                            throw new IllegalArgumentException(String.join("; ", c.problems()));
                        }
                        String group = order + "_" + cellName(target) + "_d" + c.modelConfig(1).decoderDepth();
                        String name = seeds.isEmpty() ? group : group + "_s" + seed;
                        all.add(new Cell(name, group, order, target, c, seed));
                    }
                }
            }
        }
        this.cells = List.copyOf(all);
    }

    private static PretrainConfig.Model withDecoderDepth(PretrainConfig.Model m, int depth) {
        return new PretrainConfig.Model(m.preset(), m.imageSize(), depth, m.head(), m.dropPath(), m.patchSize(),
                m.width(), m.depth(), m.heads());
    }

    /**
     * {@code pixel}: blurred, per-patch normalised (the reference); {@code pixel-noblur}; {@code pixel-raw};
     * {@code hog}; {@code ema}; {@code teacher:FILE} (CLIP or timm names, told apart by the file's tensors), or
     * {@code clip:FILE}, {@code dino:FILE}, {@code vit:FILE}. Teacher options (heads, normalisation, order source,
     * EMA decay) come from {@code base}.
     */
    static TargetConfig target(String name, TargetConfig base) {
        int colon = name.indexOf(':');
        if (colon > 0) {
            String kind = name.substring(0, colon), file = name.substring(colon + 1);
            if (!java.nio.file.Files.isRegularFile(Path.of(file))) {
                throw new IllegalArgumentException("target " + name + ": " + file + " is not a file");
            }
            TargetKind k;
            try {
                k = kind.equals("teacher") ? TeacherFile.detect(Path.of(file)) : TargetKind.parse(kind);
            } catch (IOException e) {
                throw new IllegalArgumentException("target " + name + ": " + e.getMessage(), e);
            }
            if (!k.needsTeacherFile()) {
                throw new IllegalArgumentException("target " + name + ": " + kind + " takes no file");
            }
            return base.withKind(k, file, 0);
        }
        if (!TARGETS.contains(name)) {
            throw new IllegalArgumentException("unknown target '" + name + "'; known: " + String.join(", ", TARGETS)
                    + ", teacher:FILE (clip:, dino:, vit:FILE)");
        }
        if (name.equals("hog") || name.equals("ema")) {
            return base.withKind(TargetKind.parse(name), null, 0);
        }
        return new TargetConfig(name.equals("pixel") ? 9 : 0, 1.0, !name.equals("pixel-raw"), LossType.L2);
    }

    /** A cell's folder-safe target name: {@code teacher:runs/x/teacher.safetensors} -> {@code teacher-teacher}. */
    static String cellName(String target) {
        int colon = target.indexOf(':');
        if (colon < 0) {
            return target;
        }
        String stem = Path.of(target.substring(colon + 1)).getFileName().toString().replaceFirst("\\.safetensors$", "");
        return target.substring(0, colon) + "-" + stem.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    public List<Cell> cells() {
        return cells;
    }

    /** Runs (or resumes) every cell and evaluates it on {@code eval}; returns one result row per cell. */
    public List<Map<String, Object>> run(EvalData eval, Reporter reporter) throws IOException {
        Torch.init();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long seed : seeds) {
            for (String b : baselines) {
                if (!b.equals("scratch")) {
                    rows.add(baseline(b, seed, eval, reporter));
                    writeTables(rows);
                }
            }
        }
        for (int i = 0; i < cells.size(); i++) {
            Cell cell = cells.get(i);
            reporter.info("=== cell " + (i + 1) + "/" + cells.size() + ": " + cell.name());
            rows.add(runCell(cell, eval, reporter));
            writeTables(rows);
        }
        if (baselines.contains("scratch")) {
            for (long seed : seeds) {
                rows.add(scratch(seed, rows, eval, reporter));
                writeTables(rows);
            }
        }
        reporter.info("ablation table: " + output.resolve("ablation.md"));
        return rows;
    }

    /** A baseline's row name: with the seed suffix when the cells have one. */
    private String baselineName(String kind, long seed) {
        String group = "baseline_" + kind;
        return seeds.size() > 1 || !cells.isEmpty() && !cells.get(0).name().equals(cells.get(0).group())
                ? group + "_s" + seed : group;
    }

    /** A finished row from its {@code result.json}, or null. */
    private static Map<String, Object> done(Path resultFile) throws IOException {
        if (!Files.exists(resultFile)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> done = new Gson().fromJson(Files.readString(resultFile), Map.class);
        return done;
    }

    /**
     * A baseline row: a randomly initialised encoder of the cells' shape (seeded), or raw pixels as features,
     * scored like a cell (k-NN and linear probe).
     */
    private Map<String, Object> baseline(String kind, long seed, EvalData eval, Reporter reporter) throws IOException {
        String name = baselineName(kind, seed);
        Path resultFile = output.resolve("cells").resolve(name).resolve("result.json");
        Map<String, Object> done = done(resultFile);
        if (done != null) {
            return done;
        }
        reporter.info("=== baseline: " + name);
        PretrainConfig c = cells.isEmpty() ? null : cells.get(0).config();
        if (c == null) {
            throw new IllegalArgumentException("baselines need at least one cell (its model shape and image size)");
        }
        int channels = eval.train().channels();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("cell", name);
        row.put("group", "baseline_" + kind);
        row.put("order", "-");
        row.put("target", kind.equals("pixels") ? "raw pixels" : "random encoder");
        row.put("seed", seed);
        if (kind.equals("pixels")) {
            Features.Set[] f = Features.pixels(eval.train(), eval.test(),
                    semaim.data.EvalTransform.standard(c.modelConfig(channels).imageSize(), channels));
            score(row, f, seed, null);
        } else {
            probe(row, pool -> EncoderSource.random(c.modelConfig(channels), seed).build(pool, 0),
                    Torch.device(c.run().device()), eval, seed, reporter);
        }
        Files.createDirectories(resultFile.getParent());
        Files.writeString(resultFile, Json.toJson(row), StandardCharsets.UTF_8);
        reporter.info(name + ": k-NN(20) " + String.format("%.2f", row.get("knn20_top1")) + "%, linear probe "
                + String.format("%.2f", row.get("linprobe_top1")) + "%");
        return row;
    }

    /**
     * The scratch baseline of {@code seed}: a randomly initialised encoder fine-tuned for as long as the first cell of
     * that seed spent pre-training and fine-tuning together (its epochs = that time / the cell's seconds per
     * fine-tuning epoch), so SemAIM and supervised training from scratch are compared at equal total time.
     */
    private Map<String, Object> scratch(long seed, List<Map<String, Object>> rows, EvalData eval, Reporter reporter)
            throws IOException {
        String name = baselineName("scratch", seed);
        Path dir = output.resolve("cells").resolve(name);
        Map<String, Object> ref = rows.stream().filter(r -> r.get("finetune_seconds") != null
                && ((Number) r.get("seed")).longValue() == seed).findFirst().orElseThrow(() ->
                new IllegalStateException("the scratch baseline of seed " + seed + " has no fine-tuned cell to match"));
        double pre = ((Number) ref.get("pretrain_seconds")).doubleValue();
        double ft = ((Number) ref.get("finetune_seconds")).doubleValue();
        // The cell's longer fine-tune (LP-FT adds its probe) counts; an epoch costs what the cell's plain one did.
        double matched = pre + Math.max(ft, ref.get("lpft_seconds") instanceof Number lp ? lp.doubleValue() : 0);
        int epochs = (int) Math.max(finetuneEpochs, Math.round(matched / (ft / finetuneEpochs)));
        Map<String, Object> done = done(dir.resolve("result.json"));
        int doneEpochs = done == null ? 0 : ((Number) done.get("finetune_epochs")).intValue();
        if (doneEpochs == epochs) {
            return done;
        }
        if (done != null) {
            reporter.info(name + " was fine-tuned for " + doneEpochs + " epochs; the time of "
                    + ref.get("cell") + " is now " + epochs + " epochs: fine-tuning it again");
        }
        reporter.info("=== baseline: " + name + ", " + epochs + " fine-tuning epochs from scratch = the "
                + String.format("%.0f", matched) + " s that " + ref.get("cell") + " took");
        PretrainConfig c = cells.get(0).config();
        int channels = eval.train().channels();
        Torch.manualSeed(seed);
        long start = System.nanoTime();
        FineTuner.Result r = finetune(c.modelConfig(channels), null, epochs, 0, dir, name, eval, reporter);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("cell", name);
        row.put("group", "baseline_scratch");
        row.put("order", "-");
        row.put("target", "scratch (fine-tuning only)");
        row.put("seed", seed);
        row.put("finetune_top1", r.bestTop1());
        row.put("finetune_epochs", epochs);
        row.put("matched_cell", ref.get("cell"));
        row.put("matched_seconds", matched);
        row.put("wall_seconds", (System.nanoTime() - start) / 1e9);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("result.json"), Json.toJson(row), StandardCharsets.UTF_8);
        reporter.info(name + ": fine-tuned top-1 " + String.format("%.2f", r.bestTop1()) + "%");
        return row;
    }

    /**
     * k-NN (k = 10, 20, 30) and the linear probe on the features of every pool: {@code encoderFor} builds the
     * encoder for a pool.
     */
    private void probe(Map<String, Object> row, java.util.function.Function<VisionTransformer.Pooling,
            VisionTransformer> encoderFor, Device dev, EvalData eval, long seed, Reporter reporter) throws IOException {
        for (int i = 0; i < pools.size(); i++) {
            VisionTransformer enc = encoderFor.apply(pools.get(i));
            enc.to(dev, false);
            Features.Set[] f;
            try (Counter counter = reporter.features(eval.train().size() + eval.test().size())) {
                f = Protocols.features(enc, eval, dev, 256, counter);
            }
            score(row, f, seed, i == 0 ? null : poolName(pools.get(i)));
        }
    }

    /** The headline columns ({@code suffix} null) or {@code knn20_SUFFIX} and {@code linprobe_SUFFIX}. */
    private void score(Map<String, Object> row, Features.Set[] f, long seed, String suffix) {
        Map<Integer, Knn.Accuracy> knn = Protocols.knn(f, new int[] {10, 20, 30});
        LinearProbe.Result lin = Protocols.linprobe(f, linprobeEpochs, seed);
        if (suffix == null) {
            row.put("knn20_top1", knn.get(20).top1());
            row.put("knn10_top1", knn.get(10).top1());
            row.put("knn30_top1", knn.get(30).top1());
            row.put("linprobe_top1", lin.top1());
        } else {
            row.put("knn20_" + suffix, knn.get(20).top1());
            row.put("linprobe_" + suffix, lin.top1());
        }
    }

    private static String poolName(VisionTransformer.Pooling pool) {
        return pool.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Fine-tunes ({@link FineTuner.Options#shortRun}, mean pooling, drop path 0.1) an encoder of {@code mc} that starts from
     * {@code weights}, or from its random initialisation when null; {@code probeEpochs} > 0: LP-FT.
     */
    private FineTuner.Result finetune(ModelConfig mc, Map<String, org.bytedeco.pytorch.Tensor> weights,
            int epochs, int probeEpochs, Path dir, String name, EvalData eval, Reporter reporter) throws IOException {
        Device dev = Torch.device(cells.get(0).config().run().device());
        EncoderSource source = weights != null ? EncoderSource.of(mc, weights, name) : EncoderSource.fromGenerator(mc);
        VisionTransformer ft = source.withDropPath(0.1).build(VisionTransformer.Pooling.MEAN,
                Math.max(eval.train().classNames().size(), 2));
        ft.to(dev, false);
        FineTuner.Options o = FineTuner.Options.shortRun(epochs, Math.min(64, eval.train().size()))
                .withProbeEpochs(probeEpochs);
        String what = probeEpochs > 0 ? " LP-FT epoch " : " fine-tune epoch ";
        return FineTuner.run(ft, eval.train(), eval.test(), o, dev, dir,
                Provenance.of(eval.train().description(), eval.train().size()),
                (epoch, top1, top5, loss) -> reporter.info(name + what + epoch + ": top-1 "
                        + String.format("%.2f", top1) + "%"));
    }

    /**
     * The fine-tuning columns {@code row} lacks: {@code finetune_top1} (the short fine-tune; weights in the cell folder)
     * and, with LP-FT on, {@code lpft_top1} (weights in {@code lpft/}), each with its seconds.
     */
    private void finetuneColumns(Map<String, Object> row, Cell cell, Map<String, org.bytedeco.pytorch.Tensor> weights,
            Path dir, EvalData eval, Reporter reporter) throws IOException {
        if (finetuneEpochs > 0 && !row.containsKey("finetune_top1")) {
            finetuneColumn(row, "finetune", 0, cell, weights, dir, eval, reporter);
        }
        if (lpftEpochs > 0 && !row.containsKey("lpft_top1")) {
            finetuneColumn(row, "lpft", lpftEpochs, cell, weights, Files.createDirectories(dir.resolve("lpft")), eval,
                    reporter);
            row.put("lpft_probe_epochs", lpftEpochs);
        }
    }

    /** {@code PREFIX_top1} and {@code PREFIX_seconds}: the cell's short fine-tune, LP-FT when probeEpochs > 0. */
    private void finetuneColumn(Map<String, Object> row, String prefix, int probeEpochs, Cell cell,
            Map<String, org.bytedeco.pytorch.Tensor> weights, Path dir, EvalData eval, Reporter reporter)
            throws IOException {
        long start = System.nanoTime();
        Torch.manualSeed(cell.seed());
        FineTuner.Result r = finetune(cell.config().modelConfig(eval.train().channels()), weights, finetuneEpochs,
                probeEpochs, dir, cell.name(), eval, reporter);
        row.put(prefix + "_top1", r.bestTop1());
        row.put(prefix + "_seconds", (System.nanoTime() - start) / 1e9);
    }

    private Map<String, Object> runCell(Cell cell, EvalData eval, Reporter reporter) throws IOException {
        Path dir = output.resolve("cells").resolve(cell.name());
        Path resultFile = dir.resolve("result.json");
        Map<String, Object> done = done(resultFile);
        if (done != null && (lpftEpochs == 0 || done.containsKey("lpft_top1"))) {
            reporter.info(cell.name() + " is done; skipping");
            return done;
        }
        PretrainConfig c = cell.config();
        int channels = eval.train().channels();
        if (done != null) {   // finished before LP-FT was asked for: only that is missing
            Path last = CheckpointFolders.latestValid(dir.resolve(CheckpointFolders.CHECKPOINTS), reporter::info)
                    .orElseThrow(() -> new IOException(cell.name() + " has a result but no checkpoint to fine-tune"));
            finetuneColumns(done, cell, SafeTensors.read(last.resolve(CheckpointFolders.MODEL)).tensors(), dir, eval,
                    reporter);
            Files.writeString(resultFile, Json.toJson(done), StandardCharsets.UTF_8);
            return done;
        }
        long seed = c.run().seed();
        Optional<Path> resume = CheckpointFolders.latestValid(dir.resolve(CheckpointFolders.CHECKPOINTS),
                reporter::info);
        long start = System.nanoTime();
        Pretrainer.Result pre;
        try (Pretraining progress = reporter.pretraining(cell)) {
            pre = new Pretrainer(c, dir, resume.orElse(null)).run(() -> false, progress);
        }
        Path weightsFile = pre.lastCheckpoint().resolve(CheckpointFolders.MODEL);
        SafeTensors.Contents weights = SafeTensors.read(weightsFile);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("cell", cell.name());
        row.put("group", cell.group());
        row.put("seed", cell.seed());
        row.put("order", cell.order());
        row.put("target", cell.target());
        row.put("decoder_depth", c.modelConfig(1).decoderDepth());
        row.put("pretrain_steps", pre.steps());
        // A cell resumed from its last checkpoint trains no step here: its loss is in the log.
        row.put("final_loss", Double.isNaN(pre.lastLoss()) ? MetricsLog.last(dir.resolve("metrics.jsonl"),
                "loss") : pre.lastLoss());
        // Over every session of a resumed cell (pre.seconds() is this process's only), for the scratch baseline.
        row.put("pretrain_seconds", Math.max(pre.seconds(), MetricsLog.trainingSeconds(
                dir.resolve("metrics.jsonl"))));
        probe(row, pool -> EncoderSource.of(c.modelConfig(channels), weights.tensors(), cell.name()).build(pool, 0),
                Torch.device(c.run().device()), eval, seed, reporter);
        finetuneColumns(row, cell, weights.tensors(), dir, eval, reporter);
        row.put("wall_seconds", (System.nanoTime() - start) / 1e9);
        row.put("checkpoint", pre.lastCheckpoint().toString());
        row.put("checkpoint_sha256", CheckpointFolders.sha256(weightsFile));
        row.put("eval_train", eval.train().description());
        row.put("eval_test", eval.test().description());
        row.put("provenance", Provenance.of(eval.train().description(), eval.train().size()));
        Files.writeString(resultFile, Json.toJson(row), StandardCharsets.UTF_8);
        reporter.info(cell.name() + ": k-NN(20) " + String.format("%.2f", row.get("knn20_top1"))
                + "%, linear probe " + String.format("%.2f", row.get("linprobe_top1")) + "%");
        return row;
    }

    /** The score columns of the tables: the headline k-NN and linear probe, other pools', fine-tuning. */
    private List<String> metricColumns() {
        List<String> cols = new ArrayList<>(List.of("knn20_top1", "linprobe_top1"));
        for (VisionTransformer.Pooling pool : pools.subList(1, pools.size())) {
            cols.add("knn20_" + poolName(pool));
            cols.add("linprobe_" + poolName(pool));
        }
        if (finetuneEpochs > 0) {
            cols.add("finetune_top1");
        }
        if (lpftEpochs > 0) {
            cols.add("lpft_top1");
        }
        return cols;
    }

    private void writeTables(List<Map<String, Object>> rows) throws IOException {
        List<String> metrics = metricColumns();
        List<String> cols = new ArrayList<>(List.of("cell", "order", "target", "decoder_depth", "pretrain_steps",
                "pretrain_seconds", "final_loss"));
        cols.addAll(metrics);
        StringBuilder md = new StringBuilder("| " + String.join(" | ", cols) + " |\n|"
                + "---|".repeat(cols.size()) + "\n");
        StringBuilder csv = new StringBuilder(String.join(",", cols) + "\n");
        Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            List<String> values = new ArrayList<>();
            for (String col : cols) {
                Object v = r.get(col);
                values.add(v == null ? "-" : v instanceof Number d && !(v instanceof Long) ? (col.equals("pretrain_steps")
                        || col.equals("decoder_depth") ? Long.toString(Math.round(d.doubleValue()))
                        : String.format("%.4g", d.doubleValue())) : String.valueOf(v));
            }
            md.append("| ").append(String.join(" | ", values)).append(" |\n");
            csv.append(String.join(",", values)).append('\n');
            for (String m : metrics) {
                if (r.get(m) instanceof Number v) {
                    chart.computeIfAbsent(label(m), k -> new LinkedHashMap<>()).put((String) r.get("cell"),
                            v.doubleValue());
                }
            }
        }
        Files.createDirectories(output);
        md.append(summary(rows, metrics));
        Files.writeString(output.resolve("ablation.md"), md.toString(), StandardCharsets.UTF_8);
        Files.writeString(output.resolve("ablation.csv"), csv.toString(), StandardCharsets.UTF_8);
        Charts.bars(output.resolve("ablation.png"), "SemAIM ablation", "top-1 accuracy (%)", chart, 900, 500);
    }

    /** A metric column's name in the chart and the summary: {@code knn20_mean} -> {@code k-NN k=20 (mean)}. */
    static String label(String column) {
        String kind = column.startsWith("knn20_") ? "k-NN k=20" : column.startsWith("linprobe_") ? "linear probe"
                : column.startsWith("finetune_") ? "fine-tune" : column.startsWith("lpft_") ? "LP-FT" : column;
        String pool = column.substring(column.indexOf('_') + 1);
        return pool.equals("top1") ? kind : kind + " (" + pool + ")";
    }

    /** As {@link #summary(List, List)} for k-NN (k = 20) and the linear probe. */
    static String summary(List<Map<String, Object>> rows) {
        return summary(rows, List.of("knn20_top1", "linprobe_top1"));
    }

    /**
     * Mean and spread (min-max) of each column of {@code metrics} over the seeds of each group, when some group has
     * more than one seed; else nothing. A group without a column shows '-'.
     */
    static String summary(List<Map<String, Object>> rows, List<String> metrics) {
        Map<String, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            Object g = r.get("group");
            groups.computeIfAbsent(g == null ? String.valueOf(r.get("cell")) : String.valueOf(g),
                    k -> new ArrayList<>()).add(r);
        }
        if (groups.values().stream().allMatch(l -> l.size() < 2)) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n| group | seeds |");
        for (String m : metrics) {
            md.append(' ').append(label(m)).append(" mean | spread |");
        }
        md.append("\n|---|---|").append("---|---|".repeat(metrics.size())).append('\n');
        for (Map.Entry<String, List<Map<String, Object>>> e : groups.entrySet()) {
            md.append("| ").append(e.getKey()).append(" | ").append(e.getValue().size()).append(" |");
            for (String m : metrics) {
                double[] v = e.getValue().stream().filter(r -> r.get(m) instanceof Number)
                        .mapToDouble(r -> ((Number) r.get(m)).doubleValue()).toArray();
                md.append(v.length == 0 ? " - | - |" : String.format(java.util.Locale.ROOT, " %.2f | %.2f-%.2f |",
                        mean(v), min(v), max(v)));
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static double mean(double[] v) {
        return java.util.Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static double min(double[] v) {
        return java.util.Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return java.util.Arrays.stream(v).max().orElse(Double.NaN);
    }
}
