package semaim.cli;

import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.data.FashionMnist;
import semaim.data.SyntheticSegmentation;

/** {@code semaim make-segdata}: a small synthetic segmentation set in ADE20K's layout, to try {@code segment} on. */
@Command(name = "make-segdata", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a synthetic segmentation dataset in ADE20K's layout: embedded Fashion-MNIST items, scaled"
                + " and placed at random on plain or textured backgrounds; masks label the background 1 and the item's"
                + " pixels 2 + its class (11 classes)."})
public final class MakeSegdataCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--output", required = true, paramLabel = "DIR") Path output;
    @Option(names = "--train", defaultValue = "2000", description = "Training images. Default: ${DEFAULT-VALUE}.") int train;
    @Option(names = "--val", defaultValue = "500", description = "Validation images. Default: ${DEFAULT-VALUE}.") int val;
    @Option(names = "--size", defaultValue = "28", description = "Image side in pixels. Default: ${DEFAULT-VALUE}.") int size;
    @Option(names = "--seed", defaultValue = "0") long seed;

    @Override
    public Integer call() {
        return CommandErrors.guard("make-segdata", () -> {
            if (train <= 0 || val <= 0 || size < 8) {
                throw new IllegalArgumentException("--train and --val must be positive and --size at least 8");
            }
            SyntheticSegmentation.write(output, FashionMnist.embeddedTrain(), train, val, size, seed);
            LOG.info("wrote {} training and {} validation images ({} px, {} classes) to {}", train, val, size,
                    SyntheticSegmentation.CLASSES, output);
            return ExitCodes.OK;
        });
    }
}
