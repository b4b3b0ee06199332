package semaim.data;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import semaim.util.Rng;

/**
 * A harder classification set than Fashion-MNIST itself: each image is one Fashion-MNIST item, scaled to 40-80% of
 * the side and placed at a random position on a textured background, labelled with the item's class. The item is
 * pasted by its silhouette: opaque where its intensity is above {@link #ITEM_EDGE}, fading out below (its black
 * surround lets the background through), in its own intensity, so a dark garment is a dark shape on the texture.
 * (semaim 0.1 weighted each pixel by its intensity, a^2 + (1 - a) bg: dark garments nearly vanished into the
 * texture, and a random encoder's k-NN was 23% against about 40% on the set the issue describes.) Backgrounds are procedural (random
 * sinusoids plus smoothed noise), or, with a folder of photos, a random grey crop of one of them, half the time.
 * Written as IDX files (greyscale, {@code SPLIT-images-idx3-ubyte} and {@code SPLIT-labels-idx1-ubyte}), which
 * every semaim command reads. Everything random comes from the seed.
 */
public final class ClutteredFashion {
    /** Item intensity from which the item is opaque. */
    static final double ITEM_EDGE = 0.1;

    private ClutteredFashion() {}

    /**
     * Writes {@code count} images of side {@code size} made from {@code items} into {@code dir} under the split
     * name; {@code photos} may be empty. Returns the image file.
     */
    public static Path write(Path dir, String split, ImageSource items, int count, int size, List<Path> photos,
            long seed) throws IOException {
        Files.createDirectories(dir);
        Rng rng = new Rng(seed);
        List<DecodedImage> photoCache = new ArrayList<>();
        for (Path p : photos) {
            photoCache.add(ImageDecoder.decode(p, 1));
        }
        Path images = dir.resolve(split + "-images-idx3-ubyte"), labels = dir.resolve(split + "-labels-idx1-ubyte");
        try (DataOutputStream img = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(images)));
                DataOutputStream lab = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(labels)))) {
            img.writeInt(IdxImages.IMAGE_MAGIC);
            img.writeInt(count);
            img.writeInt(size);
            img.writeInt(size);
            lab.writeInt(IdxImages.LABEL_MAGIC);
            lab.writeInt(count);
            for (int i = 0; i < count; i++) {
                int index = rng.nextInt(items.size());
                DecodedImage item = items.load(index);
                float[] bg = photoCache.isEmpty() || rng.nextDouble() < 0.5 ? texture(size, rng)
                        : photoCrop(photoCache.get(rng.nextInt(photoCache.size())), size, rng);
                int side = (int) Math.round(size * (0.4 + 0.4 * rng.nextDouble()));
                int top = rng.nextInt(size - side + 1), left = rng.nextInt(size - side + 1);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        double v = bg[y * size + x];
                        int iy = y - top, ix = x - left;
                        if (iy >= 0 && ix >= 0 && iy < side && ix < side) {
                            double a = item.chw()[(iy * item.height() / side) * item.width() + ix * item.width() / side];
                            double alpha = Math.min(1, a / ITEM_EDGE);
                            v = v * (1 - alpha) + a * alpha;   // pasted by its silhouette, in its own intensity
                        }
                        img.writeByte((int) Math.round(Math.max(0, Math.min(1, v)) * 255));
                    }
                }
                lab.writeByte(items.label(index));
            }
        }
        return images;
    }

    /** Random sinusoids plus smoothed noise, in [0.05, 0.75]. */
    static float[] texture(int size, Rng rng) {
        float[] t = new float[size * size];
        double base = 0.15 + 0.35 * rng.nextDouble();
        double f1 = 0.1 + 0.6 * rng.nextDouble(), f2 = 0.1 + 0.6 * rng.nextDouble(), ph = rng.nextDouble() * 6.28;
        double amp = 0.05 + 0.2 * rng.nextDouble();
        float[] noise = new float[size * size];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) rng.nextGaussian();
        }
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double smooth = 0;
                int n = 0;
                for (int dy = -2; dy <= 2; dy++) {
                    for (int dx = -2; dx <= 2; dx++) {
                        int yy = Math.floorMod(y + dy, size), xx = Math.floorMod(x + dx, size);
                        smooth += noise[yy * size + xx];
                        n++;
                    }
                }
                double v = base + amp * Math.sin(f1 * x + ph) * Math.cos(f2 * y) + 0.08 * smooth / Math.sqrt(n);
                t[y * size + x] = (float) Math.max(0.05, Math.min(0.75, v));
            }
        }
        return t;
    }

    /** A random square crop of a grey photo, resized to {@code size}, dimmed to leave room for the item. */
    static float[] photoCrop(DecodedImage photo, int size, Rng rng) {
        int side = Math.min(photo.width(), photo.height());
        int crop = Math.max(8, (int) (side * (0.2 + 0.6 * rng.nextDouble())));
        int top = rng.nextInt(photo.height() - crop + 1), left = rng.nextInt(photo.width() - crop + 1);
        float[] out = Resize.cropResize(photo, top, left, crop, crop, size, size).chw();
        for (int i = 0; i < out.length; i++) {
            out[i] = out[i] * 0.7f;
        }
        return out;
    }

    /** The photos (jpg, jpeg, png) in {@code dir}, sorted; empty for null. */
    public static List<Path> photos(Path dir) throws IOException {
        if (dir == null) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
            }).sorted().toList();
        }
    }
}
