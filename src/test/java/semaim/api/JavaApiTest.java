package semaim.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.cli.Cli;
import semaim.data.TestData;
import semaim.model.HeadType;
import semaim.train.PretrainConfig;

/**
 * The Java API as a program uses it: a run pre-trained through {@link Pretraining}, its encoder opened with
 * {@link Encoder#load}, images embedded from files, pictures and arrays, the same vectors as {@code semaim embed},
 * from two threads at once, and scored with {@link Probes}.
 */
class JavaApiTest {
    @TempDir
    static Path dir;
    static Path run;
    static Path images;

    @BeforeAll
    static void pretrainATinyRun() throws Exception {
        Path idx = TestData.writeIdx(dir, 48);
        run = dir.resolve("run");
        List<Long> steps = new ArrayList<>();
        AtomicInteger epochs = new AtomicInteger();
        Pretraining.Result r = Pretraining.cpu().data(idx.toString(), 1)
                .configure(c -> c.withModel(new PretrainConfig.Model("vit_nano_patch4_28", 16, 1, HeadType.MLP, 0.0,
                        4, 32, 2, 2)))
                .epochs(2).batchSize(8).output(run)
                .run(new Pretraining.Listener() {
                    @Override
                    public void step(long step, int epoch, double loss, double learningRate) {
                        steps.add(step);
                    }

                    @Override
                    public void epoch(int epochsDone) {
                        epochs.set(epochsDone);
                    }
                });
        assertEquals(12, r.steps(), "2 epochs of 48 / 8 images");
        assertEquals(12, steps.size());
        assertEquals(2, epochs.get());
        assertTrue(Double.isFinite(r.lastLoss()) && !r.stoppedEarly());
        images = dir.resolve("images");
        Files.createDirectories(images);
        for (int i = 0; i < 5; i++) {   // grey PNGs of different sizes and shades
            BufferedImage im = new BufferedImage(20 + 3 * i, 24, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < im.getHeight(); y++) {
                for (int x = 0; x < im.getWidth(); x++) {
                    im.getRaster().setSample(x, y, 0, (x * 11 + y * 7 * (i + 1)) % 256);
                }
            }
            ImageIO.write(im, "png", images.resolve("img" + i + ".png").toFile());
        }
    }

    private static List<Path> files() throws Exception {
        try (var s = Files.list(images)) {
            return s.sorted().toList();
        }
    }

