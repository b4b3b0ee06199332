package semaim.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Images in a folder, as torchvision's {@code ImageFolder}: if the folder has subfolders, each is a class (sorted
 * by name) and its images are found recursively; otherwise the folder's own images form one unlabelled set.
 * Files ending in jpg, jpeg, png, bmp or gif are decoded by {@link ImageDecoder} to grayscale or RGB; alpha is
 * dropped.
 */
public final class ImageFolder implements EncodedImages {
    private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif");

    private final Path root;
    private final int channels;
    private final long maxPixels;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;

    private ImageFolder(Path root, int channels, long maxPixels, List<Path> files, int[] labels,
            List<String> classNames) {
        this.root = root;
        this.channels = channels;
        this.maxPixels = maxPixels;
        this.files = files;
        this.labels = labels;
        this.classNames = classNames;
    }

    /** Lists the images below {@code root} with the default pixel limit. */
    public static ImageFolder open(Path root, int channels) throws IOException {
        return open(root, channels, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /**
     * Lists the images below {@code root}; fails if it is missing, not a folder, or holds no image. Images larger
     * than {@code maxPixels} are refused when loaded.
     */
    public static ImageFolder open(Path root, int channels, long maxPixels) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (!Files.exists(root)) {
            throw new DataException("data folder " + root + " does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new DataException(root + " is not a folder (give a folder of images, or an IDX file ending in"
                    + " -idx3-ubyte or -idx3-ubyte.gz)");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> classNames = new ArrayList<>();
        if (classDirs.isEmpty()) {
            files.addAll(imagesBelow(root));
        } else {
            for (Path dir : classDirs) {
                List<Path> inClass = imagesBelow(dir);
                if (inClass.isEmpty()) {
                    continue;
                }
                int label = classNames.size();
                classNames.add(dir.getFileName().toString());
                for (Path f : inClass) {
                    files.add(f);
                    labels.add(label);
                }
            }
        }
        if (files.isEmpty()) {
            throw new DataException("no images (" + String.join(", ", EXTENSIONS) + ") found in " + root);
        }
        int[] l = classNames.isEmpty() ? null : labels.stream().mapToInt(Integer::intValue).toArray();
        return new ImageFolder(root, channels, maxPixels, List.copyOf(files), l, List.copyOf(classNames));
    }

    private static List<Path> imagesBelow(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(ImageFolder::isImage).sorted().toList();
        }
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public DecodedImage load(int index) throws IOException {
        return ImageDecoder.decode(files.get(index), channels, maxPixels);
    }

    @Override
    public byte[] bytes(int index) throws IOException {
        try {
            return Files.readAllBytes(files.get(index));
        } catch (IOException e) {
            throw new DataException("cannot read image " + files.get(index) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long maxPixels() {
        return maxPixels;
    }

    /** Decodes one image file with the default pixel limit (see {@link ImageDecoder}). */
    public static DecodedImage decode(Path file, int channels) throws IOException {
        return ImageDecoder.decode(file, channels);
    }

    @Override
    public int label(int index) {
        return labels == null ? -1 : labels[index];
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public String describe(int index) {
        return files.get(index).toString();
    }

    @Override
    public String description() {
        return "image folder " + root.toAbsolutePath() + " (" + files.size() + " images, "
                + (classNames.isEmpty() ? "unlabelled" : classNames.size() + " classes") + ", "
                + (channels == 1 ? "grayscale" : "RGB") + ")";
    }
}
