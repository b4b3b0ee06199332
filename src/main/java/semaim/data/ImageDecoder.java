package semaim.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes an image file to 1 or 3 channels in [0, 1], defensively:
 * <ul>
 *   <li>the size is read from the header first, and an image declaring more than {@code maxPixels} pixels is
 *       refused before any pixel is decoded (a 1 MB PNG can declare 20000 x 20000 and take gigabytes);
 *       the default is Pillow's {@code MAX_IMAGE_PIXELS};</li>
 *   <li>what the decoder warns about (a truncated JPEG, which ImageIO fills with grey) is returned as the image's
 *       {@link DecodedImage#damage() damage}, for the loader to warn about or skip;</li>
 *   <li>grey images (8 or 16 bits) are read from their samples: value / (2^bits - 1), as PIL's "L" mode. Java's
 *       {@code getRGB} would treat them as linear grey and gamma-encode them (0.5 would become 0.737).</li>
 * </ul>
 * Colour images go through {@code getRGB} (sRGB, 8 bits), and to one channel by ITU-R 601 luma as PIL's "L".
 */
public final class ImageDecoder {
    /** Pillow's default limit, {@code int(1024 * 1024 * 1024 // 4 // 3)}. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    private ImageDecoder() {}

    public static DecodedImage decode(Path file, int channels) throws IOException {
        return decode(file, channels, DEFAULT_MAX_PIXELS);
    }

    /** Width and height of {@code file} from its header, nothing decoded; unreadable is a {@link DataException}. */
    public static int[] size(Path file) throws IOException {
        return withReader(file, reader -> new int[] {reader.getWidth(0), reader.getHeight(0)});
    }

    /** What is done with an image's reader, its input set. */
    private interface ReaderUse<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Where an image's bytes come from, for ImageIO. */
    private interface Input {
        ImageInputStream open() throws IOException;
    }

    private static <T> T withReader(Path file, ReaderUse<T> use) throws IOException {
        return withReader(() -> ImageIO.createImageInputStream(file.toFile()), file, use);
    }

    /** Opens {@code file} with ImageIO's reader for its format; any failure is a {@link DataException}. */
    private static <T> T withReader(Input input, Object file, ReaderUse<T> use) throws IOException {
        try (ImageInputStream in = input.open()) {
            if (in == null) {
                throw new DataException("cannot decode image " + file + ": cannot open it");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DataException("cannot decode image " + file + ": not a supported image format");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return use.apply(reader);
            } finally {
                reader.dispose();
            }
        } catch (DataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
    }

    /** Decodes {@code file}; an unreadable, unsupported or oversized file is a {@link DataException}. */
    public static DecodedImage decode(Path file, int channels, long maxPixels) throws IOException {
        return decode(() -> ImageIO.createImageInputStream(file.toFile()), file, channels, maxPixels);
    }

    /** Decodes an image held in memory ({@code name} for messages), as {@link #decode(Path, int, long)}. */
    public static DecodedImage decode(byte[] bytes, String name, int channels, long maxPixels) throws IOException {
        return decode(() -> ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes)), name, channels,
                maxPixels);
    }

    private static DecodedImage decode(Input input, Object file, int channels, long maxPixels) throws IOException {
        List<String> warnings = new ArrayList<>();
        BufferedImage img = withReader(input, file, reader -> {
            long w = reader.getWidth(0), h = reader.getHeight(0);
            if (w * h > maxPixels) {
                throw new DataException("image " + file + " declares " + w + " x " + h + " = " + w * h
                        + " pixels, more than the limit of " + maxPixels + " (--max-image-pixels); refusing"
                        + " to decode it (a decompression bomb?)");
            }
            reader.addIIOReadWarningListener((source, message) -> warnings.add(message));
            return reader.read(0);
        });
        String damage = warnings.isEmpty() ? null : String.join("; ", warnings);
        return pixels(img, channels, damage);
    }

    /**
     * The pixels of an image already in memory, as {@link #decode(Path, int)} reads a file's: grey images from their
     * samples (not gamma-encoded by {@code getRGB}), colour through sRGB, to one channel by ITU-R 601 luma.
     */
    public static DecodedImage pixels(BufferedImage img, int channels) {
        return pixels(img, channels, null);
    }

    private static DecodedImage pixels(BufferedImage img, int channels, String damage) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        int w = img.getWidth(), h = img.getHeight();
        float[] chw = new float[channels * w * h];
        ColorModel cm = img.getColorModel();
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel)) {
            Raster r = img.getRaster();
            double max = (1L << cm.getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = (float) (r.getSample(x, y, 0) / max);
                    for (int c = 0; c < channels; c++) {
                        chw[c * w * h + y * w + x] = v;
                    }
                }
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                int r = (argb[i] >> 16) & 0xff, g = (argb[i] >> 8) & 0xff, b = argb[i] & 0xff;
                if (channels == 1) {
                    chw[i] = (r * 299 + g * 587 + b * 114) / 1000f / 255f;
                } else {
                    chw[i] = r / 255f;
                    chw[w * h + i] = g / 255f;
                    chw[2 * w * h + i] = b / 255f;
                }
            }
        }
        return new DecodedImage(w, h, channels, chw, damage);
    }
}
