package semaim.cli;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.data.CocoDetections;
import semaim.data.DecodedImage;
import semaim.eval.EncoderSource;
import semaim.eval.detection.CocoBoxEval;
import semaim.eval.detection.Detection;
import semaim.io.Json;
import semaim.io.Provenance;
import semaim.model.VisionTransformer;
import semaim.torch.Precision;
import semaim.torch.Torch;
import semaim.viz.BoxPanels;
import semaim.viz.ColorMap;
import semaim.viz.Panels;

/** {@code semaim detect}: object detection (simple feature pyramid + FCOS head) on a SemAIM encoder, COCO box mAP. */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train and score an object detector on a dataset in COCO's layout (annotations/instances_"
                + "{train,val}*.json and the image folders they name): ViTDet's simple feature pyramid from the"
                + " encoder's last block and an FCOS head, the encoder fine-tuned with layer-wise lr decay (or frozen:"
                + " --freeze-encoder). Reports COCO box mAP (AP, AP50, AP75, APs/APm/APl) as JSON with provenance, and"
                + " draws true and predicted boxes on six held-out images.",
            "make-detdata writes a synthetic set in that layout from Fashion-MNIST to try it on."},
        footer = {"", "Example: semaim make-detdata --output det/ && semaim detect --data det/ --checkpoint runs/my-run"
                + " --image-size 56"})
