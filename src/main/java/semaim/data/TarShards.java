package semaim.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

import semaim.util.Rng;

/**
 * Images in WebDataset-style tar shards (the OpenCLIP / DataComp convention): each sample is a group of members that
 * share a key, {@code KEY.jpg} (or .jpeg, .png, ...) and {@code KEY.cls} (the class index as text); keys are
 * sorted within a shard. {@code --data} names a folder of {@code .tar} files or a brace pattern such as
 * {@code shards-{000000..000099}.tar}; a {@code classes.txt} beside the shards (one name per line, as
 * {@code semaim pack} writes it) names the classes.
 *
 * <p>Opening reads the tar headers only (Apache Commons Compress's {@link TarFile}), giving each image's offset and
 * size; an image's bytes are then one positional read. Samples are read in {@link ShardOrder}'s stream order: each
 * rank its own shards, in a seeded order per epoch, through a shuffle buffer of {@link #BUFFER} samples.
 */
public final class TarShards implements EncodedImages, ShardOrder {
    /** Samples mixed at once inside a rank's stream (WebDataset's usual shuffle buffer). */
    public static final int BUFFER = 1000;
    private static final List<String> IMAGE_EXTENSIONS = List.of("jpg", "jpeg", "png", "bmp", "gif");

    /** Where one image lives. */
    private record Member(int shard, long offset, int size, String name, int label) {}

    private final List<Path> shards;
    private final List<Member> members;
    private final int[][] byShard;   // member indices of each shard, in file order
    private final int channelsOut;
    private final long maxPixels;
    private final List<String> classNames;
    private final String description;

