package semaim.data;

/**
 * A decoded image: {@code channels} planes of {@code height x width} values in [0, 1], stored channel-first
 * (CHW), as {@code ToTensor} gives them.
 *
 * @param damage  what the decoder warned about (e.g. a truncated JPEG whose missing part it filled), or null
 */
public record DecodedImage(int width, int height, int channels, float[] chw, String damage) {
    /** An undamaged image. */
    public DecodedImage(int width, int height, int channels, float[] chw) {
        this(width, height, channels, chw, null);
    }

    public DecodedImage {
        if (width <= 0 || height <= 0 || channels <= 0 || chw.length != width * height * channels) {
            throw new IllegalArgumentException("bad image buffer: " + width + "x" + height + "x" + channels
                    + " with " + chw.length + " values");
        }
    }

    public float at(int c, int y, int x) {
        return chw[(c * height + y) * width + x];
    }
}