public final class DetectCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");
    /** Boxes drawn in the figure: those scoring at least this (COCO scores every box; a figure shows the sure ones). */
    static final double DRAW_SCORE = 0.3;

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "Dataset root in COCO's layout.")
    Path data;
    @Option(names = "--train-split", defaultValue = "train", description = "Default: ${DEFAULT-VALUE} (instances_train*.json).") String trainSplit;
    @Option(names = "--val-split", defaultValue = "val", description = "Default: ${DEFAULT-VALUE} (instances_val*.json).") String valSplit;
    @Option(names = "--checkpoint", paramLabel = "PATH", description = "Pre-training checkpoint (default: a random encoder of --model).")
    Path checkpoint;
    @Option(names = "--model", defaultValue = "vit_nano_patch4_28", description = "Preset of a random encoder. Default: ${DEFAULT-VALUE}.")
    String model;
    @Option(names = "--image-size", description = "Input side in pixels, a multiple of the patch (default: the encoder's); images are letterboxed into it and a checkpoint's position embedding resampled.")
    Integer imageSize;
    @Option(names = "--channels", defaultValue = "1", description = "1 or 3 (a checkpoint decides for itself). Default: ${DEFAULT-VALUE}.") int channels;
    @Option(names = "--freeze-encoder", description = "Train only the pyramid and the head on a frozen encoder.") boolean freezeEncoder;
    @Option(names = "--epochs", defaultValue = "12") int epochs;
    @Option(names = "--batch-size", defaultValue = "16") int batchSize;
    @Option(names = "--blr", defaultValue = "1e-3", description = "lr = blr x batch / 256. Default: ${DEFAULT-VALUE}.") double blr;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "Default: ${DEFAULT-VALUE} (ViTDet's).") double weightDecay;
    @Option(names = "--layer-decay", defaultValue = "0.7", description = "Layer-wise lr decay of the encoder. Default: ${DEFAULT-VALUE} (ViTDet's for ViT-B).") double layerDecay;
    @Option(names = "--drop-path", defaultValue = "0.0", description = "Stochastic depth of the fine-tuned encoder. Default: ${DEFAULT-VALUE}.") double dropPath;
    @Option(names = "--warmup-epochs", defaultValue = "1") double warmupEpochs;
    @Option(names = "--pyramid-channels", defaultValue = "64", description = "Width of the pyramid and the head. Default: ${DEFAULT-VALUE}.") int pyramidChannels;
    @Option(names = "--precision", defaultValue = "auto", description = "fp32, bf16, or auto (bf16 where the CPU or GPU runs it natively). Default: ${DEFAULT-VALUE}.") String precision;
    @Option(names = "--validate-every", defaultValue = "0", description = "Also score the held-out split every N epochs (0: after the last only).") int validateEvery;
    @Option(names = "--train-limit", defaultValue = "0") int trainLimit;
    @Option(names = "--val-limit", defaultValue = "0") int valLimit;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--output", paramLabel = "FILE", description = "Result JSON (default results/detect-<date-time>.json); the box figure goes next to it (.png).") Path output;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Where a checkpoint is written after every epoch (default: <output>-checkpoints).") Path checkpointDir;
    @Option(names = "--resume", description = "Continue from the newest checkpoint in --checkpoint-dir (start afresh when there is none).") boolean resume;
    @Option(names = "--save", paramLabel = "FILE", description = "Also save the trained detector (.safetensors), for visualize --detector.") Path save;

    @Override
    public Integer call() {
        return CommandErrors.guard("detect", () -> {
            long t0 = System.nanoTime();
            Torch.init();
            Path out = output != null ? output : Path.of("results", "detect-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
            Files.createDirectories(out.toAbsolutePath().getParent());
            Path ckDir = checkpointDir != null ? checkpointDir : out.resolveSibling(stem(out) + "-checkpoints");
            refuseStaleCheckpoints(ckDir);
            var dev = Torch.device(device);
            Precision p = resolve(Precision.parse(precision), dev);
            EncoderSource source = EncoderSource.openOrRandom(checkpoint, model, channels, null, seed)
                    .withDropPath(dropPath);
            source = imageSize != null ? source.atImageSize(imageSize) : source;
            channels = source.channels();
            VisionTransformer enc = source.build(VisionTransformer.Pooling.CLS, 0);
            enc.to(dev, false);
            CocoDetections train = CocoDetections.open(data, trainSplit).first(trainLimit);
            CocoDetections val = CocoDetections.open(data, valSplit).first(valLimit);
            LOG.info("train: {}; validation: {}; {} categories; input {} px, encoder {}, {}", train.description(),
                    val.description(), train.categories().size(), enc.config().imageSize(), freezeEncoder ? "frozen"
                    : "fine-tuned (layer decay " + layerDecay + ")", p.name().toLowerCase(java.util.Locale.ROOT));
            Detection.Options o = new Detection.Options(epochs, Math.min(batchSize, train.images().size()), blr,
                    weightDecay, layerDecay, warmupEpochs, freezeEncoder, pyramidChannels, p, seed);
            Detection.Result r;
            try (Bar bar = new Bar("detect", epochs)) {
                r = Detection.run(enc, train, val, o, new Detection.Checkpoints(ckDir, resume, LOG::warn), dev,
                        validateEvery, e -> bar.stepTo(e, null));
            }
            LOG.info("COCO box mAP on {}:\n{}", val.description(), r.coco().summary());
            Path figure = out.resolveSibling(stem(out) + ".png");
            drawBoxes(val, r, figure);
            Map<String, Object> res = result(r, o, source, train, val, figure, t0);
            if (save != null) {
                r.detector().save(save, Provenance.of(train.description(), train.images().size()));
                res.put("detector", save.toString());
                LOG.info("detector: {}", save);
            }
            Files.writeString(out, Json.toJson(res), StandardCharsets.UTF_8);
            LOG.info("result: {} (boxes: {}; checkpoints: {})", out, figure, ckDir);
            return ExitCodes.OK;
        });
    }

    /** A checkpoint folder of an earlier run is continued only when asked: never silently overwritten or mixed. */
    private void refuseStaleCheckpoints(Path dir) throws java.io.IOException {
        if (!resume && !semaim.io.CheckpointFolders.list(dir).isEmpty()) {
            throw new IllegalArgumentException(dir + " holds checkpoints of an earlier run: pass --resume to continue"
                    + " it, or choose another --checkpoint-dir");
        }
    }

    /** AUTO: bf16 where it runs natively (a GPU, or a CPU with bf16 instructions), else fp32; fp16 is not offered. */
    private static Precision resolve(Precision p, org.bytedeco.pytorch.Device dev) {
        if (p == Precision.AUTO) {
            return dev.is_cuda() ? Precision.BF16 : Precision.AUTO.resolve(dev);
        }
        if (p == Precision.FP16) {
            throw new IllegalArgumentException("detect trains in fp32 or bf16 (--precision fp32|bf16|auto), not fp16");
        }
        return p;
    }

    private static String stem(Path file) {
        return file.getFileName().toString().replaceFirst("\\.json$", "");
    }

    /** The result file's contents: COCO's numbers, the history, settings, encoder and data provenance. */
    private Map<String, Object> result(Detection.Result r, Detection.Options o, EncoderSource source,
            CocoDetections train, CocoDetections val, Path figure, long t0) {
        double[] s = r.coco().stats();
        String[] names = {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            metrics.put(names[i], s[i] < 0 ? -1 : 100 * s[i]);   // percent, as papers print them; -1: undefined, as COCO
        }
        metrics.put("coco_summary", List.of(r.coco().summary().split("\n")));
        metrics.put("history_epoch_loss_ap", r.history());
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("image_size", r.detector().imageSize(),
                "drop_path", dropPath));
        settings.putAll(o.settings());
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("command", "detect");
        res.put("metrics", metrics);
        res.put("settings", settings);
        res.put("encoder", source.provenance());
        res.put("train_data", train.description());
        res.put("val_data", val.description());
        res.put("categories", train.categories());
        res.put("boxes_figure", figure.toString());
        res.put("resumed_from_epoch", r.resumedFrom());
        res.put("seed", seed);
        res.put("wall_seconds", (System.nanoTime() - t0) / 1e9);
        res.put("provenance", Provenance.of(train.description(), train.images().size()));
        return res;
    }

    /** The first six held-out images: true boxes, then predicted boxes scoring at least {@link #DRAW_SCORE}. */
    private void drawBoxes(CocoDetections val, Detection.Result r, Path file) throws java.io.IOException {
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Map<Integer, String> categories = val.categories();
        List<Integer> ids = new ArrayList<>(categories.keySet());
        for (int i = 0; i < Math.min(6, val.images().size()); i++) {
            CocoDetections.Image meta = val.images().get(i);
            DecodedImage img = val.load(meta, channels);
            List<BoxPanels.Box> truth = new ArrayList<>(), predicted = new ArrayList<>();
            for (CocoDetections.Annotation a : val.annotations(meta.id())) {
                double[] b = a.bbox();
                truth.add(new BoxPanels.Box(b[0], b[1], b[0] + b[2], b[1] + b[3], colour(a.categoryId(), ids),
                        categories.get(a.categoryId())));
            }
            for (CocoBoxEval.Detection d : r.detections().get(i)) {
                if (d.score() >= DRAW_SCORE) {
                    CocoBoxEval.Box b = d.box();
                    predicted.add(new BoxPanels.Box(b.x(), b.y(), b.x() + b.w(), b.y() + b.h(), colour(d.categoryId(),
                            ids), categories.get(d.categoryId()) + String.format(" %.2f", d.score())));
                }
            }
            rows.add(List.of(BoxPanels.draw(img.chw(), img.channels(), img.width(), img.height(), 224, truth),
                    BoxPanels.draw(img.chw(), img.channels(), img.width(), img.height(), 224, predicted)));
            names.add(meta.fileName());
        }
        ImageIO.write(Panels.grid(rows, List.of("truth", "prediction (score >= " + DRAW_SCORE + ")"), names), "png",
                file.toFile());
    }

    private static float[] colour(int categoryId, List<Integer> ids) {
        return ColorMap.category(Math.max(0, ids.indexOf(categoryId)), ids.size());
    }
}
