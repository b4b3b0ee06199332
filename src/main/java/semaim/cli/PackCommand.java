package semaim.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.data.ImageFolder;
import semaim.util.Rng;

/** {@code semaim pack}: an image folder as WebDataset-style tar shards. */
@Command(name = "pack", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write an image folder as WebDataset-style tar shards (the OpenCLIP / DataComp convention):"
                + " shards-NNNNNN.tar, each holding KEY.jpg (the file's bytes as they are, any image extension) and"
                + " KEY.cls (the class index) per image, keys sorted, images in an order shuffled from --seed; and"
                + " classes.txt with the class names. pretrain --data takes the folder or a pattern such as"
                + " 'shards-{000000..000009}.tar', and reads each shard sequentially."},
        footer = {"", "Example: semaim pack --data /data/imagenet/train --output /data/imagenet-shards --shard-size 1GB"})
public final class PackCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Image folder (class subfolders give labels).")
    Path data;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for the shards (created; must hold no shards yet).")
    Path output;

    @Option(names = "--shard-size", defaultValue = "1GB", paramLabel = "SIZE",
            description = "Largest shard: bytes, or with KB, MB, GB. Default: ${DEFAULT-VALUE}.")
    String shardSize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the images' order. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() {
        return CommandErrors.guard("pack", () -> {
            long limit = parseSize(shardSize);
            ImageFolder folder = ImageFolder.open(data, 3);
            Files.createDirectories(output);
            try (var existing = Files.list(output)) {
                if (existing.anyMatch(p -> p.getFileName().toString().endsWith(".tar"))) {
                    throw new IllegalArgumentException(output + " already holds .tar shards; choose an empty folder");
                }
            }
            // a seeded order, so that a shard holds a mix of classes (the loader's buffer mixes only nearby images)
            int[] order = new Rng(seed ^ 0xBAC5L).permutation(folder.size());
            int shard = 0, inShard = 0;
            long bytes = 0;
            TarArchiveOutputStream tar = null;
            try (Bar bar = new Bar("pack", folder.size())) {
                for (int i = 0; i < order.length; i++) {
                    byte[] image = folder.bytes(order[i]);
                    if (tar == null || bytes > 0 && bytes + image.length + 2048 > limit) {
                        close(tar, shard - 1);
                        tar = open(shard++);
                        bytes = 0;
                        inShard = 0;
                    }
                    String key = String.format("%09d", i), ext = extension(folder.describe(order[i]));
                    bytes += add(tar, key + "." + ext, image);
                    if (folder.label(order[i]) >= 0) {
                        bytes += add(tar, key + ".cls", Integer.toString(folder.label(order[i]))
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    inShard++;
                    bar.stepTo(i + 1, null);
                }
                close(tar, shard - 1);
            }
            Files.write(output.resolve("classes.txt"), folder.classNames(), StandardCharsets.UTF_8);
            String pattern = output.resolve("shards-{" + String.format("%06d..%06d", 0, shard - 1) + "}.tar")
                    .toString();
            LOG.info("wrote {} images into {} shard(s) in {} (use --data {} or '{}')", folder.size(), shard, output,
                    output, pattern);
            return ExitCodes.OK;
        });
    }


    /** Shards are written under a temporary name and renamed when complete. */
    private TarArchiveOutputStream open(int shard) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(partFile(shard)), 1 << 20);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        return tar;
    }

    private void close(TarArchiveOutputStream tar, int shard) throws IOException {
        if (tar != null) {
            tar.finish();
            tar.close();
            Files.move(partFile(shard), shardFile(shard), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private Path shardFile(int shard) {
        return output.resolve(String.format("shards-%06d.tar", shard));
    }

    private Path partFile(int shard) {
        return output.resolve(String.format("shards-%06d.tar.part", shard));
    }

    /** Adds one member; returns the bytes it takes in the archive (header plus padded data). */
    private static long add(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
        return 512 + (content.length + 511L) / 512 * 512;
    }

    private static String extension(String file) {
        String name = Path.of(file).getFileName().toString();
        return name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    }

    static long parseSize(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        long unit = t.endsWith("KB") ? 1L << 10 : t.endsWith("MB") ? 1L << 20 : t.endsWith("GB") ? 1L << 30 : 1;
        String digits = unit == 1 ? (t.endsWith("B") ? t.substring(0, t.length() - 1) : t) : t.substring(0,
                t.length() - 2);
        try {
            long v = Long.parseLong(digits.strip()) * unit;
            if (v < 4096) {
                throw new IllegalArgumentException("--shard-size must be at least 4KB, got " + s);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shard-size takes bytes or a number with KB, MB or GB, got '" + s
                    + "'");
        }
    }
}
