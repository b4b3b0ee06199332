package semaim.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import semaim.util.Rng;

/**
 * A small segmentation dataset in ADE20K's layout made from Fashion-MNIST items: each image is one item, scaled and
 * placed at a random position on a plain grey or a textured (random sinusoid) background. The mask labels the
 * background 1 and the item's pixels (intensity above 0.15) 2 + its class (2..11); 0 (ignore) is not used. Images
 * are greyscale JPEGs, masks PNGs.
 */
public final class SyntheticSegmentation {
    /** Classes in the masks: background and the ten Fashion-MNIST classes. */
    public static final int CLASSES = 11;

    private SyntheticSegmentation() {}

    /** Writes {@code train} + {@code val} images of side {@code size} into {@code root}; items from {@code items}. */
    public static void write(Path root, ImageSource items, int train, int val, int size, long seed)
            throws IOException {
        Rng rng = new Rng(seed);
        int next = 0;
        for (String split : new String[] {"training", "validation"}) {
            Path img = Files.createDirectories(root.resolve("images").resolve(split));
            Path ann = Files.createDirectories(root.resolve("annotations").resolve(split));
            int n = split.equals("training") ? train : val;
            for (int i = 0; i < n; i++) {
                int index = next++ % items.size();
                DecodedImage item = items.load(index);
                int label = items.label(index);
                BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
                BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
                boolean textured = rng.nextDouble() < 0.5;
                double base = 0.15 + 0.5 * rng.nextDouble(), fx = 0.2 + rng.nextDouble() * 0.8;
                double fy = 0.2 + rng.nextDouble() * 0.8, ph = rng.nextDouble() * 6.28;
                int side = (int) Math.round(size * (0.55 + 0.4 * rng.nextDouble()));
                int top = rng.nextInt(size - side + 1), left = rng.nextInt(size - side + 1);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        double bg = textured ? base + 0.25 * Math.sin(fx * x + ph) * Math.cos(fy * y) : base;
                        double v = bg;
                        int m = 1;
                        int iy = y - top, ix = x - left;
                        if (iy >= 0 && ix >= 0 && iy < side && ix < side) {
                            int sy = iy * item.height() / side, sx = ix * item.width() / side;
                            double p = item.chw()[sy * item.width() + sx];
                            if (p > 0.15) {
                                v = p;
                                m = 2 + label;
                            }
                        }
                        image.getRaster().setSample(x, y, 0, (int) Math.round(Math.max(0, Math.min(1, v)) * 255));
                        mask.getRaster().setSample(x, y, 0, m);
                    }
                }
                String name = String.format("%s_%05d", split, i);
                ImageIO.write(image, "jpg", img.resolve(name + ".jpg").toFile());
                ImageIO.write(mask, "png", ann.resolve(name + ".png").toFile());
            }
        }
    }
}
