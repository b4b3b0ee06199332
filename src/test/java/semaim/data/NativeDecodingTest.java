package semaim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import javax.imageio.ImageIO;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.torch.ImageCodec;
import semaim.torch.ResizedCrop;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.Rng;

/**
 * Issue 23: the native data path (libjpeg-turbo/libpng through OpenCV, crop + bicubic resize in libtorch) against
 * the Java path it replaces, whose resampler is PIL's algorithm (what the reference's torchvision pipeline runs).
 */
class NativeDecodingTest {
    @TempDir
    Path dir;

    /** A photo-like test card: smooth colour gradients, a few sharp edges and fine noise. */
    static BufferedImage card(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random rnd = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double u = x / (double) w, v = y / (double) h;
                int r = (int) (255 * (0.5 + 0.5 * Math.sin(6 * u + 2 * v)));
                int g = (int) (255 * v);
                int b = ((x / 37 + y / 29) % 2 == 0 ? 200 : 40) + rnd.nextInt(16);
                img.setRGB(x, y, (Math.min(r, 255) << 16) | (Math.min(g, 255) << 8) | Math.min(b, 255));
            }
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }

    /** The native resize against the Java (PIL-algorithm, float) resize on the same lossless pixels. */
    @Test
    void bicubicResizeOnUint8MatchesPilsAlgorithmWithinOneGreyLevel() throws Exception {
        byte[] png = encode(card(500, 375, 1), "png");
        Path file = Files.write(dir.resolve("card.png"), png);
        DecodedImage java = ImageDecoder.decode(file, 3);
        int[][] crops = {{0, 0, 375, 500}, {40, 60, 200, 300}, {100, 100, 90, 120}, {10, 300, 300, 180}};
        double sum = 0;
        int max = 0;
        long n = 0;
        try (ImageCodec.Pixels px = ImageCodec.decode(png, 3, 1); Scope s = Scope.open()) {
            assertNotNull(px);
            assertEquals(500, px.width());
            for (int[] c : crops) {
                DecodedImage ref = Resize.cropResize(java, c[0], c[1], c[2], c[3], 224, 224);
                Tensor ours = ResizedCrop.crop(px.hwc(), c[0], c[1], c[2], c[3], 224, false).contiguous();
                byte[] got = new byte[(int) ours.numel()];
                ours.data_ptr_byte().get(got);
                for (int i = 0; i < got.length; i++) {
                    int d = Math.abs((got[i] & 0xff) - Math.round(ref.chw()[i] * 255));
                    sum += d;
                    max = Math.max(max, d);
                    n++;
                }
            }
        }
        System.out.printf("native uint8 bicubic vs PIL's algorithm in float, 4 crops to 224 px: mean |diff| %.3f,"
                + " max %d grey levels%n", sum / n, max);
        assertTrue(sum / n < 0.5 && max <= 2, "mean " + sum / n + ", max " + max);
    }

    /** Reduced (DCT-domain) decoding changes a crop that is shrunk by at least the reduction only a little. */
    @Test
    void reducedDecodingOfALargeJpegStaysCloseToFullDecoding() throws Exception {
        byte[] jpg = encode(card(2048, 1536, 2), "jpg");
        double worst = Double.MAX_VALUE;
        try (Scope s = Scope.open()) {
            for (int r : new int[] {2, 4}) {
                Augmentation.Crop crop = new Augmentation.Crop(96, 200, 224 * 4, 224 * 4 + 64);
                byte[] full = cropOf(jpg, crop, 1), reduced = cropOf(jpg, crop, r);
                double mse = 0;
                for (int i = 0; i < full.length; i++) {
                    double d = (full[i] & 0xff) - (reduced[i] & 0xff);
                    mse += d * d;
                }
                double psnr = 10 * Math.log10(255.0 * 255 / (mse / full.length));
                System.out.printf("reduced decoding 1/%d vs full, crop %dx%d to 224: PSNR %.1f dB%n", r,
                        crop.width(), crop.height(), psnr);
                worst = Math.min(worst, psnr);
            }
        }
        assertTrue(worst > 30, "PSNR " + worst);
        assertEquals(4, NativeAugmentation.reduction(new Augmentation.Crop(0, 0, 1000, 900), 224));
        assertEquals(1, NativeAugmentation.reduction(new Augmentation.Crop(0, 0, 447, 900), 224));
    }

    private static byte[] cropOf(byte[] jpg, Augmentation.Crop c, int r) {
        try (ImageCodec.Pixels px = ImageCodec.decode(jpg, 3, r)) {
            Tensor t = ResizedCrop.crop(px.hwc(), c.top() / r, c.left() / r, c.height() / r, c.width() / r, 224,
                    false).contiguous();
            byte[] out = new byte[(int) t.numel()];
            t.data_ptr_byte().get(out);
            return out;
        }
    }

    /**
     * The loader's native path draws the same crops and flips as the Java path and gives the same images up to
     * rounding (PNG: both decoders give the same pixels).
     */
    @Test
    void theLoaderGivesTheJavaPathsImagesUpToRounding() throws Exception {
        for (int i = 0; i < 10; i++) {
            Files.write(dir.resolve("img" + i + ".png"), encode(card(160 + 10 * i, 120, i), "png"));
        }
        ImageFolder folder = ImageFolder.open(dir, 3);
        Augmentation aug = new Augmentation(AugmentConfig.pretraining(32, 3));
        List<float[]> batches = new ArrayList<>();
        for (BatchLoader.Decoding d : new BatchLoader.Decoding[] {BatchLoader.Decoding.REDUCED,
                BatchLoader.Decoding.JAVA}) {
            try (BatchLoader loader = new BatchLoader(folder, aug, 10, 3, 1, 1, false, m -> { }).decoding(d)) {
                assertEquals(d != BatchLoader.Decoding.JAVA, loader.decodesNatively());
                batches.add(loader.epoch(0, 0).next().images());
            }
        }
        double maxDiff = 0;
        for (int i = 0; i < batches.get(0).length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(batches.get(0)[i] - batches.get(1)[i]));
        }
        // normalised by std ~0.225: two grey levels are 2 / 255 / 0.225 = 0.035
        assertTrue(maxDiff < 0.036, "max |native - java| = " + maxDiff);
    }

    /** What the Java decoder guards, the native path guards too. */
    @Test
    void damagedOversizedAndForeignFilesAreHandledAsBefore() throws Exception {
        byte[] jpg = encode(card(200, 150, 3), "jpg");
        NativeAugmentation n = new NativeAugmentation(AugmentConfig.pretraining(32, 3), false, null);
        byte[] out = new byte[3 * 32 * 32];
        ImageHeader h = ImageHeader.of(jpg);
        assertEquals(new ImageHeader(ImageHeader.Format.JPEG, 200, 150, 8, false), h);
        n.apply(jpg, h, "ok.jpg", ImageDecoder.DEFAULT_MAX_PIXELS, new Rng(1), out, 0);
        assertTrue(NativeAugmentation.handles(h));

        // A truncated JPEG goes to the Java decoder, which fills it with grey and reports it (ReliabilityCliTest).
        byte[] cut = java.util.Arrays.copyOf(jpg, jpg.length * 7 / 10);
        ImageHeader hc = ImageHeader.of(cut);
        assertTrue(hc.truncated() && !NativeAugmentation.handles(hc));

        byte[] bomb = DecodingSafetyTest.pngDeclaring(20000, 20000);
        ImageHeader hb = ImageHeader.of(bomb);
        assertEquals(ImageHeader.Format.PNG, hb.format());
        DataException e = assertThrows(DataException.class, () -> n.apply(bomb, hb, "bomb.png",
                ImageDecoder.DEFAULT_MAX_PIXELS, new Rng(1), out, 0));
        assertTrue(e.getMessage().contains("--max-image-pixels"), e.getMessage());

        byte[] garbage = jpg.clone();
        for (int i = 200; i < garbage.length - 2; i++) {
            garbage[i] = (byte) (i * 31);
        }
        ImageHeader hg = ImageHeader.of(garbage);
        if (NativeAugmentation.handles(hg)) {   // a header that still parses: the decoder must not crash the JVM
            try {
                n.apply(garbage, hg, "garbage.jpg", ImageDecoder.DEFAULT_MAX_PIXELS, new Rng(1), out, 0);
            } catch (DataException expected) {
                assertTrue(expected.getMessage().contains("garbage.jpg"));
            }
        }
        assertEquals(ImageHeader.Format.OTHER, ImageHeader.of("not an image".getBytes()).format());
        assertEquals(ImageHeader.Format.OTHER, ImageHeader.of(encode(card(20, 20, 4), "bmp")).format());
    }

    /** Grey output: one channel, and a 16-bit PNG is left to the Java decoder (which keeps its 16 bits). */
    @Test
    void greyImagesAndSixteenBitPngs() throws Exception {
        byte[] jpg = encode(card(64, 48, 5), "jpg");
        try (ImageCodec.Pixels px = ImageCodec.decode(jpg, 1, 1); Scope s = Scope.open()) {
            assertEquals(List.of(48L, 64L, 1L), java.util.Arrays.stream(Tensors.shape(px.hwc())).boxed().toList());
        }
        BufferedImage grey16 = new BufferedImage(8, 8, BufferedImage.TYPE_USHORT_GRAY);
        ImageHeader h = ImageHeader.of(encode(grey16, "png"));
        assertEquals(16, h.bitDepth());
        assertTrue(!NativeAugmentation.handles(h));
        assertArrayEquals(new int[] {8, 8}, new int[] {h.width(), h.height()});
    }
}
