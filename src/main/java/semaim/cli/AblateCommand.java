package semaim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.gson.Gson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.eval.EncoderCheckpoint;
import semaim.eval.EvalData;
import semaim.eval.FineTuner;
import semaim.eval.Features;
import semaim.eval.Knn;
import semaim.eval.LinearProbe;
import semaim.eval.Protocols;
import semaim.io.SafeTensors;
import semaim.model.VisionTransformer;
import semaim.target.LossType;
import semaim.torch.Torch;
import semaim.train.Checkpoint;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.train.Provenance;
import semaim.viz.Charts;

/**
 * {@code semaim ablate}: the paper's ablations (Table 1 orders, Table 2 targets, Table 3 decoder depth) at one
 * budget on your data. Each cell is pre-trained, then evaluated by k-NN and a linear probe (fine-tuning optional).
 * A half-done grid resumes: finished cells are skipped and an interrupted pre-training continues from its newest
 * checkpoint.
 */
@Command(name = "ablate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a grid of pre-training configurations (orders x targets x decoder depths) at one budget, "
                + "evaluate each with k-NN and a linear probe, and write ablation.md, ablation.csv and ablation.png.",
            "Targets: pixel (Gaussian-blurred, per-patch normalised, the reference), pixel-noblur, pixel-raw. "
                    + "The paper's DINO and CLIP feature targets need teacher weights and are not available."})
