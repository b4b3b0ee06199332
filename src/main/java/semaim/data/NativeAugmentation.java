package semaim.data;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.ImageCodec;
import semaim.torch.ResizedCrop;
import semaim.torch.Scope;
import semaim.util.Rng;

/**
 * The pre-training augmentation of {@link Augmentation} (RandomResizedCrop, flip, normalisation) applied to JPEG
 * and 8-bit PNG bytes in native code, with no per-pixel Java loop: the header gives the size, so the crop is drawn
 * (from the same generator, in the same order, as {@link Augmentation#apply}) before anything is decoded; a JPEG
 * whose crop will be shrunk by 2, 4 or 8 anyway is decoded at that reduction in the DCT domain (unless
 * {@code exactDecode}); crop, bicubic resize and flip run on uint8 in libtorch ({@link ResizedCrop}), and the
 * normalised floats go straight into the batch.
 *
 * <p>It keeps what {@link ImageDecoder} guards: the header-first pixel limit and undecodable files as
 * {@link DataException}s. Other formats, 16-bit PNGs and truncated JPEGs are not {@link #handles handled} and take
 * the Java path (which warns about a truncated file, or skips it).
 */
public final class NativeAugmentation {
    private final AugmentConfig config;
    private final boolean exactDecode;
    private final StageTimes times;

    /** {@code times}: where to add each stage's time, or null. */
    public NativeAugmentation(AugmentConfig config, boolean exactDecode, StageTimes times) {
        this.config = config;
        this.exactDecode = exactDecode;
        this.times = times != null ? times : new StageTimes();
    }

    /**
     * Whether this path decodes an image with this header: a JPEG with its end-of-image marker, an 8-bit PNG. A
     * truncated JPEG goes to {@link ImageDecoder}, whose ImageIO fills the missing part with grey and says so
     * (libjpeg-turbo under OpenCV refuses it), so that it is warned about or skipped as before.
     */
    public static boolean handles(ImageHeader h) {
        return h.format() == ImageHeader.Format.JPEG && !h.truncated()
                || h.format() == ImageHeader.Format.PNG && h.bitDepth() <= 8;
    }

    /**
     * Decodes, crops, resizes and flips {@code bytes} (a {@link #handles handled} format) into {@code out} from
     * {@code offset}: C x S x S 8-bit values, CHW (normalised later, a whole batch at once: {@link
     * BatchLoader.Batch#tensor}).
     */
    public void apply(byte[] bytes, ImageHeader h, String name, long maxPixels, Rng rng, byte[] out,
            int offset) throws DataException {
        if (h.pixels() > maxPixels) {
            throw new DataException("image " + name + " declares " + h.width() + " x " + h.height() + " = "
                    + h.pixels() + " pixels, more than the limit of " + maxPixels + " (--max-image-pixels);"
                    + " refusing to decode it (a decompression bomb?)");
        }
        int s = config.imageSize();
        Augmentation.Crop crop = Augmentation.randomResizedCropParams(h.height(), h.width(), config.scaleMin(),
                config.scaleMax(), config.ratioMin(), config.ratioMax(), rng);
        boolean flip = rng.nextDouble() < config.flipProb();
        int r = h.format() == ImageHeader.Format.JPEG && !exactDecode ? reduction(crop, s) : 1;
        long t = System.nanoTime();
        try (ImageCodec.Pixels px = ImageCodec.decode(bytes, config.channels(), r)) {
            if (px == null) {
                throw new DataException("cannot decode image " + name + ": not a valid " + h.format() + " file");
            }
            t = times.add(StageTimes.Stage.DECODE, t);
            try (Scope scope = Scope.open()) {
                // The crop in the reduced image's coordinates (libjpeg scales a side n to ceil(n / r)).
                int top = Math.min(px.height() - 1, Math.round((float) crop.top() / r));
                int left = Math.min(px.width() - 1, Math.round((float) crop.left() / r));
                int bottom = Math.max(top + 1, Math.min(px.height(), Math.round((float) (crop.top() + crop.height()) / r)));
                int right = Math.max(left + 1, Math.min(px.width(), Math.round((float) (crop.left() + crop.width()) / r)));
                Tensor chw = ResizedCrop.crop(px.hwc(), top, left, bottom - top, right - left, s, flip).contiguous();
                chw.data_ptr_byte().get(out, offset, (int) chw.numel());
                times.add(StageTimes.Stage.CROP_RESIZE, t);
            }
        }
    }

    /** The largest of 1, 2, 4, 8 by which both sides of the crop stay at least the output size. */
    static int reduction(Augmentation.Crop crop, int size) {
        int r = 1;
        while (r < 8 && crop.width() / (2 * r) >= size && crop.height() / (2 * r) >= size) {
            r *= 2;
        }
        return r;
    }
}
