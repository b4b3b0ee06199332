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
    private static final String SAMPLE_LOG = "SEMAIM_LOG_SAMPLES";
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

    /**
     * A real 2-process run under {@code launch}, from shards: the ranks' sample logs ({@code SEMAIM_LOG_SAMPLES})
     * name every image the steps trained on; within an epoch no image is read twice, by one rank or by both.
     */
    @Test
    void twoProcessesUnderLaunchReadEachImageOncePerEpoch() throws Exception {
        Path shards = pack(folder(), "8KB");
        Path logs = dir.resolve("samples");
        Process launch = Cli.start(List.of(), null, Map.of(SAMPLE_LOG, logs.toString()), "launch",
                "--nproc-per-node", "2", "--rendezvous", "file:" + dir.resolve("store"), "--", "pretrain", "--data",
                shards.toString(), "--channels", "1", "--image-size", "16", "--width", "32", "--depth", "1",
                "--heads", "1", "--decoder-depth", "1", "--batch-size", "4", "--epochs", "2", "--workers", "1",
                "--viz-every", "0", "--monitor-knn", "0", "--output", dir.resolve("run").toString());
        String log = new String(launch.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(launch.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), log);
        assertEquals(ExitCodes.OK, launch.exitValue(), log);
        int batches = BatchLoader.batchesPerEpoch(Datasets.open(shards.toString(), 1), 4, 2);
        for (int epoch = 0; epoch < 2; epoch++) {
            Map<String, Integer> reads = new HashMap<>();
            for (int rank = 0; rank < 2; rank++) {
                List<String> lines = Files.readAllLines(logs.resolve("samples-rank-" + rank + ".tsv"));
                String e = epoch + "\t";
                List<String> names = lines.stream().filter(l -> l.startsWith(e)).map(l -> l.split("\t")[3])
                        .toList();
                assertEquals(batches * 4, names.size(), "rank " + rank + ", epoch " + epoch + ": " + names);
                names.forEach(n -> reads.merge(n, 1, Integer::sum));
            }
            assertEquals(2 * batches * 4, reads.size(), "no image read twice in epoch " + epoch + ": " + reads);
        }
    }

    /**
     * A labelled set missing one {@code .cls} member, or with one that is not a class index, is refused at opening
     * (exit 4, naming the member): before, that image trained and evaluated with label -1, silently.
     */
    @Test
    void aLabelledShardWithAMissingOrBadClassIsADataError() throws Exception {
        Path one = pack(folder(), "1MB").resolve("shards-000000.tar");
        for (String damage : List.of("missing", "text")) {
            Path damaged = dir.resolve("damaged-" + damage).resolve("shards-000000.tar");
            Files.createDirectories(damaged.getParent());
            boolean[] done = {false};
            try (var in = new org.apache.commons.compress.archivers.tar.TarFile(one); var out = new org.apache
                    .commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(damaged))) {
                for (var e : in.getEntries()) {
                    byte[] body;
                    try (var content = in.getInputStream(e)) {
                        body = content.readAllBytes();
                    }
                    if (e.getName().endsWith(".cls") && !done[0]) {
                        done[0] = true;
                        if (damage.equals("missing")) {
                            continue;
                        }
                        body = "cat".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                        e.setSize(body.length);
                    }
                    out.putArchiveEntry(e);
                    out.write(body);
                    out.closeArchiveEntry();
                }
            }
            Cli.Outcome o = Cli.run("pretrain", "--data", damaged.getParent().toString(), "--channels", "1",
                    "--image-size", "16", "--batch-size", "8", "--epochs", "1", "--viz-every", "0",
                    "--output", dir.resolve("run-" + damage).toString());
            assertEquals(ExitCodes.DATA, o.code(), o.err());
            assertTrue(o.oneLineError(), o.err());
            assertTrue(o.err().contains(damage.equals("missing") ? "1 of 48 images" : "holds \"cat\", not a class"),
                    o.err());
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
