package semaim.viz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import semaim.data.DataException;
import semaim.data.Datasets;
import semaim.data.DecodedImage;
import semaim.data.ImageFolder;
import semaim.data.ImageSource;

/** Images to draw maps on: files, folders of images, or the first images of an IDX file, with names. */
public record SampleImages(List<DecodedImage> images, List<String> names) {

    public static SampleImages load(List<String> paths, int channels, int limitPerSource) throws IOException {
        List<DecodedImage> images = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String p : paths) {
            Path path = Path.of(p);
            if (p.contains("idx3-ubyte")) {
                add(Datasets.open(p, channels), limitPerSource, images, names);
            } else if (Files.isDirectory(path)) {
                List<Path> files;
                try (Stream<Path> s = Files.list(path)) {
                    files = s.filter(Files::isRegularFile).filter(f -> isImage(f)).sorted().toList();
                }
                for (Path f : files.subList(0, Math.min(files.size(), limitPerSource))) {
                    images.add(ImageFolder.decode(f, channels));
                    names.add(stem(f));
                }
            } else if (Files.isRegularFile(path)) {
                images.add(ImageFolder.decode(path, channels));
                names.add(stem(path));
            } else {
                throw new DataException(p + " does not exist");
            }
        }
        if (images.isEmpty()) {
            throw new DataException("no images found in " + paths);
        }
        return new SampleImages(images, names);
    }

    /** The first {@code n} images of a source, named by index. */
    public static SampleImages first(ImageSource source, int n) throws IOException {
        List<DecodedImage> images = new ArrayList<>();
        List<String> names = new ArrayList<>();
        add(source, n, images, names);
        return new SampleImages(images, names);
    }

    private static void add(ImageSource source, int n, List<DecodedImage> images, List<String> names) throws IOException {
        for (int i = 0; i < Math.min(n, source.size()); i++) {
            images.add(source.load(i));
            String label = source.label(i) >= 0 && source.label(i) < source.classNames().size()
                    ? "-" + source.classNames().get(source.label(i)).replaceAll("[^A-Za-z0-9]+", "_") : "";
            names.add(String.format("sample-%02d%s", i, label));
        }
    }

    private static boolean isImage(Path f) {
        String n = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif");
    }

    private static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
