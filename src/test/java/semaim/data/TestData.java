package semaim.data;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small real datasets for tests, cut from the embedded Fashion-MNIST subset. */
public final class TestData {
    private TestData() {}

    /** Writes the first {@code n} embedded images (and labels) as raw IDX files; returns the image file. */
    public static Path writeIdx(Path dir, int n) throws IOException {
        IdxImages src = FashionMnist.embeddedTrain();
        Path images = dir.resolve("tiny-images-idx3-ubyte");
        Path labels = dir.resolve("tiny-labels-idx1-ubyte");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
            out.writeInt(IdxImages.IMAGE_MAGIC);
            out.writeInt(n);
            out.writeInt(28);
            out.writeInt(28);
            for (int i = 0; i < n; i++) {
                for (float v : src.load(i).chw()) {
                    out.writeByte(Math.round(v * 255));
                }
            }
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(labels))) {
            out.writeInt(IdxImages.LABEL_MAGIC);
            out.writeInt(n);
            for (int i = 0; i < n; i++) {
                out.writeByte(src.label(i));
            }
        }
        return images;
    }

    /** Writes a small PNG of the given size and gray level. */
    public static void writePng(Path file, int w, int h, int gray) throws IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (gray << 16) | ((x * 255 / w) << 8) | (y * 255 / h));
            }
        }
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            javax.imageio.ImageIO.write(img, "png", out);
        }
    }
}