public final class AblateCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--orders", split = ",", defaultValue = "semantic,stochastic,raster") List<String> orders;
    @Option(names = "--targets", split = ",", defaultValue = "pixel") List<String> targets;
    @Option(names = "--decoder-depths", split = ",", description = "Default: the model preset's.") List<Integer> decoderDepths;
    @Option(names = "--output", paramLabel = "DIR", required = true, description = "Grid folder (re-run to resume).") Path output;

    @Option(names = "--data", description = "Pre-training data (default: embedded Fashion-MNIST subset).") String data;
    @Option(names = "--channels", defaultValue = "1") int channels;
    @Option(names = "--model", defaultValue = "vit_nano_patch4_28") String model;
    @Option(names = "--image-size", defaultValue = "0") int imageSize;
    @Option(names = "--epochs", defaultValue = "10", description = "Pre-training budget per cell.") int epochs;
    @Option(names = "--max-steps", defaultValue = "0") long maxSteps;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--blr", defaultValue = "4e-3") double blr;
    @Option(names = "--warmup-epochs", defaultValue = "1") double warmupEpochs;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--workers", defaultValue = "2") int workers;

    @Option(names = "--eval-data", description = "Folder with train/ and val/ for evaluation.") String evalData;
    @Option(names = "--train", description = "Evaluation training split (IDX file or folder).") String train;
    @Option(names = "--test", description = "Evaluation held-out split (IDX file or folder).") String test;
    @Option(names = "--train-limit", defaultValue = "0") int trainLimit;
    @Option(names = "--test-limit", defaultValue = "0") int testLimit;
    @Option(names = "--linprobe-epochs", defaultValue = "30") int linprobeEpochs;
    @Option(names = "--finetune-epochs", defaultValue = "0", description = "0 = no fine-tuning.") int finetuneEpochs;

    @Override
    public Integer call() {
        return CommandErrors.guard("ablate", () -> {
            Torch.init();
            List<Map<String, Object>> rows = new ArrayList<>();
            List<Integer> depths = decoderDepths != null ? decoderDepths : List.of(0);
            List<PretrainConfig> cells = new ArrayList<>();
            for (String order : orders) {
                for (String target : targets) {
                    for (int depth : depths) {
                        cells.add(cellConfig(order, target, depth));
                    }
                }
            }
            for (PretrainConfig c : cells) {   // validate the whole grid before any work
                if (!c.problems().isEmpty()) {
                    throw new IllegalArgumentException(String.join("; ", c.problems()));
                }
            }
            EvalData eval = EvalData.open(evalData, train, test, channels, trainLimit, testLimit);
            int i = 0;
            for (String order : orders) {
                for (String target : targets) {
                    for (int depth : depths) {
                        PretrainConfig c = cells.get(i++);
                        String name = order + "_" + target + "_d" + (depth > 0 ? depth : c.modelConfig(1).decoderDepth());
                        LOG.info("=== cell {}/{}: {}", i, cells.size(), name);
                        rows.add(runCell(name, c, order, target, eval));
                        writeTables(rows);
                    }
                }
            }
            LOG.info("ablation table: {}", output.resolve("ablation.md"));
            return ExitCodes.OK;
        });
    }

    private PretrainConfig cellConfig(String order, String target, int depth) {
        PretrainConfig b = PretrainConfig.cpuDefault();
        int blurKernel = target.equals("pixel") ? 9 : 0;
        boolean normPix = !target.equals("pixel-raw");
        if (!List.of("pixel", "pixel-noblur", "pixel-raw").contains(target)) {
            throw new IllegalArgumentException("unknown target '" + target + "'; known: pixel, pixel-noblur, pixel-raw"
                    + " (DINO/CLIP feature targets need teacher weights)");
        }
        return new PretrainConfig(data, channels, false, b.cropScaleMin(), b.cropScaleMax(), b.cropRatioMin(),
                b.cropRatioMax(), b.flipProb(), null, null, workers, b.prefetch(), model, imageSize, depth, b.head(),
                0.0, blurKernel, 1.0, normPix, LossType.L2, order, b.similarity(), epochs, batchSize, 1, blr, 0.0,
                warmupEpochs, b.weightDecay(), b.beta1(), b.beta2(), b.eps(), b.clipGrad(), maxSteps, seed, device,
                0, 2, 20);
    }

    private Map<String, Object> runCell(String name, PretrainConfig c, String order, String target, EvalData eval)
            throws IOException {
        Path dir = output.resolve("cells").resolve(name);
        Path resultFile = dir.resolve("result.json");
        if (Files.exists(resultFile)) {
            LOG.info("{} is done; skipping", name);
            @SuppressWarnings("unchecked")
            Map<String, Object> done = new Gson().fromJson(Files.readString(resultFile), Map.class);
            return done;
        }
        Optional<Path> resume = Checkpoint.latestValid(dir.resolve("checkpoints"), LOG::warn);
        long start = System.nanoTime();
        Pretrainer.Result pre;
        try (ConsoleProgress progress = new ConsoleProgress(c.logEvery(), c.epochs())) {
            pre = new Pretrainer(c, dir, resume.orElse(null)).run(() -> false, progress);
        }
        SafeTensors.Contents weights = SafeTensors.read(pre.lastCheckpoint().resolve(Checkpoint.MODEL));
        var dev = Torch.device(device);
        VisionTransformer enc = new VisionTransformer(c.modelConfig(eval.train().channels()),
                VisionTransformer.Pooling.CLS, 0);
        enc.loadEncoder(weights.tensors(), name);
        enc.to(dev, false);
        Features.Set[] f;
        try (Bar bar = new Bar("features", eval.train().size() + eval.test().size())) {
            f = Protocols.features(enc, eval, dev, 256, n -> bar.stepTo(n, null));
        }
        Map<Integer, Knn.Accuracy> knn = Protocols.knn(f, new int[] {10, 20, 30});
        LinearProbe.Result lin = Protocols.linprobe(f, linprobeEpochs, seed);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("cell", name);
        row.put("order", order);
        row.put("target", target);
        row.put("decoder_depth", c.modelConfig(1).decoderDepth());
        row.put("pretrain_steps", pre.steps());
        row.put("final_loss", pre.lastLoss());
        row.put("knn20_top1", knn.get(20).top1());
        row.put("knn10_top1", knn.get(10).top1());
        row.put("knn30_top1", knn.get(30).top1());
        row.put("linprobe_top1", lin.top1());
        if (finetuneEpochs > 0) {
            VisionTransformer ft = new VisionTransformer(c.modelConfig(eval.train().channels()).withDropPath(0.1),
                    VisionTransformer.Pooling.MEAN, Math.max(eval.train().classNames().size(), 2));
            ft.loadEncoder(weights.tensors(), name);
            ft.to(dev, false);
            FineTuner.Result r = FineTuner.run(ft, eval.train(), eval.test(),
                    FineTuner.Options.reference(finetuneEpochs, 64), dev, dir, Provenance.of(eval.train().description(),
                            eval.train().size()), new FineTuner.Listener() {
                                @Override
                                public void started(int totalSteps) { }

                                @Override
                                public void step(int step, double loss, double lr) { }

                                @Override
                                public void epoch(int epoch, double top1, double top5, double loss) {
                                    LOG.info("{} fine-tune epoch {}: top-1 {}%", name, epoch, String.format("%.2f", top1));
                                }
                            });
            row.put("finetune_top1", r.bestTop1());
        }
        row.put("wall_seconds", (System.nanoTime() - start) / 1e9);
        row.put("checkpoint", pre.lastCheckpoint().toString());
        row.put("checkpoint_sha256", EncoderCheckpoint.sha256(pre.lastCheckpoint().resolve(Checkpoint.MODEL)));
        row.put("eval_train", eval.train().description());
        row.put("eval_test", eval.test().description());
        row.put("provenance", Provenance.of(eval.train().description(), eval.train().size()));
        Files.writeString(resultFile, Checkpoint.toJson(row), StandardCharsets.UTF_8);
        LOG.info("{}: k-NN(20) {}%, linear probe {}%", name, String.format("%.2f", knn.get(20).top1()),
                String.format("%.2f", lin.top1()));
        return row;
    }

    private void writeTables(List<Map<String, Object>> rows) throws IOException {
        List<String> cols = new ArrayList<>(List.of("cell", "order", "target", "decoder_depth", "pretrain_steps",
                "final_loss", "knn20_top1", "linprobe_top1"));
        if (finetuneEpochs > 0) {
            cols.add("finetune_top1");
        }
        StringBuilder md = new StringBuilder("| " + String.join(" | ", cols) + " |\n|"
                + "---|".repeat(cols.size()) + "\n");
        StringBuilder csv = new StringBuilder(String.join(",", cols) + "\n");
        Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            List<String> cells = new ArrayList<>();
            for (String col : cols) {
                Object v = r.get(col);
                cells.add(v instanceof Double d ? (col.equals("pretrain_steps") || col.equals("decoder_depth")
                        ? Long.toString(Math.round(d)) : String.format("%.4g", d)) : String.valueOf(v));
            }
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
            csv.append(String.join(",", cells)).append('\n');
            chart.computeIfAbsent("k-NN (k=20)", k -> new LinkedHashMap<>()).put((String) r.get("cell"),
                    ((Number) r.get("knn20_top1")).doubleValue());
            chart.computeIfAbsent("linear probe", k -> new LinkedHashMap<>()).put((String) r.get("cell"),
                    ((Number) r.get("linprobe_top1")).doubleValue());
            if (r.get("finetune_top1") != null) {
                chart.computeIfAbsent("fine-tune", k -> new LinkedHashMap<>()).put((String) r.get("cell"),
                        ((Number) r.get("finetune_top1")).doubleValue());
            }
        }
        Files.createDirectories(output);
        Files.writeString(output.resolve("ablation.md"), md.toString(), StandardCharsets.UTF_8);
        Files.writeString(output.resolve("ablation.csv"), csv.toString(), StandardCharsets.UTF_8);
        Charts.bars(output.resolve("ablation.png"), "SemAIM ablation", "top-1 accuracy (%)", chart, 900, 500);
    }
}
