package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.AugmentConfig;
import semaim.data.Augmentation;
import semaim.data.BatchLoader;
import semaim.data.Datasets;
import semaim.data.ImageFolder;
import semaim.data.ImageSource;
import semaim.data.TarShards;
import semaim.data.TestData;

/** Issue 23, item 4: pack writes WebDataset-style shards, and pre-training reads them as it reads the folder. */
class ShardsTest {
    @TempDir
    Path dir;

    /** 48 greyscale PNGs in 3 class folders. */
    private Path folder() throws Exception {
        Path f = dir.resolve("images");
        for (int i = 0; i < 48; i++) {
            TestData.writePng(f.resolve("class" + (i % 3)).resolve(String.format("img%02d.png", i)), 20, 20, 5 * i);
        }
        return f;
    }

    private Path pack(Path images, String size) {
        Path shards = dir.resolve("shards-" + size);
        Cli.Outcome o = Cli.run("pack", "--data", images.toString(), "--output", shards.toString(), "--shard-size",
                size);
        assertEquals(ExitCodes.OK, o.code(), o.err());
        return shards;
    }

    @Test
    void packedShardsHoldEveryImageWithItsLabelAndBytes() throws Exception {
        Path images = folder();
        Path shards = pack(images, "8KB");
        List<Path> tars;
        try (var s = Files.list(shards)) {
            tars = s.filter(p -> p.toString().endsWith(".tar")).sorted().toList();
        }
        assertTrue(tars.size() >= 4, "several shards: " + tars);
        ImageFolder f = ImageFolder.open(images, 1);
        Map<String, Integer> labelOf = new HashMap<>();
        Set<String> originals = new HashSet<>();
        for (int i = 0; i < f.size(); i++) {
            String bytes = java.util.Base64.getEncoder().encodeToString(f.bytes(i));
            originals.add(bytes);
            labelOf.put(bytes, f.label(i));
        }
        for (String spec : new String[] {shards.toString(), shards.resolve("shards-{000000.."
                + String.format("%06d", tars.size() - 1) + "}.tar").toString()}) {
            ImageSource src = Datasets.open(spec, 1);
            assertTrue(src instanceof TarShards, spec);
            TarShards t = (TarShards) src;
            assertEquals(48, t.size());
            assertEquals(List.of("class0", "class1", "class2"), t.classNames());
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < t.size(); i++) {
                String bytes = java.util.Base64.getEncoder().encodeToString(t.bytes(i));
                seen.add(bytes);
                assertEquals(labelOf.get(bytes), t.label(i), t.describe(i));
            }
            assertEquals(originals, seen, "every image, byte for byte");
        }
    }

    /** The images each rank reads in each epoch: once each, disjoint across ranks. */
    @Test
    void ranksReadDisjointShardsEachImageOncePerEpochAndBatchesAreFoundAgainByNumber() throws Exception {
        TarShards t = (TarShards) Datasets.open(pack(folder(), "8KB").toString(), 1);
        Augmentation aug = new Augmentation(AugmentConfig.pretraining(16, 1));
        for (int epoch = 0; epoch < 2; epoch++) {
            Map<Integer, Integer> reads = new HashMap<>();
            for (int rank = 0; rank < 2; rank++) {
                try (BatchLoader l = new BatchLoader(t, aug, 4, rank, 2, 7, 2, 2, false, m -> { })) {
                    Iterator<BatchLoader.Batch> it = l.epoch(epoch, 0);
                    List<BatchLoader.Batch> all = new ArrayList<>();
                    it.forEachRemaining(all::add);
                    assertEquals(l.batchesPerEpoch(), all.size());
                    for (BatchLoader.Batch b : all) {
                        for (int i : b.sourceIndices()) {
                            reads.merge(i, 1, Integer::sum);
                        }
                    }
                    // resume: batch 2 drawn again from its number equals the one drawn in sequence
                    BatchLoader.Batch again = l.epoch(epoch, 2).next();
                    assertArrayEquals(all.get(2).sourceIndices(), again.sourceIndices());
                    assertArrayEquals(all.get(2).images(), again.images());
                }
            }
            assertTrue(reads.values().stream().allMatch(n -> n == 1), "no image read twice: " + reads);
            assertTrue(reads.size() >= 40, "nearly every image read (drop-last aside): " + reads.size());
        }
    }

    /** bench-data times the loader on a folder and on its shards: one JSON line, native decoding, every stage. */
    @Test
    void benchDataTimesTheFolderAndTheShards() throws Exception {
        Path images = folder();
        for (Path data : List.of(images, pack(images, "8KB"))) {
            Cli.Outcome o = Cli.run("bench-data", "--data", data.toString(), "--channels", "1", "--image-size", "16",
                    "--batch-size", "8", "--batches", "4", "--warmup", "1");
            assertEquals(ExitCodes.OK, o.code(), o.err());
            com.google.gson.JsonObject j = com.google.gson.JsonParser.parseString(o.out().lines().findFirst()
                    .orElseThrow()).getAsJsonObject();
            assertEquals("native", j.get("decoder").getAsString());
            assertEquals(32, j.get("images").getAsInt());
            assertTrue(j.get("images_per_s").getAsDouble() > 0 && j.get("decode_ms_per_image").getAsDouble() > 0, j
                    .toString());
            assertTrue(o.err().contains("ms per image, summed over workers: read"), o.err());
        }
    }

    /** Pre-training from the shards sees the folder's images, every epoch. */
    @Test
    void pretrainingRunsFromShards() throws Exception {
        Path images = folder();
        Path shards = pack(images, "1MB");
        Cli.Outcome o = Cli.run("pretrain", "--data", shards.toString(), "--channels", "1", "--image-size", "16",
                "--decoder-depth", "2", "--batch-size", "8", "--epochs", "2", "--viz-every", "0", "--monitor-knn", "0",
                "--output", dir.resolve("run").toString());
        assertEquals(ExitCodes.OK, o.code(), o.err());
        assertTrue(o.err().contains("tar shards") && o.err().contains("48 images"), o.err());
    }
}
