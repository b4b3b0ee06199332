package semaim.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Images named one by one rather than found in a folder: files, decoded as an {@link ImageFolder}'s are, or pictures
 * already in memory. No labels. What the Java API embeds.
 */
public final class ImageList implements ImageSource {
    private final List<?> items;   // each a Path or a DecodedImage
    private final int channels;

    private ImageList(List<?> items, int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        this.items = List.copyOf(items);
        this.channels = channels;
    }

    /** Image files, decoded when loaded (a missing or unreadable one is a {@link DataException} then). */
    public static ImageList ofFiles(List<Path> files, int channels) {
        return new ImageList(files, channels);
    }

    /** Pictures in memory; each must have {@code channels} channels. */
    public static ImageList ofImages(List<DecodedImage> images, int channels) {
        for (DecodedImage im : images) {
            if (im.channels() != channels) {
                throw new IllegalArgumentException("an image has " + im.channels() + " channels; the encoder reads "
                        + channels);
            }
        }
        return new ImageList(images, channels);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public DecodedImage load(int index) throws IOException {
        Object item = items.get(index);
        return item instanceof Path p ? ImageDecoder.decode(p, channels) : (DecodedImage) item;
    }

    @Override
    public int label(int index) {
        return -1;
    }

    @Override
    public List<String> classNames() {
        return List.of();
    }

    @Override
    public String describe(int index) {
        Object item = items.get(index);
        return item instanceof Path p ? p.toString() : "image " + index + " of the list";
    }

    @Override
    public String description() {
        return items.size() + " image(s) given one by one";
    }
}
