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
import semaim.data.DecodedImage;
import semaim.data.SegmentationSet;
import semaim.eval.EncoderSource;
import semaim.eval.Segmentation;
import semaim.io.Json;
import semaim.io.Provenance;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;
import semaim.viz.ColorMap;
import semaim.viz.Panels;

/** {@code semaim segment}: semantic segmentation with a linear head or a light decoder on the encoder's patches. */
@Command(name = "segment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train and score a segmentation head on a dataset in ADE20K's layout (images/{training,validation}"
                + "/*.jpg, annotations/{training,validation}/*.png with class ids, 0 = ignore): --head linear (frozen"
                + " encoder, one linear layer per patch, DINOv2's probe) or decoder (progressive upsampling, encoder"
                + " fine-tuned with layer decay). Reports mIoU and pixel accuracy next to the most-frequent-class"
                + " baseline, as JSON with provenance, and draws input / truth / prediction for six held-out images.",
            "make-segdata writes a synthetic set in that layout from Fashion-MNIST to try it on."},
        footer = {"", "Example: semaim make-segdata --output seg/ && semaim segment --data seg/ --checkpoint runs/my-run"})
public final class SegmentCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "Dataset root in ADE20K's layout.")
    Path data;

    @Option(names = "--checkpoint", paramLabel = "PATH", description = "Pre-training checkpoint (default: a random encoder of --model).")
    Path checkpoint;

    @Option(names = "--model", defaultValue = "vit_nano_patch4_28", description = "Preset of a random encoder. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--image-size", description = "Input size of a random encoder (default: the preset's).") Integer imageSize;
    @Option(names = "--channels", defaultValue = "1", description = "1 or 3 (a checkpoint decides for itself). Default: ${DEFAULT-VALUE}.") int channels;
    @Option(names = "--head", defaultValue = "LINEAR", description = "linear or decoder. Default: ${DEFAULT-VALUE}.") Segmentation.Head head;
    @Option(names = "--classes", description = "Classes K (mask values 1..K; default: the largest value in the training masks).") Integer classes;
    @Option(names = "--epochs", defaultValue = "20") int epochs;
    @Option(names = "--batch-size", defaultValue = "32") int batchSize;
    @Option(names = "--blr", defaultValue = "0.1", description = "lr = blr x batch / 256. Default: ${DEFAULT-VALUE}.") double blr;
    @Option(names = "--weight-decay", defaultValue = "0.05") double weightDecay;
    @Option(names = "--layer-decay", defaultValue = "0.65", description = "Decoder head: layer-wise lr decay of the encoder. Default: ${DEFAULT-VALUE}.") double layerDecay;
    @Option(names = "--warmup-epochs", defaultValue = "1") double warmupEpochs;
    @Option(names = "--resize-masks", description = "Resize a mask whose size differs from its image's (nearest neighbour) instead of stopping.") boolean resizeMasks;
    @Option(names = "--train-limit", defaultValue = "0") int trainLimit;
    @Option(names = "--val-limit", defaultValue = "0") int valLimit;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--output", paramLabel = "FILE", description = "Result JSON (default results/segment-<date-time>.json); the mask figure goes next to it (.png).") Path output;
    @Option(names = "--save", paramLabel = "FILE", description = "Also save the trained encoder + head (.safetensors), for visualize --segmenter.") Path save;

    @Override
    public Integer call() {
        return CommandErrors.guard("segment", () -> {
            long t0 = System.nanoTime();
            Torch.init();
            Path out = output != null ? output : Path.of("results", "segment-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
            Files.createDirectories(out.toAbsolutePath().getParent());
            // Segmentation.run seeds the head itself: the encoder's seeding changes no number here
            EncoderSource source = EncoderSource.openOrRandom(checkpoint, model, channels, imageSize, seed);
            channels = source.channels();
            VisionTransformer enc = source.build(VisionTransformer.Pooling.CLS, 0);
            Map<String, Object> encoderInfo = source.provenance();
            var dev = Torch.device(device);
            enc.to(dev, false);
            SegmentationSet train = SegmentationSet.open(data, "training", channels, trainLimit);
            SegmentationSet val = SegmentationSet.open(data, "validation", channels, valLimit);
            int k = classes(train.scanMasks(resizeMasks), val.scanMasks(resizeMasks));
            LOG.info("train: {}; validation: {}; {} classes; head {}", train.description(), val.description(), k, head);
            Segmentation.Result r;
            try (Bar bar = new Bar("segment", epochs)) {
                r = Segmentation.run(enc, train, val, k, new Segmentation.Options(head, epochs, Math.min(batchSize,
                        train.size()), blr, weightDecay, layerDecay, warmupEpochs, seed), dev,
                        e -> bar.stepTo(e, null));
            }
            LOG.info("segmentation ({}): mIoU {}%, pixel accuracy {}% (most-frequent-class baseline: mIoU {}%, pixel"
                    + " accuracy {}%)", head, String.format("%.2f", r.miou()), String.format("%.2f", r.pixelAccuracy()),
                    String.format("%.2f", r.baselineMiou()), String.format("%.2f", r.baselinePixelAccuracy()));
            Path figure = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.json$", "") + ".png");
            drawMasks(val, r, enc.config().imageSize(), k, figure);
            Map<String, Object> res = result(r, k, encoderInfo, train, val, figure, t0);
            if (save != null) {
                r.segmenter().save(save, Provenance.of(train.description(), train.size()));
                res.put("segmenter", save.toString());
                LOG.info("segmenter: {}", save);
            }
            Files.writeString(out, Json.toJson(res), StandardCharsets.UTF_8);
            LOG.info("result: {} (masks: {})", out, figure);
            return ExitCodes.OK;
        });
    }

    /** The result file's contents: metrics, settings, encoder and data provenance. */
    private Map<String, Object> result(Segmentation.Result r, int k, Map<String, Object> encoderInfo,
            SegmentationSet train, SegmentationSet val, Path figure, long t0) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("miou", r.miou());
        metrics.put("pixel_accuracy", r.pixelAccuracy());
        metrics.put("iou_per_class", r.iou());
        metrics.put("baseline_miou", r.baselineMiou());
        metrics.put("baseline_pixel_accuracy", r.baselinePixelAccuracy());
        metrics.put("history_epoch_loss_miou", r.history());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("head", head.name().toLowerCase(java.util.Locale.ROOT));
        settings.put("classes", k);
        settings.put("epochs", epochs);
        settings.put("batch_size", batchSize);
        settings.put("blr", blr);
        settings.put("weight_decay", weightDecay);
        settings.put("layer_decay", layerDecay);
        settings.put("warmup_epochs", warmupEpochs);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("command", "segment");
        res.put("metrics", metrics);
        res.put("settings", settings);
        res.put("encoder", encoderInfo);
        res.put("train_data", train.description());
        res.put("val_data", val.description());
        res.put("masks_figure", figure.toString());
        res.put("seed", seed);
        res.put("wall_seconds", (System.nanoTime() - t0) / 1e9);
        res.put("provenance", Provenance.of(train.description(), train.size()));
        return res;
    }

    /**
     * K: --classes, or the largest class id of the training masks. A mask of either split holding a larger id is a
     * data error naming it: its pixels would otherwise drop out of the training loss or the score without a word.
     */
    private int classes(SegmentationSet.Labels train, SegmentationSet.Labels val) throws semaim.data.DataException {
        int k = classes != null ? classes : train.max();
        if (k < 2) {
            throw new IllegalArgumentException("the training masks hold " + k + " class(es); need at least 2");
        }
        String bound = classes != null ? "--classes is " + k : "the training masks hold classes 1-" + k
                + " (set --classes to cover both splits)";
        for (SegmentationSet.Labels l : List.of(train, val)) {
            if (l.max() > k) {
                throw new semaim.data.DataException("mask " + l.maskWithMax() + " has class " + l.max() + " but "
                        + bound);
            }
        }
        return k;
    }

    /** Input, true mask and predicted mask of the first held-out images, one row each. */
    private static void drawMasks(SegmentationSet val, Segmentation.Result r, int size, int classes, Path file)
            throws java.io.IOException {
        int scale = Math.max(1, Math.round(112f / size));
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < r.sampleMasks().size(); i++) {
            DecodedImage img = val.image(i, size);
            List<BufferedImage> row = new ArrayList<>();
            row.add(Panels.image(img.chw(), img.channels(), size, scale));
            row.add(Panels.image(colours(val.mask(i, size), classes), 3, size, scale));
            row.add(Panels.image(colours(r.sampleMasks().get(i), classes), 3, size, scale));
            rows.add(row);
            names.add(val.name(i));
        }
        ImageIO.write(Panels.grid(rows, List.of("input", "truth", "prediction"), names), "png", file.toFile());
    }

    /** Class ids to colours (0 = ignore: black), CHW. */
    private static float[] colours(int[] mask, int classes) {
        int n = mask.length;
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            if (mask[i] > 0) {
                float[] c = ColorMap.category(mask[i] - 1, classes);
                for (int ch = 0; ch < 3; ch++) {
                    out[ch * n + i] = c[ch];
                }
            }
        }
        return out;
    }
}
