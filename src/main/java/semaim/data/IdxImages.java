package semaim.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Images in the IDX format of MNIST and Fashion-MNIST (big-endian magic 0x00000803, then count, rows, columns,
 * then unsigned bytes), gzip-compressed or raw, with an optional label file (magic 0x00000801). Everything is
 * held in memory: 60,000 28x28 images take 47 MB.
 */
public final class IdxImages implements ImageSource {
    public static final int IMAGE_MAGIC = 0x00000803;
    public static final int LABEL_MAGIC = 0x00000801;

    private final String source;
    private final int count, rows, cols;
    private final byte[] pixels;
    private final byte[] labels;
    private final List<String> classNames;

    private IdxImages(String source, int count, int rows, int cols, byte[] pixels, byte[] labels,
            List<String> classNames) {
        this.source = source;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.pixels = pixels;
        this.labels = labels;
        this.classNames = classNames;
    }

    /** Reads an image file and, if {@code labelFile} is not null, its labels. */
    public static IdxImages read(Path imageFile, Path labelFile) throws IOException {
        return read(Files.newInputStream(imageFile), imageFile.toString(),
                labelFile == null ? null : Files.newInputStream(labelFile), labelFile == null ? null : labelFile.toString());
    }

    /** Reads from streams (gzip detected by its magic bytes); the label stream may be null. Closes both. */
    public static IdxImages read(InputStream imageStream, String imageName, InputStream labelStream, String labelName)
            throws IOException {
        int count, rows, cols;
        byte[] pixels;
        try (DataInputStream in = new DataInputStream(maybeGunzip(imageStream))) {
            int magic = readHeaderInt(in, imageName);
            if (magic != IMAGE_MAGIC) {
                throw new DataException(imageName + ": not an IDX image file (magic 0x"
                        + String.format("%08x", magic) + ", expected 0x00000803)");
            }
            count = readHeaderInt(in, imageName);
            rows = readHeaderInt(in, imageName);
            cols = readHeaderInt(in, imageName);
            if (count < 0 || rows <= 0 || cols <= 0 || (long) count * rows * cols > Integer.MAX_VALUE - 8) {
                throw new DataException(imageName + ": implausible IDX sizes " + count + " x " + rows + " x " + cols);
            }
            // Read what is there before trusting the header: a tiny file may claim millions of images, and
            // allocating what it claims first would take gigabytes before failing.
            pixels = in.readNBytes(count * rows * cols);
            if (pixels.length < count * rows * cols) {
                throw new DataException(imageName + ": truncated: the header promises " + count + " images of "
                        + rows + "x" + cols + " but the file holds " + pixels.length / (rows * cols) + " of them");
            }
        }
        byte[] labels = null;
        if (labelStream != null) {
            try (DataInputStream in = new DataInputStream(maybeGunzip(labelStream))) {
                int magic = readHeaderInt(in, labelName);
                if (magic != LABEL_MAGIC) {
                    throw new DataException(labelName + ": not an IDX label file (magic 0x"
                            + String.format("%08x", magic) + ", expected 0x00000801)");
                }
                int n = readHeaderInt(in, labelName);
                if (n != count) {
                    throw new DataException(labelName + " has " + n + " labels for " + count + " images in "
                            + imageName);
                }
                labels = in.readNBytes(n);
                if (labels.length < n) {
                    throw new DataException(labelName + ": truncated: the header promises " + n + " labels");
                }
            }
        }
        return new IdxImages(imageName, count, rows, cols, pixels, labels, labels == null ? List.of()
                : FashionMnist.looksLikeFashionMnist(imageName) ? FashionMnist.CLASSES : numbered(labels));
    }

    private static List<String> numbered(byte[] labels) {
        int max = 0;
        for (byte b : labels) {
            max = Math.max(max, b & 0xff);
        }
        return java.util.stream.IntStream.rangeClosed(0, max).mapToObj(Integer::toString).toList();
    }

    private static int readHeaderInt(DataInputStream in, String name) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new DataException(name + ": file ends inside the IDX header");
        }
    }

    private static InputStream maybeGunzip(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw);
        in.mark(2);
        int a = in.read(), b = in.read();
        in.reset();
        return a == 0x1f && b == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int channels() {
        return 1;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    @Override
    public DecodedImage load(int index) {
        float[] v = new float[rows * cols];
        int base = index * rows * cols;
        for (int i = 0; i < v.length; i++) {
            v[i] = (pixels[base + i] & 0xff) / 255f;
        }
        return new DecodedImage(cols, rows, 1, v);
    }

    @Override
    public int label(int index) {
        return labels == null ? -1 : labels[index] & 0xff;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public String describe(int index) {
        return source + " #" + index;
    }

    @Override
    public String description() {
        return "IDX " + source + " (" + count + " images, " + rows + "x" + cols + ", grayscale"
                + (labels == null ? "" : ", labelled") + ")";
    }
}
