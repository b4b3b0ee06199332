package semaim.cli;

import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.data.ClutteredFashion;
import semaim.data.Datasets;
import semaim.data.FashionMnist;
import semaim.data.ImageSource;

/** {@code semaim make-clutter}: Fashion-MNIST items at random positions and scales on textured backgrounds. */
@Command(name = "make-clutter", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a cluttered classification set (IDX, greyscale): each image one Fashion-MNIST item,"
                + " scaled to 40-80%% of the side (--item-scale), at a random position on a procedural texture or"
                + " (with --backgrounds) a grey crop of a photo; the label is the item's class. train-* from the"
                + " training items, test-* from the held-out items; with no more images than items, each item is"
                + " used once."},
        footer = {"", "Example: semaim make-clutter --output clutter/ && semaim pretrain --data clutter/train-images-idx3-ubyte"
                + " --image-size 56"})
public final class MakeClutterCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--output", required = true, paramLabel = "DIR") Path output;
    @Option(names = "--train", defaultValue = "20000", description = "Training images. Default: ${DEFAULT-VALUE}.") int train;
    @Option(names = "--test", defaultValue = "5000", description = "Held-out images. Default: ${DEFAULT-VALUE}.") int test;
    @Option(names = "--size", defaultValue = "56", description = "Image side. Default: ${DEFAULT-VALUE}.") int size;
    @Option(names = "--items-train", paramLabel = "IDX", description = "Items for the training split (default: the embedded 4k Fashion-MNIST subset).") String itemsTrain;
    @Option(names = "--items-test", paramLabel = "IDX", description = "Items for the held-out split (default: the embedded 1k subset).") String itemsTest;
    @Option(names = "--backgrounds", paramLabel = "DIR", description = "Photos to crop backgrounds from (half the images), besides procedural textures.") Path backgrounds;
    @Option(names = "--item-scale", split = ",", paramLabel = "MIN,MAX", defaultValue = "0.4,0.8",
            description = "The item's side as a fraction of the image's, drawn uniformly. Default: ${DEFAULT-VALUE}.")
    List<Double> itemScale;
    @Option(names = "--photo-fraction", defaultValue = "0.5", paramLabel = "P",
            description = "With --backgrounds: the share of backgrounds cropped from the photos (1 = photos only). Default: ${DEFAULT-VALUE}.")
    double photoFraction;
    @Option(names = "--background-gain", defaultValue = "1", paramLabel = "G",
            description = "Multiplies every background's intensity (procedural textures lie in 0.05-0.75, photo crops in 0-0.7), clipped to 1: above 1 brighter. Default: ${DEFAULT-VALUE}.")
    double backgroundGain;
    @Option(names = "--seed", defaultValue = "0") long seed;

    @Override
    public Integer call() {
        return CommandErrors.guard("make-clutter", () -> {
            if (train <= 0 || test <= 0 || size < 16) {
                throw new IllegalArgumentException("--train and --test must be positive and --size at least 16");
            }
            ImageSource tr = itemsTrain != null ? Datasets.open(itemsTrain, 1) : FashionMnist.embeddedTrain();
            ImageSource te = itemsTest != null ? Datasets.open(itemsTest, 1) : FashionMnist.embeddedTest();
            if (itemScale.size() != 2) {
                throw new IllegalArgumentException("--item-scale takes MIN,MAX, got " + itemScale);
            }
            var settings = new ClutteredFashion.Settings(itemScale.get(0), itemScale.get(1), photoFraction,
                    backgroundGain);
            var photos = ClutteredFashion.photos(backgrounds);
            Path a = ClutteredFashion.write(output, "train", tr, train, size, photos, settings, seed);
            Path b = ClutteredFashion.write(output, "test", te, test, size, photos, settings, seed + 1);
            LOG.info("wrote {} and {} ({} + {} images, {} px, {} background photos)", a, b, train, test, size,
                    photos.size());
            return ExitCodes.OK;
        });
    }
}