    @Test
    void embedsAsSemaimEmbedDoes() throws Exception {
        Path npy = dir.resolve("emb.npy");
        Cli.Outcome o = Cli.run("embed", "--checkpoint", run.toString(), "--images", images.toString(), "--output",
                npy.toString(), "--pool", "mean");
        assertEquals(0, o.code(), o.err());
        byte[] bytes = Files.readAllBytes(npy);
        int headerLen = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        float[] cli = new float[5 * 32];
        ByteBuffer.wrap(bytes, 10 + headerLen, bytes.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer().get(cli);
        try (Encoder encoder = Encoder.load(run, Encoder.Options.defaults().withPooling(Pooling.MEAN))) {
            assertArrayEquals(new long[] {32}, encoder.shape());
            List<Path> f = files();
            List<float[]> batch = encoder.embed(f);
            for (int i = 0; i < f.size(); i++) {
                float[] one = encoder.embed(f.get(i));
                float[] picture = encoder.embed(ImageIO.read(f.get(i).toFile()));
                float[] row = java.util.Arrays.copyOfRange(cli, i * 32, (i + 1) * 32);
                assertArrayEquals(row, one, 1e-6f, "embed(Path) vs semaim embed, image " + i);
                assertArrayEquals(row, picture, 1e-6f, "embed(BufferedImage): grey read from samples, image " + i);
                assertArrayEquals(row, batch.get(i), 1e-6f, "embed(List) vs semaim embed, image " + i);
            }
        }
    }

    @Test
    void embedsAnArrayAndEveryPooling() throws Exception {
        float[] chw = new float[16 * 16];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = (i % 16) / 15f;
        }
        for (Pooling p : Pooling.values()) {
            try (Encoder encoder = Encoder.load(run, Encoder.Options.defaults().withPooling(p))) {
                float[] v = encoder.embed(chw);
                assertEquals(encoder.length(), v.length, p.name());
                assertEquals(p == Pooling.CONCAT ? 64 : p == Pooling.PATCHES ? 16 * 32 : 32, v.length, p.name());
            }
        }
        try (Encoder encoder = Encoder.load(run)) {
            // a grey BufferedImage is read from its samples (value / 255), not gamma-encoded as getRGB would
            BufferedImage grey = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
            for (int i = 0; i < chw.length; i++) {
                grey.getRaster().setSample(i % 16, i / 16, 0, Math.round(chw[i] * 255));
                chw[i] = Math.round(chw[i] * 255) / 255f;
            }
            assertArrayEquals(encoder.embed(chw), encoder.embed(grey), 1e-6f, "grey picture == its samples / 255");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.embed(new float[10]));
            assertTrue(e.getMessage().contains("square"), e.getMessage());
            encoder.close();
            assertThrows(IllegalStateException.class, () -> encoder.embed(chw));
        }
    }

    @Test
    void twoThreadsEmbedAtOnceAndGetWhatOneThreadGets() throws Exception {
        List<Path> f = files();
        try (Encoder encoder = Encoder.load(run, Encoder.Options.defaults().withBatchSize(2))) {
            List<float[]> alone = encoder.embed(f);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<List<float[]>>> runs = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    runs.add(pool.submit(() -> {
                        List<float[]> last = null;
                        for (int rep = 0; rep < 10; rep++) {
                            last = encoder.embed(f);
                        }
                        return last;
                    }));
                }
                for (Future<List<float[]>> r : runs) {
                    List<float[]> got = r.get();
                    for (int i = 0; i < f.size(); i++) {
                        assertArrayEquals(alone.get(i), got.get(i), "image " + i + " from a second thread");
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void probesScoreArraysAndAStoppedRunResumes() throws Exception {
        float[][] train = new float[40][], test = new float[20][];
        int[] yTrain = new int[40], yTest = new int[20];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < 60; i++) {   // two well separated classes
            int y = i % 2;
            float[] v = {y * 4 + (float) rnd.nextGaussian(), (float) rnd.nextGaussian(), 1};
            if (i < 40) {
                train[i] = v;
                yTrain[i] = y;
            } else {
                test[i - 40] = v;
                yTest[i - 40] = y;
            }
        }
        assertTrue(Probes.knn(train, yTrain, test, yTest, 5, 0.07).top1() >= 90);
        assertTrue(Probes.linear(train, yTrain, test, yTest, Probes.LinearOptions.defaults().withEpochs(20)).top1()
                >= 90);
        assertThrows(IllegalArgumentException.class, () -> Probes.knn(train, new int[3], test, yTest));

        Files.createDirectories(dir.resolve("stop"));
        Path idx = TestData.writeIdx(dir.resolve("stop"), 48);
        Path out = dir.resolve("stopped");
        Pretraining p = Pretraining.cpu().data(idx.toString(), 1)
                .configure(c -> c.withModel(new PretrainConfig.Model("vit_nano_patch4_28", 16, 1, HeadType.MLP, 0.0,
                        4, 32, 2, 2)))
                .epochs(2).batchSize(8).output(out);
        Pretraining.Result stopped = p.run(new Pretraining.Listener() {
            @Override
            public void step(long step, int epoch, double loss, double learningRate) {
                if (step == 3) {
                    p.stop();   // as another thread would
                }
            }
        });
        assertTrue(stopped.stoppedEarly());
        assertEquals(4, stopped.steps(), "asked during step 3's report: the next step is the last");
        Pretraining.Result resumed = Pretraining.resume(out).run(new Pretraining.Listener() {});
        assertEquals(12, resumed.steps());
        assertTrue(!resumed.stoppedEarly());
        assertThrows(IllegalStateException.class, () -> Pretraining.resume(out).epochs(3));
    }
}
