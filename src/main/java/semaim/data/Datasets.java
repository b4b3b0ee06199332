package semaim.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a dataset from a command-line path: an image folder, an IDX image file, or the embedded default. */
public final class Datasets {
    private Datasets() {}

    /**
     * {@code path} null or empty: the embedded Fashion-MNIST subset. A file whose name contains {@code idx3-ubyte}:
     * IDX images, with labels from the sibling {@code idx1-ubyte} file when it exists. Otherwise an image folder
     * read with {@code channels} channels.
     */
    public static ImageSource open(String path, int channels) throws IOException {
        return open(path, channels, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /** As {@link #open(String, int)}, refusing images of more than {@code maxPixels} pixels. */
    public static ImageSource open(String path, int channels, long maxPixels) throws IOException {
        if (path == null || path.isBlank()) {
            return FashionMnist.embeddedTrain();
        }
        if (TarShards.names(path)) {
            return TarShards.open(path, channels, maxPixels);
        }
        Path p = Path.of(path);
        String name = p.getFileName() == null ? "" : p.getFileName().toString();
        if (name.contains("idx3-ubyte")) {
            if (!Files.isRegularFile(p)) {
                throw new DataException("IDX file " + p + " does not exist");
            }
            Path labels = p.resolveSibling(name.replace("images-idx3-ubyte", "labels-idx1-ubyte")
                    .replace("idx3-ubyte", "idx1-ubyte"));
            return IdxImages.read(p, Files.isRegularFile(labels) && !labels.equals(p) ? labels : null);
        }
        return ImageFolder.open(p, channels, maxPixels);
    }
}
