package semaim.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

/**
 * A semantic-segmentation split in ADE20K's layout: {@code images/SPLIT/NAME.jpg} (or .png) with
 * {@code annotations/SPLIT/NAME.png}, whose pixel values are class ids: 0 = ignore (unlabelled), 1..K the classes.
 * An image and its mask are resized to the model's input together: the image bilinearly, the mask by nearest
 * neighbour (labels must not blend).
 */
public final class SegmentationSet {
    private final List<Path> images;
    private final List<Path> masks;
    private final int channels;
    private final String description;

    private SegmentationSet(List<Path> images, List<Path> masks, int channels, String description) {
        this.images = images;
        this.masks = masks;
        this.channels = channels;
        this.description = description;
    }

    /** The split {@code split} (training, validation) of the dataset in {@code root}. */
    public static SegmentationSet open(Path root, String split, int channels, int limit) throws IOException {
        Path imgDir = root.resolve("images").resolve(split), annDir = root.resolve("annotations").resolve(split);
        if (!Files.isDirectory(imgDir) || !Files.isDirectory(annDir)) {
            throw new DataException(root + " needs images/" + split + "/ and annotations/" + split
                    + "/ (ADE20K's layout)");
        }
        List<Path> images = new ArrayList<>(), masks = new ArrayList<>();
        try (var files = Files.list(imgDir)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString(), lower = name.toLowerCase(Locale.ROOT);
                if (!(lower.endsWith(".jpg") || lower.endsWith(".jpeg") || lower.endsWith(".png"))) {
                    continue;
                }
                Path mask = annDir.resolve(name.substring(0, name.lastIndexOf('.')) + ".png");
                if (!Files.isRegularFile(mask)) {
                    throw new DataException("image " + p + " has no mask " + mask);
                }
                images.add(p);
                masks.add(mask);
                if (limit > 0 && images.size() == limit) {
                    break;
                }
            }
        }
        if (images.isEmpty()) {
            throw new DataException(imgDir + " holds no .jpg or .png images");
        }
        return new SegmentationSet(images, masks, channels, root + " " + split + " (" + images.size() + " images)");
    }

    public int size() {
        return images.size();
    }

    public int channels() {
        return channels;
    }

    public String description() {
        return description;
    }

    /** Image {@code i} resized to {@code size} x {@code size}, CHW values in [0, 1]. */
    public DecodedImage image(int i, int size) throws IOException {
        DecodedImage img = ImageDecoder.decode(images.get(i), channels);
        return Resize.cropResize(img, 0, 0, img.height(), img.width(), size, size);
    }

    /** Mask {@code i} resized (nearest) to {@code size} x {@code size}: class ids, 0 = ignore. */
    public int[] mask(int i, int size) throws IOException {
        BufferedImage m = readMask(i);
        Raster r = m.getRaster();
        int w = m.getWidth(), h = m.getHeight();
        int[] out = new int[size * size];
        for (int y = 0; y < size; y++) {
            int sy = Math.min(h - 1, (int) ((y + 0.5) * h / size));
            for (int x = 0; x < size; x++) {
                int sx = Math.min(w - 1, (int) ((x + 0.5) * w / size));
                out[y * size + x] = r.getSample(sx, sy, 0);
            }
        }
        return out;
    }

    /** The largest class id of a split's masks, and the first mask that holds it. */
    public record Labels(int max, Path maskWithMax) {}

    /**
     * One pass over every mask at its full resolution: each must have its image's size (a mask of another size is
     * a data error naming both files, unless {@code resizeMasks}: it is then resized by nearest neighbour, as every
     * mask is to the model's input); returns the largest class id and where it occurs.
     */
    public Labels scanMasks(boolean resizeMasks) throws IOException {
        int max = 0;
        Path where = null;
        for (int i = 0; i < masks.size(); i++) {
            BufferedImage m = readMask(i);
            if (!resizeMasks) {
                int[] img = ImageDecoder.size(images.get(i));
                if (img[0] != m.getWidth() || img[1] != m.getHeight()) {
                    throw new DataException("mask " + masks.get(i) + " is " + m.getWidth() + "x" + m.getHeight()
                            + " but its image " + images.get(i).getFileName() + " is " + img[0] + "x" + img[1]
                            + " (pass --resize-masks to resize masks to their images, nearest neighbour)");
                }
            }
            Raster r = m.getRaster();
            for (int y = 0; y < m.getHeight(); y++) {
                for (int x = 0; x < m.getWidth(); x++) {
                    int v = r.getSample(x, y, 0);
                    if (v > max) {
                        max = v;
                        where = masks.get(i);
                    }
                }
            }
        }
        return new Labels(max, where);
    }

    /** The mask file of image {@code i}. */
    public Path maskFile(int i) {
        return masks.get(i);
    }

    private BufferedImage readMask(int i) throws IOException {
        BufferedImage m;
        try {
            m = ImageIO.read(masks.get(i).toFile());
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot decode mask " + masks.get(i) + ": " + e.getMessage(), e);
        }
        if (m == null) {
            throw new DataException("cannot decode mask " + masks.get(i));
        }
        return m;
    }

    public String name(int i) {
        return images.get(i).getFileName().toString();
    }
}
