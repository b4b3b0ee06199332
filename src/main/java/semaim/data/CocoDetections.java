package semaim.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * A detection set in COCO's layout: {@code annotations/instances_SPLIT*.json} (images, box annotations with
 * {@code bbox} [x, y, w, h], {@code category_id}, {@code iscrowd}, {@code area}; categories) and the image folder named
 * as the file's suffix ({@code instances_val2017.json} -> {@code val2017/}). Segmentation polygons and RLE masks are
 * not read: boxes only. Every inconsistency is a {@link DataException} naming the file and the entry.
 */
public final class CocoDetections {
    /** An image entry; its file is {@code folder/fileName}. */
    public record Image(long id, String fileName, int width, int height) {}

    /** A box annotation, {@code bbox} = x, y, w, h in pixels. */
    public record Annotation(long id, long imageId, int categoryId, double[] bbox, double area, boolean crowd) {}

    private final Path annotationFile;
    private final Path folder;
    private final List<Image> images;
    private final Map<Integer, String> categories;
    private final Map<Long, List<Annotation>> byImage;

    private CocoDetections(Path annotationFile, Path folder, List<Image> images, Map<Integer, String> categories,
            Map<Long, List<Annotation>> byImage) {
        this.annotationFile = annotationFile;
        this.folder = folder;
        this.images = images;
        this.categories = categories;
        this.byImage = byImage;
    }

    /** The split {@code split} ("train", "val", "val2017" ...) of a COCO-layout folder {@code root}. */
    public static CocoDetections open(Path root, String split) throws IOException {
        Path annotations = root.resolve("annotations");
        if (!Files.isDirectory(annotations)) {
            throw new DataException(root + " is not a COCO-layout folder: it has no annotations/ folder");
        }
        List<Path> found;
        try (Stream<Path> files = Files.list(annotations)) {
            found = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("instances_" + split) && n.endsWith(".json");
            }).sorted().toList();
        }
        if (found.isEmpty()) {
            throw new DataException("no annotations/instances_" + split + "*.json in " + root);
        }
        Path file = found.get(0);
        String name = file.getFileName().toString();
        Path folder = root.resolve(name.substring("instances_".length(), name.length() - ".json".length()));
        if (!Files.isDirectory(folder)) {
            throw new DataException(file + " has no image folder " + folder);
        }
        return read(file, folder);
    }

    /** Reads {@code annotationFile}; the images are under {@code folder}. */
    public static CocoDetections read(Path annotationFile, Path folder) throws IOException {
        JsonObject root;
        try {
            root = JsonParser.parseString(Files.readString(annotationFile, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new DataException(annotationFile + " is not a COCO annotation file: " + e.getMessage(), e);
        }
        Map<Integer, String> categories = new LinkedHashMap<>();
        for (JsonElement c : array(root, "categories", annotationFile)) {
            JsonObject o = c.getAsJsonObject();
            categories.put(o.get("id").getAsInt(), o.has("name") ? o.get("name").getAsString() : "");
        }
        List<Image> images = new ArrayList<>();
        Map<Long, List<Annotation>> byImage = new LinkedHashMap<>();
        for (JsonElement i : array(root, "images", annotationFile)) {
            JsonObject o = i.getAsJsonObject();
            Image im = new Image(o.get("id").getAsLong(), o.get("file_name").getAsString(), o.get("width").getAsInt(),
                    o.get("height").getAsInt());
            if (byImage.put(im.id(), new ArrayList<>()) != null) {
                throw new DataException(annotationFile + ": image id " + im.id() + " appears twice");
            }
            images.add(im);
        }
        for (JsonElement a : array(root, "annotations", annotationFile)) {
            Annotation an = annotation(a.getAsJsonObject(), annotationFile);
            List<Annotation> list = byImage.get(an.imageId());
            if (list == null || !categories.containsKey(an.categoryId())) {
                throw new DataException(annotationFile + ": annotation " + an.id() + " refers to "
                        + (list == null ? "image " + an.imageId() : "category " + an.categoryId())
                        + ", which the file does not list");
            }
            list.add(an);
        }
        return new CocoDetections(annotationFile, folder, images, categories, byImage);
    }

    private static Annotation annotation(JsonObject o, Path file) throws DataException {
        long id = o.has("id") ? o.get("id").getAsLong() : -1;
        try {
            JsonArray b = o.getAsJsonArray("bbox");
            if (b == null || b.size() != 4) {
                throw new DataException(file + ": annotation " + id + " has no bbox [x, y, w, h]");
            }
            double[] box = {b.get(0).getAsDouble(), b.get(1).getAsDouble(), b.get(2).getAsDouble(),
                b.get(3).getAsDouble()};
            if (!(box[2] >= 0 && box[3] >= 0)) {
                throw new DataException(file + ": annotation " + id + " has a negative box side: " + b);
            }
            double area = o.has("area") ? o.get("area").getAsDouble() : box[2] * box[3];
            boolean crowd = o.has("iscrowd") && o.get("iscrowd").getAsInt() != 0;
            return new Annotation(id, o.get("image_id").getAsLong(), o.get("category_id").getAsInt(), box, area,
                    crowd);
        } catch (RuntimeException e) {
            throw new DataException(file + ": annotation " + id + " is malformed: " + e.getMessage(), e);
        }
    }

    private static JsonArray array(JsonObject root, String key, Path file) throws DataException {
        if (!root.has(key) || !root.get(key).isJsonArray()) {
            throw new DataException(file + " has no \"" + key + "\" list");
        }
        return root.getAsJsonArray(key);
    }

    /** The first {@code n} images (all when {@code n <= 0} or beyond the count), with their annotations. */
    public CocoDetections first(int n) {
        if (n <= 0 || n >= images.size()) {
            return this;
        }
        return new CocoDetections(annotationFile, folder, images.subList(0, n), categories, byImage);
    }

    /** What the split is, for logs and result files: the annotation file and its image count. */
    public String description() {
        return annotationFile + " (" + images.size() + " images)";
    }

    /** The images, in the file's order. */
    public List<Image> images() {
        return Collections.unmodifiableList(images);
    }

    /** Category id -> name, in the file's order. */
    public Map<Integer, String> categories() {
        return Collections.unmodifiableMap(categories);
    }

    /** The annotations of one image (empty when it has none). */
    public List<Annotation> annotations(long imageId) {
        return Collections.unmodifiableList(byImage.getOrDefault(imageId, List.of()));
    }

    /** The decoded image ({@code channels} 1 or 3); a missing or unreadable file is a {@link DataException}. */
    public DecodedImage load(Image image, int channels) throws IOException {
        Path p = folder.resolve(image.fileName());
        if (!Files.isRegularFile(p)) {
            throw new DataException(annotationFile + " lists " + image.fileName() + ", which is not in " + folder);
        }
        return ImageDecoder.decode(p, channels);
    }
}
