package semaim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.util.Rng;

class DataTest {
    @TempDir
    Path dir;

    @Test
    void randomResizedCropStaysInTorchvisionsAreaAndAspectRanges() {
        Rng rng = new Rng(1);
        int fallbacks = 0;
        double minArea = 1, maxArea = 0, minRatio = 10, maxRatio = 0;
        for (int i = 0; i < 20000; i++) {
            Augmentation.Crop c = Augmentation.randomResizedCropParams(224, 224, 0.2, 1.0, 3.0 / 4, 4.0 / 3, rng);
            assertTrue(c.top() >= 0 && c.left() >= 0 && c.top() + c.height() <= 224 && c.left() + c.width() <= 224);
            double area = c.height() * (double) c.width() / (224 * 224);
            double ratio = c.width() / (double) c.height();
            if (c.height() == 224 && c.width() == 224) {
                fallbacks++;
                continue;
            }
            minArea = Math.min(minArea, area);
            maxArea = Math.max(maxArea, area);
            minRatio = Math.min(minRatio, ratio);
            maxRatio = Math.max(maxRatio, ratio);
        }
        // Integer rounding of w and h widens the ranges by at most one pixel's worth.
        assertTrue(minArea >= 0.2 - 0.01 && minArea < 0.22, "min area " + minArea);
        assertTrue(maxArea <= 1.0 && maxArea > 0.95, "max area " + maxArea);
        assertTrue(minRatio >= 0.75 - 0.01 && minRatio < 0.78, "min ratio " + minRatio);
        assertTrue(maxRatio <= 4.0 / 3 + 0.01 && maxRatio > 1.28, "max ratio " + maxRatio);
        assertTrue(fallbacks < 200, "too many full-image crops: " + fallbacks);
    }

    @Test
    void randomResizedCropFallsBackToACentreCropClampedToTheRatio() {
        // A 10x100 strip: no crop of area >= 20% fits with ratio in [3/4, 4/3], so the fallback is used.
        Augmentation.Crop c = Augmentation.randomResizedCropParams(100, 10, 0.9, 1.0, 3.0 / 4, 4.0 / 3, new Rng(2));
        assertEquals(10, c.width());
        assertEquals(13, c.height());   // round(10 / (3/4)) = 13
        assertEquals((100 - 13) / 2, c.top());
    }

    @Test
    void bicubicResizeKeepsConstantsAndAveragesWhenShrinking() {
        float[] v = new float[16 * 16];
        java.util.Arrays.fill(v, 0.25f);
        DecodedImage img = new DecodedImage(16, 16, 1, v);
        DecodedImage r = Resize.cropResize(img, 0, 0, 16, 16, 5, 7);
        for (float x : r.chw()) {
            assertEquals(0.25f, x, 1e-6f);
        }
        // A checkerboard shrunk 4x (antialiased) becomes nearly flat grey.
        for (int i = 0; i < v.length; i++) {
            v[i] = ((i / 16) + (i % 16)) % 2;
        }
        DecodedImage small = Resize.cropResize(new DecodedImage(16, 16, 1, v), 0, 0, 16, 16, 4, 4);
        for (float x : small.chw()) {
            assertEquals(0.5f, x, 0.05f);
        }
    }

