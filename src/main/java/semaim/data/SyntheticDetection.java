package semaim.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import semaim.io.Json;
import semaim.util.Rng;

/**
 * A detection set in COCO's layout, small enough for two CPU cores: each image ({@code size} px, greyscale PNG) holds 1-5
 * Fashion-MNIST items at random positions and scales on a procedural texture (pasted by silhouette, as
 * {@link ClutteredFashion}), each annotated with the tight box of its silhouette (item intensity >= half
 * {@link ClutteredFashion#ITEM_EDGE}), that silhouette's pixel count as {@code area}, and its class as the category
 * (ids 1-10, COCO starts at 1). Items are placed so that no two boxes overlap by more than IoU 0.3 (up to 20 tries, else
 * the item is left out). Writes {@code annotations/instances_SPLIT.json} and {@code SPLIT/NNNNNN.png}.
 */
public final class SyntheticDetection {
    /** Fashion-MNIST's ten classes, category ids 1-10. */
    public static final List<String> CATEGORIES = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal",
            "shirt", "sneaker", "bag", "ankle-boot");
    static final double MAX_OVERLAP = 0.3;

    private SyntheticDetection() {}

    /** Writes {@code count} images of split {@code split} under {@code root} from {@code items}; returns the json. */
    public static Path write(Path root, String split, ImageSource items, int count, int size, double scaleMin,
            double scaleMax, long seed) throws IOException {
        Path folder = Files.createDirectories(root.resolve(split));
        Files.createDirectories(root.resolve("annotations"));
        Rng rng = new Rng(seed);
        List<Object> images = new ArrayList<>(), annotations = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long imageId = i + 1;
            String name = String.format("%06d.png", imageId);
            float[] canvas = ClutteredFashion.texture(size, rng);
            List<double[]> boxes = new ArrayList<>();
            int itemCount = 1 + rng.nextInt(5);
            for (int k = 0; k < itemCount; k++) {
                int index = rng.nextInt(items.size());
                Map<String, Object> a = paste(canvas, size, items.load(index), boxes, scaleMin, scaleMax, rng);
                if (a != null) {
                    a.put("id", annotations.size() + 1);
                    a.put("image_id", imageId);
                    a.put("category_id", items.label(index) + 1);
                    annotations.add(a);
                }
            }
            ImageIO.write(grey(canvas, size), "png", folder.resolve(name).toFile());
            images.add(Map.of("id", imageId, "file_name", name, "width", size, "height", size));
        }
        List<Object> categories = new ArrayList<>();
        for (int c = 0; c < CATEGORIES.size(); c++) {
            categories.add(Map.of("id", c + 1, "name", CATEGORIES.get(c), "supercategory", "fashion"));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("info", Map.of("description", "semaim make-detdata: Fashion-MNIST items on textures", "seed", seed));
        json.put("images", images);
        json.put("annotations", annotations);
        json.put("categories", categories);
        Path file = root.resolve("annotations").resolve("instances_" + split + ".json");
        Files.writeString(file, Json.toJson(json), StandardCharsets.UTF_8);
        return file;
    }

    /** Pastes one item where its box overlaps no earlier one by more than {@link #MAX_OVERLAP}; its annotation. */
    private static Map<String, Object> paste(float[] canvas, int size, DecodedImage item, List<double[]> boxes,
            double scaleMin, double scaleMax, Rng rng) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int side = Math.max(4, (int) Math.round(size * (scaleMin + (scaleMax - scaleMin) * rng.nextDouble())));
            int top = rng.nextInt(size - side + 1), left = rng.nextInt(size - side + 1);
            int x0 = size, y0 = size, x1 = -1, y1 = -1, area = 0;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    if (intensity(item, side, y, x) >= ClutteredFashion.ITEM_EDGE / 2) {
                        x0 = Math.min(x0, x);
                        y0 = Math.min(y0, y);
                        x1 = Math.max(x1, x);
                        y1 = Math.max(y1, y);
                        area++;
                    }
                }
            }
            if (area == 0) {
                return null;                                // an empty item: nothing to find
            }
            double[] box = {left + x0, top + y0, x1 - x0 + 1, y1 - y0 + 1};
            if (boxes.stream().anyMatch(b -> iou(b, box) > MAX_OVERLAP)) {
                continue;
            }
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    double a = intensity(item, side, y, x), alpha = Math.min(1, a / ClutteredFashion.ITEM_EDGE);
                    int p = (top + y) * size + left + x;
                    canvas[p] = (float) (canvas[p] * (1 - alpha) + a * alpha);
                }
            }
            boxes.add(box);
            Map<String, Object> ann = new LinkedHashMap<>();
            ann.put("bbox", box);
            ann.put("area", area);
            ann.put("iscrowd", 0);
            return ann;
        }
        return null;
    }

    /** The item's intensity at (y, x) of its pasted side (nearest neighbour, as ClutteredFashion). */
    private static double intensity(DecodedImage item, int side, int y, int x) {
        return item.chw()[(y * item.height() / side) * item.width() + x * item.width() / side];
    }

    static double iou(double[] a, double[] b) {
        double inter = semaim.util.Boxes.intersection(a[0], a[1], a[0] + a[2], a[1] + a[3], b[0], b[1], b[0] + b[2],
                b[1] + b[3]);
        return inter / (a[2] * a[3] + b[2] * b[3] - inter);
    }

    private static BufferedImage grey(float[] v, int size) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int g = (int) Math.round(Math.max(0, Math.min(1, v[y * size + x])) * 255);
                img.getRaster().setSample(x, y, 0, g);
            }
        }
        return img;
    }
}
