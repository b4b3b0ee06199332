package semaim.data;

/**
 * What the first bytes of a JPEG or PNG file say: its size (so the pixel limit and the crop are known before any
 * pixel is decoded, and the decoder can be asked for a reduced size), PNG's bit depth, and whether a JPEG lacks its
 * end-of-image marker (a truncated file, which libjpeg would fill with grey without a word).
 *
 * @param format     JPEG, PNG, or OTHER (read by {@link ImageDecoder} instead)
 * @param bitDepth   bits per sample (8 for JPEG; PNG's IHDR value)
 * @param truncated  a JPEG whose last bytes hold no end-of-image marker
 */
public record ImageHeader(Format format, int width, int height, int bitDepth, boolean truncated) {
    public enum Format { JPEG, PNG, OTHER }

    private static final ImageHeader OTHER = new ImageHeader(Format.OTHER, 0, 0, 0, false);

    /** Parses {@code bytes}; a file of another format, or a header that makes no sense, gives {@code OTHER}. */
    public static ImageHeader of(byte[] bytes) {
        if (bytes.length > 24 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G') {
            int w = int32(bytes, 16), h = int32(bytes, 20);   // IHDR is always the first chunk
            return w > 0 && h > 0 ? new ImageHeader(Format.PNG, w, h, bytes[24] & 0xff, false) : OTHER;
        }
        if (bytes.length > 4 && (bytes[0] & 0xff) == 0xFF && (bytes[1] & 0xff) == 0xD8) {
            return jpeg(bytes);
        }
        return OTHER;
    }

    /** Walks the JPEG markers to the first start-of-frame, which holds the size. */
    private static ImageHeader jpeg(byte[] b) {
        int i = 2;
        while (i + 9 < b.length) {
            if ((b[i] & 0xff) != 0xFF) {
                return OTHER;   // not at a marker: a damaged header
            }
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                i++;   // fill byte
                continue;
            }
            int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            boolean startOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                    && marker != 0xCC;
            if (startOfFrame) {
                int h = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff), w = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
                return w > 0 && h > 0 ? new ImageHeader(Format.JPEG, w, h, 8, !endsWithEndOfImage(b)) : OTHER;
            }
            i += 2 + length;
        }
        return OTHER;
    }

    /** An end-of-image marker (FF D9) among the last bytes (some writers append a few bytes after it). */
    private static boolean endsWithEndOfImage(byte[] b) {
        for (int i = b.length - 2; i >= Math.max(0, b.length - 4096); i--) {
            if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9) {
                return true;
            }
        }
        return false;
    }

    private static int int32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** Width times height, without overflow. */
    public long pixels() {
        return (long) width * height;
    }
}
