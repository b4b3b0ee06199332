package semaim.cli;

import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.eval.EncoderCheckpoint;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.target.TargetConfig;
import semaim.torch.Torch;
import semaim.viz.MapWriter;
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

    @Override
    public Integer call() {
        return CommandErrors.guard("visualize", () -> {
            Torch.init();
            SemAimModel m;
            if (checkpoint != null) {
                EncoderCheckpoint ck = EncoderCheckpoint.open(checkpoint);
                m = ck.fullModel();
                LOG.info("model from {}", ck.file());
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
            Path overview = MapWriter.write(m, samples, output, "overview.png", seed);
            LOG.info("wrote {} map rows to {} (overview {})", samples.images().size(), output, overview);
            return ExitCodes.OK;
        });
    }
}
