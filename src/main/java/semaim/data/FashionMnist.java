package semaim.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Fashion-MNIST (Zalando Research, MIT licence). A subset ships inside the jar as the embedded default dataset
 * (see {@code src/main/resources/semaim/data/README.md} for its origin and licence).
 */
public final class FashionMnist {
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final String RESOURCE_DIR = "/semaim/data/";
    public static final String EMBEDDED_TRAIN = "fashion-mnist-train-4k";
    public static final String EMBEDDED_TEST = "fashion-mnist-test-1k";

    private FashionMnist() {}

    static boolean looksLikeFashionMnist(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return n.contains("fashion");
    }

    /** The embedded training subset (the first 4,000 training images, with labels). */
    public static IdxImages embeddedTrain() throws IOException {
        return embedded(EMBEDDED_TRAIN);
    }

    /** The embedded test subset (the first 1,000 test images, with labels). */
    public static IdxImages embeddedTest() throws IOException {
        return embedded(EMBEDDED_TEST);
    }

    private static IdxImages embedded(String name) throws IOException {
        InputStream images = FashionMnist.class.getResourceAsStream(RESOURCE_DIR + name + "-images-idx3-ubyte.gz");
        InputStream labels = FashionMnist.class.getResourceAsStream(RESOURCE_DIR + name + "-labels-idx1-ubyte.gz");
        if (images == null || labels == null) {
            throw new IOException("embedded dataset " + name + " is missing from the classpath (broken build?)");
        }
        return IdxImages.read(images, "embedded:" + name, labels, "embedded:" + name + "-labels");
    }
}
