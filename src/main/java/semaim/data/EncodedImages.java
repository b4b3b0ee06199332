package semaim.data;

import java.io.IOException;

/**
 * An {@link ImageSource} whose images are files of compressed bytes (an image folder; tar shards later), so that
 * the data loader can decode them its own, faster way ({@link NativeAugmentation}) instead of through
 * {@link ImageSource#load}.
 */
public interface EncodedImages extends ImageSource {
    /** The file bytes of image {@code index}; thread-safe. */
    byte[] bytes(int index) throws IOException;

    /** Images declaring more pixels than this are refused from their header. */
    long maxPixels();
}
