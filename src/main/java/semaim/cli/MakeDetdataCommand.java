package semaim.cli;

import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.data.Datasets;
import semaim.data.FashionMnist;
import semaim.data.ImageSource;
import semaim.data.SyntheticDetection;

/** {@code semaim make-detdata}: a small detection set in COCO's layout (issue 27). */
@Command(name = "make-detdata", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a synthetic detection set in COCO's layout: 1-5 Fashion-MNIST items per image at random"
                + " positions and scales on procedural textures, each with the tight box of its silhouette, 10"
                + " categories (ids 1-10). OUTPUT/annotations/instances_{train,val}.json and OUTPUT/{train,val}/*.png;"
                + " train images from the training items, val from the held-out ones."},
        footer = {"", "Example: semaim make-detdata --output det/ --train 2000 --val 200"})
public final class MakeDetdataCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--output", required = true, paramLabel = "DIR") Path output;
    @Option(names = "--train", defaultValue = "10000", description = "Training images. Default: ${DEFAULT-VALUE}.") int train;
    @Option(names = "--val", defaultValue = "1000", description = "Validation images. Default: ${DEFAULT-VALUE}.") int val;
    @Option(names = "--size", defaultValue = "112", description = "Image side. Default: ${DEFAULT-VALUE}.") int size;
    @Option(names = "--item-scale", split = ",", paramLabel = "MIN,MAX", defaultValue = "0.2,0.45",
            description = "An item's side as a fraction of the image's, drawn uniformly. Default: ${DEFAULT-VALUE}.")
    List<Double> itemScale;
    @Option(names = "--items-train", paramLabel = "IDX", description = "Items for train (default: the embedded 4k Fashion-MNIST subset).") String itemsTrain;
    @Option(names = "--items-test", paramLabel = "IDX", description = "Items for val (default: the embedded 1k subset).") String itemsTest;
    @Option(names = "--seed", defaultValue = "0") long seed;

    @Override
    public Integer call() {
        return CommandErrors.guard("make-detdata", () -> {
            if (train <= 0 || val <= 0 || size < 32) {
                throw new IllegalArgumentException("--train and --val must be positive and --size at least 32");
            }
            if (itemScale.size() != 2 || !(itemScale.get(0) > 0 && itemScale.get(0) <= itemScale.get(1)
                    && itemScale.get(1) <= 1)) {
                throw new IllegalArgumentException("--item-scale takes MIN,MAX with 0 < MIN <= MAX <= 1, got " + itemScale);
            }
            ImageSource tr = itemsTrain != null ? Datasets.open(itemsTrain, 1) : FashionMnist.embeddedTrain();
            ImageSource te = itemsTest != null ? Datasets.open(itemsTest, 1) : FashionMnist.embeddedTest();
            Path a = SyntheticDetection.write(output, "train", tr, train, size, itemScale.get(0), itemScale.get(1), seed);
            Path b = SyntheticDetection.write(output, "val", te, val, size, itemScale.get(0), itemScale.get(1), seed + 1);
            LOG.info("wrote {} and {} ({} + {} images, {} px)", a, b, train, val, size);
            return ExitCodes.OK;
        });
    }
}
