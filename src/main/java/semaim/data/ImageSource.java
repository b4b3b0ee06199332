package semaim.data;

import java.io.IOException;

/** A finite, indexable collection of images (and, where known, class labels). */
public interface ImageSource {
    /** Number of images. */
    int size();

    /** Channels every image is delivered with (1 or 3). */
    int channels();

    /** Decodes image {@code index}; thread-safe. */
    DecodedImage load(int index) throws IOException;

    /** Class label of image {@code index}, or -1 when the source has no labels. */
    int label(int index);

    /** Class names by label, empty when there are none. */
    java.util.List<String> classNames();

    /** Where image {@code index} comes from (a file path, or a file and a record number), for messages. */
    String describe(int index);

    /** A one-line description of the whole source for provenance. */
    String description();
}