    @Test
    void idxReaderReadsGzipAndRejectsBadFiles() throws Exception {
        IdxImages train = FashionMnist.embeddedTrain();
        assertEquals(4000, train.size());
        assertEquals(28, train.rows());
        assertTrue(train.label(0) >= 0 && train.label(0) < 10);
        assertEquals(FashionMnist.CLASSES, train.classNames());
        Path f = TestData.writeIdx(dir, 5);
        IdxImages raw = (IdxImages) Datasets.open(f.toString(), 1);
        assertEquals(5, raw.size());
        assertEquals(train.label(3), raw.label(3));
        assertArrayEquals(train.load(2).chw(), raw.load(2).chw(), 1e-6f);

        byte[] bytes = Files.readAllBytes(f);
        Path wrongMagic = dir.resolve("bad-images-idx3-ubyte");
        byte[] b = bytes.clone();
        b[3] = 0x01;
        Files.write(wrongMagic, b);
        DataException e = assertThrows(DataException.class, () -> Datasets.open(wrongMagic.toString(), 1));
        assertTrue(e.getMessage().contains("not an IDX image file"), e.getMessage());
        Path truncated = dir.resolve("cut-images-idx3-ubyte");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, 16 + 784 * 2));
        e = assertThrows(DataException.class, () -> Datasets.open(truncated.toString(), 1));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Files.write(truncated, java.util.Arrays.copyOf(bytes, 10));
        e = assertThrows(DataException.class, () -> Datasets.open(truncated.toString(), 1));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
        // labels that do not match the images
        ByteArrayOutputStream lab = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(lab)) {
            d.writeInt(IdxImages.LABEL_MAGIC);
            d.writeInt(4);
            d.write(new byte[4]);
        }
        e = assertThrows(DataException.class, () -> IdxImages.read(new ByteArrayInputStream(bytes), "img",
                new ByteArrayInputStream(lab.toByteArray()), "lab"));
        assertTrue(e.getMessage().contains("has 4 labels for 5 images"), e.getMessage());
        e = assertThrows(DataException.class, () -> Datasets.open(dir.resolve("nope-idx3-ubyte").toString(), 1));
        assertTrue(e.getMessage().contains("does not exist"));
    }

    @Test
    void imageFolderFindsClassesAndNamesBadFiles() throws Exception {
        TestData.writePng(dir.resolve("cats/a.png"), 20, 10, 200);
        TestData.writePng(dir.resolve("cats/deep/b.PNG"), 8, 8, 10);
        TestData.writePng(dir.resolve("dogs/c.png"), 12, 12, 100);
        Files.writeString(dir.resolve("dogs/notes.txt"), "ignored");
        Files.writeString(dir.resolve("dogs/broken.jpg"), "this is not a jpeg");
        ImageFolder f = ImageFolder.open(dir, 3);
        assertEquals(4, f.size());
        assertEquals(List.of("cats", "dogs"), f.classNames());
        assertEquals(0, f.label(0));
        assertEquals(1, f.label(3));
        DecodedImage a = f.load(0);
        assertEquals(20, a.width());
        assertEquals(10, a.height());
        assertEquals(200 / 255f, a.at(0, 0, 0), 1e-6f);
        DecodedImage gray = ImageFolder.open(dir, 1).load(0);
        assertEquals(1, gray.channels());
        int broken = -1;
        for (int i = 0; i < f.size(); i++) {
            if (f.describe(i).endsWith("broken.jpg")) {
                broken = i;
            }
        }
        int bad = broken;
        DataException e = assertThrows(DataException.class, () -> f.load(bad));
        assertTrue(e.getMessage().contains("broken.jpg"), e.getMessage());

        assertTrue(assertThrows(DataException.class, () -> ImageFolder.open(dir.resolve("missing"), 3))
                .getMessage().contains("does not exist"));
        Path empty = Files.createDirectories(dir.resolve("../empty-" + System.nanoTime()));
        assertTrue(assertThrows(DataException.class, () -> ImageFolder.open(empty, 3)).getMessage()
                .contains("no images"));
    }

    @Test
    void loaderFailsOnABadImageUnlessToldToSkipIt() throws Exception {
        for (int i = 0; i < 6; i++) {
            TestData.writePng(dir.resolve("img" + i + ".png"), 16, 16, 40 * i);
        }
        Files.writeString(dir.resolve("img9.png"), "garbage");
        ImageFolder f = ImageFolder.open(dir, 1);
        Augmentation aug = new Augmentation(AugmentConfig.pretraining(8, 1));
        try (BatchLoader strict = new BatchLoader(f, aug, 7, 0, 2, 2, false, m -> { })) {
            Iterator<BatchLoader.Batch> it = strict.epoch(0, 0);
            RuntimeException e = assertThrows(RuntimeException.class, it::next);
            assertTrue(e.getMessage().contains("img9.png") && e.getMessage().contains("--skip-bad-images"),
                    e.getMessage());
        }
        List<String> warnings = new ArrayList<>();
        try (BatchLoader lenient = new BatchLoader(f, aug, 7, 0, 2, 2, true, warnings::add)) {
            BatchLoader.Batch b = lenient.epoch(0, 0).next();
            assertEquals(7 * 64, b.images().length);
            assertEquals(1, lenient.badImages());
            assertEquals(1, warnings.size());
        }
    }

    /** Issue 22 item 13: the count of skipped images counts files, not how often the epochs meet them. */
    @Test
    void skippedImagesAreCountedOncePerFile() throws Exception {
        for (int i = 0; i < 6; i++) {
            TestData.writePng(dir.resolve("img" + i + ".png"), 16, 16, 40 * i);
        }
        Files.writeString(dir.resolve("img7.png"), "garbage");
        Files.writeString(dir.resolve("img8.png"), "garbage");
        ImageFolder f = ImageFolder.open(dir, 1);
        Augmentation aug = new Augmentation(AugmentConfig.pretraining(8, 1));
        try (BatchLoader lenient = new BatchLoader(f, aug, 8, 0, 1, 1, true, m -> { })) {
            for (int epoch = 0; epoch < 4; epoch++) {
                lenient.epoch(epoch, 0).forEachRemaining(b -> { });
            }
            assertEquals(2, lenient.badImages(), "two bad files, met in each of four epochs");
        }
    }

    @Test
    void batchesAreAPureFunctionOfSeedEpochAndPosition() throws Exception {
        ImageSource src = Subset.of(FashionMnist.embeddedTrain(), 64);
        Augmentation aug = new Augmentation(AugmentConfig.pretraining(28, 1));
        try (BatchLoader a = new BatchLoader(src, aug, 8, 7, 2, 3, false, m -> { });
                BatchLoader b = new BatchLoader(src, aug, 8, 7, 1, 1, false, m -> { })) {
            assertEquals(8, a.batchesPerEpoch());
            Iterator<BatchLoader.Batch> all = a.epoch(1, 0);
            List<BatchLoader.Batch> full = new ArrayList<>();
            all.forEachRemaining(full::add);
            assertEquals(8, full.size());
            BatchLoader.Batch resumed = b.epoch(1, 5).next();
            assertArrayEquals(full.get(5).images(), resumed.images());
            assertArrayEquals(full.get(5).sourceIndices(), resumed.sourceIndices());
            assertNotEquals(java.util.Arrays.toString(a.permutation(0)), java.util.Arrays.toString(a.permutation(1)));
        }
    }
}