    private TarShards(List<Path> shards, List<Member> members, int channels, long maxPixels,
            List<String> classNames, String description) {
        this.shards = shards;
        this.members = members;
        this.channelsOut = channels;
        this.maxPixels = maxPixels;
        this.classNames = classNames;
        this.description = description;
        int[] counts = new int[shards.size()];
        members.forEach(m -> counts[m.shard()]++);
        byShard = new int[shards.size()][];
        for (int s = 0; s < shards.size(); s++) {
            byShard[s] = new int[counts[s]];
            counts[s] = 0;
        }
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            byShard[m.shard()][counts[m.shard()]++] = i;
        }
    }

    /** Whether {@code path} names shards: a brace pattern, a .tar file, or a folder holding .tar files. */
    public static boolean names(String path) throws IOException {
        if (path.contains("{") || path.toLowerCase(Locale.ROOT).endsWith(".tar")) {
            return true;
        }
        Path p = Path.of(path);
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.anyMatch(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tar"));
        }
    }

    /** Opens the shards {@code spec} names (see the class comment). */
    public static TarShards open(String spec, int channels, long maxPixels) throws IOException {
        List<Path> shards = expand(spec);
        if (shards.isEmpty()) {
            throw new DataException("no .tar shards found for " + spec);
        }
        Path folder = shards.get(0).toAbsolutePath().getParent();
        Path names = folder.resolve("classes.txt");
        List<String> classNames = Files.isRegularFile(names)
                ? Files.readAllLines(names, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList()
                : List.of();
        List<Member> members = new ArrayList<>();
        for (int s = 0; s < shards.size(); s++) {
            index(shards.get(s), s, members);
        }
        if (members.isEmpty()) {
            throw new DataException("the shards of " + spec + " hold no images");
        }
        boolean labelled = members.stream().anyMatch(m -> m.label() >= 0);
        List<Member> unlabelled = members.stream().filter(m -> m.label() < 0).toList();
        if (labelled && !unlabelled.isEmpty()) {   // a member lost in packing or copying: say so, never label -1
            throw new DataException(unlabelled.size() + " of " + members.size() + " images in " + spec
                    + " have no .cls member while the others do (first: " + unlabelled.get(0).name()
                    + "); a labelled set needs a class per image: pack it again");
        }
        return new TarShards(shards, members, channels, maxPixels, classNames, "tar shards " + spec + " ("
                + shards.size() + " shards, " + members.size() + " images, " + (labelled ? "labelled" : "unlabelled")
                + ", " + (channels == 1 ? "grayscale" : "RGB") + ")");
    }

    /** The shard files: a brace pattern's expansion, one .tar, or a folder's .tar files, sorted. */
    static List<Path> expand(String spec) throws IOException {
        Matcher m = Pattern.compile("\\{(\\d+)\\.\\.(\\d+)}").matcher(spec);
        if (m.find()) {
            int from = Integer.parseInt(m.group(1)), to = Integer.parseInt(m.group(2)), width = m.group(1).length();
            List<Path> out = new ArrayList<>();
            for (int i = from; i <= to; i++) {
                Path p = Path.of(spec.substring(0, m.start()) + String.format("%0" + width + "d", i)
                        + spec.substring(m.end()));
                if (!Files.isRegularFile(p)) {
                    throw new DataException("shard " + p + " of " + spec + " does not exist");
                }
                out.add(p);
            }
            return out;
        }
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) {
            return List.of(p);
        }
        if (!Files.isDirectory(p)) {
            throw new DataException("data path " + spec + " does not exist");
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tar")).sorted()
                    .toList();
        }
    }

    /** Adds the images of one shard (header read only; .cls members are read, they are a few bytes). */
    private static void index(Path shard, int s, List<Member> out) throws IOException {
        Map<String, TarArchiveEntry> images = new LinkedHashMap<>();
        Map<String, Integer> labels = new LinkedHashMap<>();
        try (TarFile tar = new TarFile(shard)) {
            for (TarArchiveEntry e : tar.getEntries()) {
                if (!e.isFile()) {
                    continue;
                }
                String name = e.getName();
                int slash = name.lastIndexOf('/'), dot = name.indexOf('.', slash + 1);
                if (dot < 0) {
                    continue;
                }
                String key = name.substring(0, dot), ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (IMAGE_EXTENSIONS.contains(ext)) {
                    images.put(key, e);
                } else if (ext.equals("cls")) {
                    try (InputStream in = tar.getInputStream(e)) {
                        String text = new String(in.readNBytes(32), StandardCharsets.UTF_8).strip();
                        if (!text.matches("\\d{1,9}")) {
                            throw new DataException(shard + ": " + name + " holds \"" + text
                                    + "\", not a class index");
                        }
                        labels.put(key, Integer.parseInt(text));
                    }
                }
            }
        } catch (DataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot read tar shard " + shard + ": " + e.getMessage(), e);
        }
        for (Map.Entry<String, TarArchiveEntry> e : images.entrySet()) {
            TarArchiveEntry t = e.getValue();
            if (t.getSize() > Integer.MAX_VALUE) {
                throw new DataException(shard + ": " + t.getName() + " is larger than 2 GB");
            }
            out.add(new Member(s, t.getDataOffset(), (int) t.getSize(), shard.getFileName() + ":" + t.getName(),
                    labels.getOrDefault(e.getKey(), -1)));
        }
    }

    /**
     * Rank r of W reads shards r, r + W, r + 2W, ... (the same ones every epoch, so every epoch has as many batches),
     * in an order shuffled per epoch, through a shuffle buffer.
     */
    @Override
    public int[] order(int epoch, long seed, int rank, int worldSize) {
        List<Integer> mine = new ArrayList<>();
        for (int i = rank; i < shards.size(); i += worldSize) {
            mine.add(i);
        }
        int[] shardOrder = new Rng(BatchLoader.mix(seed, 0x5A4D_5EEDL + rank, epoch)).permutation(mine.size());
        List<Integer> stream = new ArrayList<>();
        for (int i : shardOrder) {
            for (int m : byShard[mine.get(i)]) {
                stream.add(m);
            }
        }
        // A shuffle buffer: keep BUFFER samples, emit a random one, refill from the stream.
        Rng rng = new Rng(BatchLoader.mix(seed, epoch, 0xB0FFE5L + rank));
        int[] out = new int[stream.size()];
        List<Integer> buffer = new ArrayList<>();
        int next = 0, n = 0;
        while (next < stream.size() || !buffer.isEmpty()) {
            while (buffer.size() < BUFFER && next < stream.size()) {
                buffer.add(stream.get(next++));
            }
            int pick = rng.nextInt(buffer.size());
            out[n++] = buffer.get(pick);
            buffer.set(pick, buffer.get(buffer.size() - 1));
            buffer.remove(buffer.size() - 1);
        }
        return out;
    }

    @Override
    public int samplesPerRank(int worldSize) {
        if (worldSize > shards.size()) {
            throw new IllegalArgumentException(shards.size() + " shard(s) cannot be split over " + worldSize
                    + " processes: pack into at least as many shards as processes (semaim pack --shard-size)");
        }
        int min = Integer.MAX_VALUE;
        for (int r = 0; r < worldSize; r++) {
            int count = 0;
            for (int i = r; i < shards.size(); i += worldSize) {
                count += byShard[i].length;
            }
            min = Math.min(min, count);
        }
        return min;
    }


    /**
     * One positional read. The shard is opened for it: a FileChannel that a reading thread's interrupt closes (the
     * loader interrupts its workers when it closes) would be closed for every thread if it were shared.
     */
    @Override
    public byte[] bytes(int index) throws IOException {
        Member m = members.get(index);
        ByteBuffer b = ByteBuffer.allocate(m.size());
        long at = m.offset();
        try (FileChannel ch = FileChannel.open(shards.get(m.shard()), StandardOpenOption.READ)) {
            while (b.hasRemaining()) {
                int r = ch.read(b, at);
                if (r < 0) {
                    throw new DataException("cannot read " + m.name() + ": the shard ends early (truncated?)");
                }
                at += r;
            }
        } catch (DataException e) {
            throw e;
        } catch (IOException e) {
            throw new DataException("cannot read " + m.name() + ": " + e.getMessage(), e);
        }
        return b.array();
    }

    @Override
    public long maxPixels() {
        return maxPixels;
    }

    @Override
    public int size() {
        return members.size();
    }

    @Override
    public int channels() {
        return channelsOut;
    }

    @Override
    public DecodedImage load(int index) throws IOException {
        return ImageDecoder.decode(bytes(index), describe(index), channelsOut, maxPixels);
    }

    @Override
    public int label(int index) {
        return members.get(index).label();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public String describe(int index) {
        return members.get(index).name();
    }

    @Override
    public String description() {
        return description;
    }
}
