package semaim.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.eval.EncoderCheckpoint;
import semaim.data.DecodedImage;
import semaim.eval.EncoderSource;
import semaim.eval.detection.Detector;
import semaim.model.EmaTeacher;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.model.Teacher;
import semaim.model.TeacherFile;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.torch.Torch;
import semaim.viz.BoxPanels;
import semaim.viz.ColorMap;
import semaim.viz.MapFigure;
import semaim.viz.MapWriter;
import semaim.viz.Panels;
import semaim.viz.SampleImages;

/** {@code semaim visualize}: the maps of Fig. 2 for a checkpoint (or a random model) on any images. */
@Command(name = "visualize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw, for each image, a row like the paper's Fig. 2: input, last-block CLS self-attention, "
                + "similarity map S, raster / stochastic / similarity / semantic-aware orders (warm = first), and the "
                + "predicted patches next to the (blurred) target. Writes one PNG per image and overview.png."})
public final class VisualizeCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--checkpoint", paramLabel = "PATH",
            description = "Pre-training checkpoint folder, run folder or model .safetensors (default: a random model).")
    Path checkpoint;

    @Option(names = "--model", defaultValue = "vit_nano_patch4_28", description = "Preset of the random model.")
    String model;

    @Option(names = "--channels", description = "Channels of the random model (default: the preset's).")
    Integer channels;

    @Option(names = "--images", required = true, split = ",", paramLabel = "PATH",
            description = "Image files, folders, or IDX image files (comma-separated).")
    List<String> images;

    @Option(names = "--limit", defaultValue = "8", description = "Images per folder or IDX file. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--output", paramLabel = "DIR", defaultValue = "maps", description = "Default: ${DEFAULT-VALUE}.")
    Path output;

    @Option(names = "--seed", defaultValue = "0") long seed;

    @Option(names = "--segmenter", paramLabel = "FILE",
            description = "A segmenter saved by semaim segment --save: its predicted masks become the last panel.")
    Path segmenter;

    @Option(names = "--detector", paramLabel = "FILE",
            description = "A detector saved by semaim detect --save: draws its boxes on the images (detections.png);"
                    + " the maps are drawn too when --checkpoint is given.")
    Path detector;

    @Option(names = "--detector-score", defaultValue = "0.3",
            description = "Boxes drawn: those scoring at least this. Default: ${DEFAULT-VALUE}.")
    double detectorScore;

    @Option(names = "--teacher", paramLabel = "FILE",
            description = "The teacher of a checkpoint trained on its features, when its recorded path no longer holds it.")
    Path teacherFile;

    @Override
    public Integer call() {
        return CommandErrors.guard("visualize", () -> {
            Torch.init();
            if (detector != null) {
                Path figure = drawDetections();
                LOG.info("wrote the detector's boxes to {}", figure);
                if (checkpoint == null) {
                    return ExitCodes.OK;
                }
            }
            SemAimModel m;
            Teacher teacher = null;
            if (checkpoint != null) {
                EncoderCheckpoint ck = EncoderSource.open(checkpoint).checkpoint();
                m = ck.fullModel();
                LOG.info("model from {}", ck.file());
                teacher = teacherOf(ck, m);
            } else {
                ModelConfig mc = ModelConfig.preset(model);
                if (channels != null) {
                    mc = mc.withInChannels(channels);
                }
                Torch.manualSeed(seed);
                m = new SemAimModel(mc, TargetConfig.reference());
                LOG.info("randomly initialised {} (seed {})", mc.name(), seed);
            }
            SampleImages samples = SampleImages.load(images, m.config().inChannels(), limit);
            MapFigure.Masks masks = null;
            if (segmenter != null) {
                semaim.eval.Segmenter seg = semaim.eval.Segmenter.load(segmenter);
                if (seg.encoder().config().imageSize() != m.config().imageSize()) {
                    throw new IllegalArgumentException(segmenter + " works on " + seg.encoder().config().imageSize()
                            + " px images but the model on " + m.config().imageSize() + " px");
                }
                masks = new MapFigure.Masks(seg::predict, seg.classes());
                LOG.info("segmenter: {} ({} classes)", segmenter, seg.classes());
            }
            Path overview = MapWriter.write(m, teacher, masks, samples, output, "overview.png", seed);
            LOG.info("wrote {} map rows to {} (overview {})", samples.images().size(), output, overview);
            return ExitCodes.OK;
        });
    }

    /** The detector's boxes (scoring at least --detector-score) on every image, one panel each, labelled. */
    private Path drawDetections() throws java.io.IOException {
        Detector d = Detector.load(detector);
        LOG.info("detector: {} ({} categories, {} px input)", detector, d.categoryIds().size(), d.imageSize());
        SampleImages samples = SampleImages.load(images, d.encoder().config().inChannels(), limit);
        List<BufferedImage> panels = new ArrayList<>();
        int n = d.categoryIds().size();
        for (int i = 0; i < samples.images().size(); i++) {
            DecodedImage img = samples.images().get(i);
            List<BoxPanels.Box> boxes = new ArrayList<>();
            for (var b : d.detectImages(List.of(img), Torch.device("cpu")).get(0)) {
                if (b.score() >= detectorScore) {
                    boxes.add(new BoxPanels.Box(b.x0(), b.y0(), b.x1(), b.y1(), ColorMap
                            .category(b.classIndex(), n), d.categoryNames().get(b.classIndex())
                            + String.format(" %.2f", b.score())));
                }
            }
            panels.add(BoxPanels.draw(img.chw(), img.channels(), img.width(), img.height(), 224, boxes));
        }
        List<List<BufferedImage>> rows = panels.stream().map(List::of).toList();
        Files.createDirectories(output);
        Path file = output.resolve("detections.png");
        ImageIO.write(Panels.grid(rows, List.of("boxes (score >= " + detectorScore + ")"),
                samples.names()), "png", file.toFile());
        return file;
    }

    /**
     * The teacher whose similarity the maps show: the file a clip/dino/vit target was trained with ({@code --teacher}
     * overrides its recorded path), or the EMA saved next to the weights; null for pixel and HOG targets.
     */
    private Teacher teacherOf(EncoderCheckpoint ck, SemAimModel m) throws java.io.IOException {
        TargetConfig t = m.targetConfig();
        if (t.kind().needsTeacherFile()) {
            Path file = teacherFile != null ? teacherFile : Path.of(t.teacher());
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(ck.file() + " was trained on the teacher " + t.teacher()
                        + ", which is not there; name it with --teacher FILE");
            }
            LOG.info("teacher: {}", file);
            return TeacherFile.load(file, t.kind(), t.teacherHeads(), m.config(), LOG::warn).teacher();
        }
        Path ema = ck.file().resolveSibling(semaim.io.CheckpointFolders.EMA);
        if (t.kind() == TargetKind.EMA && Files.isRegularFile(ema)) {
            EmaTeacher e = new EmaTeacher(m, t.emaDecay());
            e.load(semaim.io.SafeTensors.read(ema).tensors(), ema.toString());
            return e;
        }
        return null;
    }
}
