package semaim.torch;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Decodes JPEG and PNG bytes to 8-bit pixels in native code: OpenCV's imgcodecs, which wraps libjpeg-turbo and
 * libpng (Bytedeco's presets, from Maven Central). A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size in the DCT
 * domain, which costs a fraction of a full decode (what PIL's {@code draft()} does): worth it when the crop taken
 * from it is shrunk by at least that factor anyway.
 *
 * <p>As the reference's PIL loader, EXIF orientation is ignored; grey output is libjpeg's luma (JPEG) or OpenCV's
 * BT.601 conversion (PNG), PIL's "L" up to rounding. OpenCV's own worker threads are turned off: the data loader
 * runs one decode per worker thread.
 */
public final class ImageCodec {
    private static volatile boolean loaded;

    private ImageCodec() {}

    private static synchronized void init() {
        if (!loaded) {
            Torch.init();
            Loader.load(opencv_imgcodecs.class);
            opencv_core.setNumThreads(0);
            loaded = true;
        }
    }

    /** Decoded pixels, height x width x channels uint8 (RGB or grey), in native memory until closed. */
    public static final class Pixels implements AutoCloseable {
        private final Mat mat;
        private final int channels;

        private Pixels(Mat mat, int channels) {
            this.mat = mat;
            this.channels = channels;
        }

        public int width() {
            return mat.cols();
        }

        public int height() {
            return mat.rows();
        }

        /** A (H, W, C) uint8 tensor viewing these pixels: valid only while this object is open. */
        public Tensor hwc() {
            return torch.from_blob(mat.data(), new long[] {mat.rows(), mat.cols(), channels},
                    new long[] {mat.step1(0), channels, 1}, new TensorOptions(torch.ScalarType.Byte));
        }

        @Override
        public void close() {
            mat.release();
            mat.close();
        }
    }

    /**
     * Decodes {@code bytes} as {@code channels} (1 or 3) channels, reduced by {@code reduction} (1, 2, 4 or 8;
     * JPEG only); null when the bytes cannot be decoded.
     */
    public static Pixels decode(byte[] bytes, int channels, int reduction) {
        init();
        boolean grey = channels == 1;
        int flags = switch (reduction) {
            case 1 -> grey ? opencv_imgcodecs.IMREAD_GRAYSCALE : opencv_imgcodecs.IMREAD_COLOR_RGB;
            case 2 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_2 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
            case 4 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_4 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
            case 8 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_8 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("reduction must be 1, 2, 4 or 8, got " + reduction);
        };
        if (reduction > 1 && !grey) {   // the reduced colour flags hold IMREAD_COLOR_BGR: swap it for RGB
            flags = flags & ~opencv_imgcodecs.IMREAD_COLOR_BGR | opencv_imgcodecs.IMREAD_COLOR_RGB;
        }
        flags |= opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
        try (BytePointer data = new BytePointer(bytes);
                Mat encoded = new Mat(1, bytes.length, opencv_core.CV_8UC1, data)) {
            Mat mat;
            try {
                mat = opencv_imgcodecs.imdecode(encoded, flags);
            } catch (RuntimeException undecodable) {   // cv::Exception from a damaged stream
                return null;
            }
            if (mat == null || mat.empty() || mat.depth() != opencv_core.CV_8U || mat.channels() != channels) {
                if (mat != null) {
                    mat.close();
                }
                return null;
            }
            return new Pixels(mat, channels);
        }
    }
}
